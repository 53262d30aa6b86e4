"""Maps behind signed links (no API key: officers open them on a phone), and their assets."""

from __future__ import annotations

import mimetypes
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import HTMLResponse

from api.deps import MapsDep, SignerDep, StorageDep
from api.errors import NotFoundError
from api.routes import ERRORS
from api.routes.plans import LineId, PlanId
from api.schemas import ErrorBody

router = APIRouter(tags=["maps"])

Token = Annotated[str, Query(max_length=200, description="the signed token of the link")]
Lang = Annotated[Literal["en", "zh"], Query(description="labels: English or Chinese")]
MAP_ERRORS = {
    **ERRORS,
    403: {"model": ErrorBody, "description": "invalid or expired link"},
    503: {"model": ErrorBody, "description": "maps not available"},
}


def _check(signer: object, token: str, plan_id: str, scope: str) -> None:
    why = signer.check(token, plan_id, scope)  # type: ignore[attr-defined]
    if why is not None:
        raise HTTPException(403, why)


@router.get(
    "/plans/{plan_id}/map",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **MAP_ERRORS},
)
def command_map(
    plan_id: PlanId,
    token: Token,
    signer: SignerDep,
    maps: MapsDep,
    storage: StorageDep,
    lang: Lang = "en",
) -> HTMLResponse:
    """The command-centre map of a plan (link from ``GET /v1/plans/{id}/links``)."""
    _check(signer, token, plan_id, "command")
    storage.get_plan(plan_id)
    return HTMLResponse(maps.command(plan_id, lang=lang))


@router.get(
    "/plans/{plan_id}/lines/{line_id}/map",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}, **MAP_ERRORS},
)
def officer_map(
    plan_id: PlanId,
    line_id: LineId,
    token: Token,
    signer: SignerDep,
    maps: MapsDep,
    storage: StorageDep,
    slot: Annotated[str | None, Query(max_length=20, examples=["22:00-23:00"])] = None,
    lang: Lang = "en",
) -> HTMLResponse:
    """An officer's map of one patrol line in one slot."""
    _check(signer, token, plan_id, f"line:{line_id}")
    storage.get_plan(plan_id)
    return HTMLResponse(maps.officer(plan_id, line_id, slot=slot, lang=lang))


@router.get(
    "/maps/assets/{name:path}",
    responses={
        200: {"content": {"application/octet-stream": {"schema": {"type": "string"}}}},
        **MAP_ERRORS,
    },
)
def asset(name: Annotated[str, Path(max_length=200)], maps: MapsDep) -> Response:
    """Leaflet's files for the maps (served here: no CDN needed)."""
    files = maps.assets()
    if name not in files:
        msg = f"no map asset {name!r}"
        raise NotFoundError(msg)
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(files[name], media_type=media, headers={"Cache-Control": "max-age=86400"})
