"""``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CityDep, MapsDep, SettingsDep
from api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
async def healthz(settings: SettingsDep, city: CityDep, maps: MapsDep) -> Health:
    """The service is up and its city is loaded."""
    return Health(
        demo=settings.is_demo,
        mode=city.mode,  # type: ignore[arg-type]
        nodes=city.net.n_nodes,
        posts=len(city.posts),
        dispatch_table=city.dispatcher.uses_table,
        maps=maps.unavailable is None,
    )
