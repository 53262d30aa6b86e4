"""``POST /v1/dispatch/nearest``: who reaches an incident first."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Response
from pydantic_core import to_json

from api.active import ActivePlan
from api.city import City
from api.deps import ActiveDep, CityDep
from api.routes import ERRORS
from api.schemas import DispatchRequest, DispatchResponse
from geo.errors import InputError, PatrolError
from planner.dispatch import THRESHOLDS_MIN, Dispatcher, Location, Route, StaffedPoints

router = APIRouter(prefix="/dispatch", tags=["dispatch"])
Staffed = tuple[str, str | None, StaffedPoints | None]  # ActivePlan.staffed: plan, slot, points


def dispatcher_for(city: City, mode: str | None) -> Dispatcher:
    if mode is not None and mode != city.mode:
        msg = f"mode {mode!r}: this service answers on the {city.mode} network only"
        raise InputError(msg)
    return city.dispatcher


def within(eta_s: float) -> dict[str, bool]:
    return {f"{m:g}": bool(eta_s <= m * 60.0) for m in THRESHOLDS_MIN}


def answer(city: City, active: ActivePlan, req: DispatchRequest) -> bytes:
    """The JSON body of a dispatch answer (:class:`DispatchResponse`'s shape); the error
    that refuses the question is raised."""
    found = answer_many(city, active, [req])[0]
    if isinstance(found, PatrolError):
        raise found
    return found


def answer_many(
    city: City, active: ActivePlan, reqs: Sequence[DispatchRequest]
) -> list[bytes | PatrolError]:
    """:func:`answer` for questions that arrived together (:class:`api.fastpath.
    DispatchFastPath` gathers them): those that share the staffed control points are searched
    in one :meth:`Dispatcher.nearest_many`. Each gets its body, or the error that refuses it."""
    out: dict[int, bytes | PatrolError] = {}
    # questions at the same plan and slot share its staffed points (and one search)
    groups: dict[tuple[str, str | None] | None, tuple[Staffed | None, list[int]]] = {}
    for i, req in enumerate(reqs):
        try:
            dispatcher_for(city, req.mode)
        except InputError as exc:
            out[i] = exc
            continue
        staffed = active.staffed(req.at)
        key = None if staffed is None else staffed[:2]
        groups.setdefault(key, (staffed, []))[1].append(i)
    for staffed, members in groups.values():
        points = staffed[2] if staffed is not None else None
        found = city.dispatcher.nearest_many(
            [reqs[i].lon for i in members],
            [reqs[i].lat for i in members],
            k=[reqs[i].k for i in members],
            points=points,
        )
        for i, one in zip(members, found, strict=True):
            out[i] = one if isinstance(one, PatrolError) else _body(city, staffed, *one)
    return [out[i] for i in range(len(reqs))]


def _body(city: City, staffed: Staffed | None, loc: Location, routes: list[Route]) -> bytes:
    # Built as plain data and written by pydantic-core's JSON encoder, not validated again
    # through DispatchResponse: on a hot path that check cost more than the search. The shape
    # is DispatchResponse's, which the tests validate every answer against.
    points = staffed[2] if staffed is not None else None
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
