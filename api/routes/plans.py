"""Plans and uploads: ``/v1/uploads``, ``/v1/plans`` and a finished plan's files and links."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, Response, UploadFile

from api.active import ActivePlan
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
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > settings.max_upload_bytes:
            raise HTTPException(413, f"upload larger than {settings.max_upload_bytes:,} bytes")
        chunks.append(chunk)
    from starlette.concurrency import run_in_threadpool

    row, notes = await run_in_threadpool(
        store_upload,
        storage,
        b"".join(chunks),
        filename=file.filename,
        timezone=timezone,
        city=city,
    )
    return UploadOut(**row.__dict__, notes=notes)


@router.post("/plans", status_code=202, response_model=PlanOut, responses={**ERRORS, **AUTH_ERRORS})
def create_plan(req: PlanRequest, _key: KeyDep, runner: RunnerDep, storage: StorageDep) -> PlanOut:
    """Start a plan (coverage, control points, patrol lines); poll ``GET /v1/plans/{id}``."""
    return plan_out(storage, runner.submit(req))


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
def get_active(_key: KeyDep, storage: StorageDep, active: ActiveDep) -> ActivePlanOut:
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
