"""``POST /v1/dispatch/nearest``: who reaches an incident first."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic_core import to_json

from api.active import ActivePlan
from api.city import City
from api.deps import ActiveDep, CityDep
from api.routes import ERRORS
from api.schemas import DispatchRequest, DispatchResponse
from geo.errors import InputError
from planner.dispatch import THRESHOLDS_MIN, Dispatcher

router = APIRouter(prefix="/dispatch", tags=["dispatch"])


def dispatcher_for(city: City, mode: str | None) -> Dispatcher:
    if mode is not None and mode != city.mode:
        msg = f"mode {mode!r}: this service answers on the {city.mode} network only"
        raise InputError(msg)
    return city.dispatcher


def within(eta_s: float) -> dict[str, bool]:
    return {f"{m:g}": bool(eta_s <= m * 60.0) for m in THRESHOLDS_MIN}


def answer(city: City, active: ActivePlan, req: DispatchRequest) -> bytes:
    """The JSON body of a dispatch answer (:class:`DispatchResponse`'s shape), for the route
    below and for :class:`api.fastpath.DispatchFastPath`."""
    dispatcher = dispatcher_for(city, req.mode)
    staffed = active.staffed(req.at)
    points = staffed[2] if staffed is not None else None
    loc, routes = dispatcher.nearest(req.lon, req.lat, k=req.k, points=points)
    # Built as plain data and written by pydantic-core's JSON encoder, not validated again
    # through DispatchResponse: on a hot path that check cost more than the search. The shape
    # is DispatchResponse's, which the tests validate every answer against.
    body = {
        "mode": city.mode,
        "point": {"lon": loc.lon, "lat": loc.lat, "snap_distance_m": loc.snap_distance_m},
        "nearest_eta_s": routes[0].eta_s,
        "within_min": within(routes[0].eta_s),
        "responders": [
            {
                "rank": r + 1,
                "kind": route.kind,
                "id": route.post_id,
                "name": route.post_name,
                "eta_s": route.eta_s,
                "distance_m": route.distance_m,
                "route": {"type": "LineString", "coordinates": route.coordinates},
            }
            for r, route in enumerate(routes)
        ],
        "active_plan": None
        if staffed is None
        else {
            "plan_id": staffed[0],
            "slot": staffed[1],
            "staffed_points": 0 if points is None else len(points.ids),
        },
    }
    return to_json(body)


@router.post("/nearest", response_model=DispatchResponse, responses=ERRORS)
async def nearest(req: DispatchRequest, city: CityDep, active: ActiveDep) -> Response:
    """The ``k`` responders ranked by network travel time from the responder TO the point,
    with routes: the posts and, while a plan is active (``PUT /v1/active-plan``), the control
    points it staffs in the slot of the incident's time (``at``, default now).

    A point farther from every road than the snap limit lies outside the network's area: 422.
    Valid requests are answered by :class:`api.fastpath.DispatchFastPath` before they reach
    this route; it sends everything else here.
    """
    return Response(answer(city, active, req), media_type="application/json")
