"""A short way through the service for the one call dispatch systems make all the time.

FastAPI's work around a route (matching the path through the included routers, solving the
dependencies, reading the JSON body in Python, then validating it) cost about 0.25 ms of CPU per
``POST /v1/dispatch/nearest``, as much as half the search itself. :class:`DispatchFastPath`
answers a valid request of that route on its own: the body is validated by pydantic-core
straight from the bytes (:meth:`DispatchRequest.model_validate_json`, the route's own model)
and answered by the route's own :func:`api.routes.dispatch.answer`.

Anything it is not sure of goes on to the app unchanged, with the body it read handed on
again: other paths and methods, bodies that are not JSON or too large for a dispatch question,
bodies that do not validate, and questions the answer refuses (a point off the network, an
unknown mode). The route then answers those, so its errors and its OpenAPI document stay the
one contract, and the fast path never has to repeat them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from api.routes.dispatch import answer
from api.schemas import DispatchRequest
from geo.errors import PatrolError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATH = "/v1/dispatch/nearest"
# a dispatch question is well under 1 KiB; larger bodies are the route's to refuse
MAX_BODY = 16 * 1024


def _json_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request says it carries JSON of a size a dispatch question has."""
    json = False
    for name, value in headers:
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            json = kind == b"application/json" or kind.endswith(b"+json")
        elif name == b"content-length" and (not value.isdigit() or int(value) > MAX_BODY):
            return False
    return json


class DispatchFastPath:
    """ASGI middleware: valid ``POST /v1/dispatch/nearest`` requests are answered here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or not _json_body(scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        body, ended = await _read(receive)
        if not ended:  # the client went away, or the body outgrew a dispatch question
            await self.app(scope, _replay(body, ended, receive), send)
            return
        state = scope["app"].state
        try:
            req = DispatchRequest.model_validate_json(body)
            payload = answer(state.city, state.active, req)
        except (ValidationError, PatrolError):
            await self.app(scope, _replay(body, ended, receive), send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it ended within :data:`MAX_BODY` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY:
            return b"".join(chunks), False


def _replay(body: bytes, ended: bool, receive: Receive) -> Receive:
    """A ``receive`` that hands on ``body`` first, then whatever is left of the request."""
    first = True

    async def again() -> Message:
        nonlocal first
        if first:
            first = False
            return {"type": "http.request", "body": body, "more_body": not ended}
        return await receive()

    return again
