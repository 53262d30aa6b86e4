"""Plans and uploads: ``/v1/uploads``, ``/v1/plans`` and a finished plan's files and links."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from api.active import ActivePlan
from api.city import City
from api.deps import ActiveDep, CityDep, KeyDep, RunnerDep, SettingsDep, SignerDep, StorageDep
from api.errors import NotFoundError
from api.routes import AUTH_ERRORS, ERRORS
from api.schemas import (
    ActivateRequest,
    ActivePlanOut,
    LineLink,
    MapLinks,
    PlanList,
    PlanOut,
    PlanRequest,
    UploadOut,
)
from api.storage import PlanRow, Storage
from api.uploads import store_upload
from geo.errors import InputError

router = APIRouter(tags=["plans"])

PlanId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="plan id")]
LineId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="patrol line id")]
_CHUNK = 1 << 16


class Layer(StrEnum):
    road_minutes = "road_minutes"
    isochrones = "isochrones"
    blind_spots = "blind_spots"
    posts = "posts"
    control_points = "control_points"
    incidents = "incidents"
    patrol_lines = "patrol_lines"


def plan_out(storage: Storage, row: PlanRow) -> PlanOut:
    files = storage.plan_file_names(row.id) if row.status == "done" else []
    return PlanOut(
        id=row.id,
        status=row.status,  # type: ignore[arg-type]
        progress=row.progress,
        stage=row.stage,
        params=row.params,
        summary=row.summary,
        error=row.error,
        files=files,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.post(
    "/uploads",
    status_code=201,
    response_model=UploadOut,
    responses={**ERRORS, **AUTH_ERRORS, 413: {"description": "upload too large"}},
    tags=["uploads"],
)
async def upload(
    _key: KeyDep,
    storage: StorageDep,
    city: CityDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="incidents: CSV or GeoJSON (also GPKG, ...)")],
    timezone: Annotated[str | None, Form(max_length=64)] = None,
) -> UploadOut:
    """Upload incidents for later plans; a malformed file gets 422 naming the row and column."""
    content = await _read_capped(file, settings.max_upload_bytes)
    row, notes = await run_in_threadpool(
        store_upload, storage, content, filename=file.filename, timezone=timezone, city=city
    )
    return UploadOut(**row.__dict__, notes=notes)


async def _read_capped(file: StarletteUpload, cap: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > cap:
            raise HTTPException(413, f"upload larger than {cap:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# POST /v1/plans takes JSON (incidents by an earlier upload's id) or a multipart form with
# the incidents file itself; FastAPI declares one body type per route, so both are written
# into the OpenAPI document here and read by hand below.
_PLAN_BODY = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/PlanRequest"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["incidents"],
                    "properties": {
                        "incidents": {
                            "type": "string",
                            "format": "binary",
                            "description": "incidents: CSV or GeoJSON (also GPKG, ...)",
                        },
                        "params": {
                            "type": "string",
                            "description": "the plan's parameters: a PlanRequest as JSON "
                            "(without incidents_upload_id); default: all defaults",
                        },
                    },
                }
            },
        },
    }
}


def _invalid(exc: ValidationError, where: str) -> RequestValidationError:
    errors = [{**e, "loc": (where, *e.get("loc", ()))} for e in exc.errors()]
    return RequestValidationError(errors)


async def _plan_request(request: Request, storage: Storage, city: City, cap: int) -> PlanRequest:
    """The plan's parameters from a JSON body, or from a form whose incidents file is stored
    as an upload first (checked like ``POST /v1/uploads``)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("multipart/form-data", "application/x-www-form-urlencoded"):
        async with request.form(max_files=1, max_fields=4) as form:
            extra = sorted(set(form) - {"incidents", "params"})
            if extra:
                msg = f"unknown form field(s) {extra}: send 'incidents' and 'params'"
                raise InputError(msg)
            params = form.get("params")
            if params is not None and not isinstance(params, str):
                raise InputError("params: a JSON text, not a file")
            try:
                req = PlanRequest.model_validate_json(params or "{}")
            except ValidationError as exc:
                raise _invalid(exc, "params") from None
            if req.incidents_upload_id is not None:
                msg = (
                    "params.incidents_upload_id: send the incidents file or an upload id, not both"
                )
                raise InputError(msg)
            file = form.get("incidents")
            if not isinstance(file, StarletteUpload):
                raise InputError("incidents: a file field is needed (CSV or GeoJSON)")
            content = await _read_capped(file, cap)
            row, _ = await run_in_threadpool(
                store_upload, storage, content, filename=file.filename,
                timezone=req.timezone, city=city,
            )  # fmt: skip
        return req.model_copy(update={"incidents_upload_id": row.id})
    if kind not in ("", "application/json"):
        raise HTTPException(415, f"send application/json or multipart/form-data, not {kind}")
    try:
        return PlanRequest.model_validate_json(await request.body() or b"{}")
    except ValidationError as exc:
        raise _invalid(exc, "body") from None


