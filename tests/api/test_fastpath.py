"""The dispatch fast path answers valid questions itself and hands everything else to the
route, with the body it read; either way the client gets the same answer."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

from api.fastpath import DispatchFastPath
from api.main import create_app
from api.schemas import DispatchResponse
from tests.api.conftest import settings_in
from tests.api.test_dispatch import _points_on_network

PATH = "/v1/dispatch/nearest"


class _Inner:
    """Stands for the app behind the fast path: records what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope, receive, send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"inner"})


def _call(app, body: bytes, *, chunks: int = 1, content_type: bytes = b"application/json",
          path: str = PATH, method: str = "POST") -> tuple[list[dict], _Inner]:  # fmt: skip
    inner = _Inner()
    fast = DispatchFastPath(inner)
    size = -(-len(body) // chunks) or 1
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [
        {"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
        for i, p in enumerate(parts)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": method, "path": path, "app": app,
        "headers": [(b"content-type", content_type),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    asyncio.run(fast(scope, receive, send))
    return sent, inner


def test_valid_question_is_answered_without_the_route(client, city):
    lon, lat = _points_on_network(city, 1, seed=11)[0]
    body = json.dumps({"lon": lon, "lat": lat, "k": 3}).encode()
    sent, inner = _call(client.app, body, chunks=3)
    assert inner.bodies == []
    assert sent[0]["status"] == 200
    assert (b"content-type", b"application/json") in sent[0]["headers"]
    answer = DispatchResponse.model_validate_json(sent[1]["body"])
    assert len(answer.responders) == min(3, len(city.posts))


@pytest.mark.parametrize(
    ("body", "kwargs"),
    [
        (b'{"lon": 24.94, "lat": 60.17, "k": 0}', {}),  # does not validate
        (b'{"lon": 24.94, "lat": 60.17, "extra": 1}', {}),  # unknown field
        (b'{"lon": 24.94, "lat": ', {"chunks": 2}),  # not JSON
        (b'{"lon": 25.9, "lat": 60.2, "k": 1}', {}),  # off the network: the answer refuses
        (b'{"lon": 24.94, "lat": 60.17}', {"content_type": b"text/plain"}),
        (b'{"lon": 24.94, "lat": 60.17}', {"path": "/v1/dispatch/other"}),
        (b'{"lon": 24.94, "lat": 60.17}', {"method": "PUT"}),
        (b'{"lon": 24.94, "lat": 60.17, "name": "' + b"x" * 20_000 + b'"}', {"chunks": 4}),
    ],
)
def test_everything_else_reaches_the_route_with_its_body(client, body, kwargs):
    sent, inner = _call(client.app, body, **kwargs)
    assert inner.bodies == [body]
    assert sent[0]["status"] == 299


def test_same_answers_with_and_without_the_fast_path(client, city, data_root):
    """The full app, fast path on and off: same status and body for good and bad questions."""
    plain = create_app(settings_in(data_root / "plain", dispatch_fast_path=False), city=city)
    assert not any(m.cls is DispatchFastPath for m in plain.user_middleware)
    assert any(m.cls is DispatchFastPath for m in client.app.user_middleware)
    bodies = [{"lon": lon, "lat": lat, "k": k}
              for k, (lon, lat) in enumerate(_points_on_network(city, 6, seed=12), start=1)]  # fmt: skip
    bodies += [{"lon": 25.9, "lat": 60.2}, {"lon": 24.94, "lat": 60.17, "k": 99}, {"lat": 1}]
    with TestClient(plain) as slow:
        for body in bodies:
            a, b = client.post(PATH, json=body), slow.post(PATH, json=body)
            assert a.status_code == b.status_code
            assert a.json() == b.json()
            assert a.headers["content-type"] == b.headers["content-type"]


def test_questions_that_arrive_together_are_answered_together(client, city, monkeypatch):
    """Concurrent questions go to answer_many as one batch; each gets the answer it would get
    alone, and one refused question (off the network) goes to the route, not the others."""
    import api.fastpath
    from api.routes.dispatch import answer
    from api.schemas import DispatchRequest

    batches: list[int] = []
    real = api.fastpath.answer_many

    def spy(city_, active, reqs):
        batches.append(len(reqs))
        return real(city_, active, reqs)

    monkeypatch.setattr(api.fastpath, "answer_many", spy)
    places = _points_on_network(city, 6, seed=13)
    bodies = [json.dumps({"lon": lon, "lat": lat, "k": 1 + i % 3}).encode()
              for i, (lon, lat) in enumerate(places)]  # fmt: skip
    bodies.insert(3, b'{"lon": 25.9, "lat": 60.2}')  # off the network
    inner = _Inner()
    fast = DispatchFastPath(inner)
    state = client.app.state

    async def one(body: bytes) -> list[dict]:
        sent: list[dict] = []
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": PATH, "app": client.app,
                 "headers": [(b"content-type", b"application/json")]}  # fmt: skip
        await fast(scope, receive, send)
        return sent

    async def all_at_once() -> list[list[dict]]:
        return await asyncio.gather(*(one(b) for b in bodies))

    results = asyncio.run(all_at_once())
    assert batches == [len(bodies)]
    assert inner.bodies == [bodies[3]]
    for body, sent in zip(bodies, results, strict=True):
        if body is bodies[3]:
            assert sent[0]["status"] == 299
            continue
        assert sent[0]["status"] == 200
        alone = answer(state.city, state.active, DispatchRequest.model_validate_json(body))
        assert sent[1]["body"] == alone
