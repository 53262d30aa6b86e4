"""``GET /v1/coverage/point``: minutes from the nearest post."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CityDep
from api.routes import ERRORS
from api.routes.dispatch import within
from api.schemas import PointCoverage, SnappedPoint

router = APIRouter(prefix="/coverage", tags=["coverage"])


@router.get("/point", response_model=PointCoverage, responses=ERRORS)
async def point(
    lon: Annotated[float, Query(ge=-180, le=180, examples=[24.945])],
    lat: Annotated[float, Query(ge=-90, le=90, examples=[60.168])],
    city: CityDep,
) -> PointCoverage:
    """Network travel time from the nearest post to the point, in minutes."""
    loc, eta_s, i = city.dispatcher.nearest_time(lon, lat)
    reached = math.isfinite(eta_s)
    return PointCoverage(
        mode=city.mode,  # type: ignore[arg-type]
        point=SnappedPoint(lon=loc.lon, lat=loc.lat, snap_distance_m=loc.snap_distance_m),
        minutes=eta_s / 60.0 if reached else None,
        post_id=city.dispatcher.post_ids[i] if reached else None,
        within_min=within(eta_s),
    )