@router.post(
    "/plans",
    status_code=202,
    response_model=PlanOut,
    responses={
        **ERRORS,
        **AUTH_ERRORS,
        413: {"description": "upload too large"},
        415: {"description": "neither JSON nor a multipart form"},
    },
    openapi_extra=_PLAN_BODY,
)
async def create_plan(
    request: Request,
    _key: KeyDep,
    runner: RunnerDep,
    storage: StorageDep,
    city: CityDep,
    settings: SettingsDep,
) -> PlanOut:
    """Start a plan (coverage, control points, patrol lines); poll ``GET /v1/plans/{id}``.

    Send the parameters as JSON (incidents by ``incidents_upload_id`` from ``POST
    /v1/uploads``), or as a multipart form with the ``incidents`` file and the parameters in
    ``params``, which stores the upload and starts the plan in one request. A malformed file
    gets 422 naming the row and column.
    """
    req = await _plan_request(request, storage, city, settings.max_upload_bytes)
    return plan_out(storage, await run_in_threadpool(runner.submit, req))


def _active_out(storage: Storage, active: ActivePlan) -> ActivePlanOut:
    found = storage.active_plan()
    if found is None:
        msg = "no plan is active (PUT /v1/active-plan makes one active)"
        raise NotFoundError(msg)
    plan_id, activated_at = found
    points = active.points(plan_id)
    return ActivePlanOut(
        plan_id=plan_id,
        activated_at=activated_at,
        slots=[s.label for s in points.slots],
        staffed_points={s.label: len(points.by_slot.get(s.label, ())) for s in points.slots},
    )


@router.put(
    "/active-plan",
    response_model=ActivePlanOut,
    responses={**ERRORS, **AUTH_ERRORS},
    tags=["dispatch"],
)
def activate(
    req: ActivateRequest, _key: KeyDep, storage: StorageDep, active: ActiveDep
) -> ActivePlanOut:
    """Make a finished plan active: dispatch then ranks the control points it staffs in the
    slot of each incident beside the posts (every worker within seconds)."""
    storage.set_active_plan(req.plan_id)
    active.forget()
    return _active_out(storage, active)


@router.get(
    "/active-plan",
    response_model=ActivePlanOut,
    responses={**ERRORS, **AUTH_ERRORS},
    tags=["dispatch"],
)
def show_active(_key: KeyDep, storage: StorageDep, active: ActiveDep) -> ActivePlanOut:
    """The active plan, its slots and how many control points each staffs; 404 if none."""
    return _active_out(storage, active)


@router.delete(
    "/active-plan", status_code=204, responses={**ERRORS, **AUTH_ERRORS}, tags=["dispatch"]
)
def deactivate(_key: KeyDep, storage: StorageDep, active: ActiveDep) -> Response:
    """No plan active: dispatch ranks the posts only. 404 if none was active."""
    if not storage.clear_active_plan():
        msg = "no plan is active"
        raise NotFoundError(msg)
    active.forget()
    return Response(status_code=204)


