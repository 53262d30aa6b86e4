"""Dependencies of the routes, as ``Annotated`` aliases; tests override the getters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from api.active import ActivePlan
from api.city import City
from api.config import Settings
from api.maps import MapService
from api.runner import PlanRunner
from api.security import KeyChecker, LinkSigner
from api.storage import KeyRow, Storage


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_city(request: Request) -> City:
    return request.app.state.city


async def get_storage(request: Request) -> Storage:
    return request.app.state.storage


async def get_runner(request: Request) -> PlanRunner:
    return request.app.state.runner


async def get_signer(request: Request) -> LinkSigner:
    return request.app.state.signer


async def get_maps(request: Request) -> MapService:
    return request.app.state.maps


async def get_active(request: Request) -> ActivePlan:
    return request.app.state.active


async def get_keys(request: Request) -> KeyChecker:
    return request.app.state.keys


SettingsDep = Annotated[Settings, Depends(get_settings)]
CityDep = Annotated[City, Depends(get_city)]
StorageDep = Annotated[Storage, Depends(get_storage)]
RunnerDep = Annotated[PlanRunner, Depends(get_runner)]
SignerDep = Annotated[LinkSigner, Depends(get_signer)]
MapsDep = Annotated[MapService, Depends(get_maps)]
ActiveDep = Annotated[ActivePlan, Depends(get_active)]


def require_key(
    settings: SettingsDep,
    keys: Annotated[KeyChecker, Depends(get_keys)],
    x_api_key: Annotated[str | None, Header(description="API key (`patrol keys create`)")] = None,
) -> KeyRow | None:
    """The caller's key; 401 without one, 403 with a wrong or revoked one."""
    if not settings.require_api_keys:
        return None
    if not x_api_key:
        raise HTTPException(401, "an API key is needed: send it in the X-API-Key header")
    row = keys.check(x_api_key)
    if row is None:
        raise HTTPException(403, "invalid or revoked API key")
    return row


KeyDep = Annotated[KeyRow | None, Depends(require_key)]