@router.get("/plans", response_model=PlanList, responses=AUTH_ERRORS)
def list_plans(
    _key: KeyDep,
    storage: StorageDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> PlanList:
    """Plans, newest first."""
    return PlanList(
        plans=[plan_out(storage, r) for r in storage.list_plans(limit=limit, offset=offset)]
    )


@router.get("/plans/{plan_id}", response_model=PlanOut, responses={**ERRORS, **AUTH_ERRORS})
def get_plan(plan_id: PlanId, _key: KeyDep, storage: StorageDep) -> PlanOut:
    """Status, progress and (once done) the summary figures of a plan."""
    return plan_out(storage, storage.get_plan(plan_id))


def _done(storage: Storage, plan_id: str) -> None:
    row = storage.get_plan(plan_id)
    if row.status != "done":
        msg = f"plan {plan_id!r} is {row.status}: its files exist once it is done"
        raise NotFoundError(msg)


@router.get(
    "/plans/{plan_id}/layers/{name}.geojson",
    responses={
        200: {
            "content": {"application/geo+json": {"schema": {"type": "object"}}},
            "description": "GeoJSON (EPSG:4326)",
        },
        **ERRORS,
        **AUTH_ERRORS,
    },
)
def layer(plan_id: PlanId, name: Layer, _key: KeyDep, storage: StorageDep) -> Response:
    """One layer of a finished plan as GeoJSON."""
    _done(storage, plan_id)
    data = storage.plan_file(plan_id, f"{name.value}.geojson")
    return Response(data, media_type="application/geo+json")


@router.get(
    "/plans/{plan_id}/lines/{line_id}/gpx",
    responses={
        200: {
            "content": {"application/gpx+xml": {"schema": {"type": "string"}}},
            "description": "GPX 1.1",
        },
        **ERRORS,
        **AUTH_ERRORS,
    },
)
def gpx(plan_id: PlanId, line_id: LineId, _key: KeyDep, storage: StorageDep) -> Response:
    """A patrol line as GPX, for navigation apps."""
    _done(storage, plan_id)
    names = [n for n in storage.plan_file_names(plan_id) if n.startswith(f"gpx/{line_id}_")]
    if not names:
        msg = f"plan {plan_id!r} has no patrol line {line_id!r}"
        raise NotFoundError(msg)
    return Response(
        storage.plan_file(plan_id, names[0]),
        media_type="application/gpx+xml",
        headers={"Content-Disposition": f'attachment; filename="{line_id}.gpx"'},
    )


@router.get("/plans/{plan_id}/links", response_model=MapLinks, responses={**ERRORS, **AUTH_ERRORS})
def links(
    plan_id: PlanId, request: Request, _key: KeyDep, storage: StorageDep, signer: SignerDep
) -> MapLinks:
    """Signed, expiring links to the command map and to every line's officer map."""
    _done(storage, plan_id)
    base = str(request.base_url).rstrip("/")
    token, expires = signer.sign(plan_id, "command")
    lines = []
    try:
        doc = json.loads(storage.plan_file(plan_id, "patrol_lines.geojson"))
    except NotFoundError:
        doc = {"features": []}
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        line_id, slot = str(props.get("line_id")), str(props.get("slot"))
        line_token, _ = signer.sign(plan_id, f"line:{line_id}")
        query = urlencode({"slot": slot, "token": line_token})
        url = f"{base}/v1/plans/{plan_id}/lines/{quote(line_id)}/map?{query}"
        lines.append(LineLink(line_id=line_id, slot=slot, url=url))
    command = f"{base}/v1/plans/{plan_id}/map?{urlencode({'token': token})}"
    return MapLinks(
        expires_at=expires,
        command_map=command,
        lines=lines,
    )
