"""The FastAPI app: ``create_app(settings)``; run it with ``patrol serve``.

The city (network, posts, dispatcher) is loaded once in the lifespan, never at import. Plans
left ``queued`` or ``running`` by a process that died are marked failed there too.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.active import ActivePlan
from api.city import City, load_city
from api.config import Settings
from api.errors import NotFoundError, UnavailableError
from api.fastpath import DispatchFastPath
from api.maps import MapService
from api.routes import coverage, dispatch, health, maps, plans
from api.runner import INTERRUPTED, PlanRunner
from api.schemas import PlanRequest
from api.security import KeyChecker, LinkSigner, link_secret
from api.storage import Storage
from geo.errors import PatrolError

log = logging.getLogger("patrol.api")

DESCRIPTION = """Patrol planning for police command centres.

* **dispatch**: who reaches an incident first, on the road network (`POST /v1/dispatch/nearest`);
* **coverage**: minutes from the nearest post to a point;
* **plans**: control points and patrol lines for the night, computed in the background;
* **maps**: command and officer maps behind signed, expiring links.

Planning endpoints need an API key (`X-API-Key`, made with `patrol keys create`).
"""


def status_of(exc: PatrolError) -> int:
    """The HTTP status of an error raised on purpose."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, UnavailableError | LookupError):
        return 503  # e.g. maps.assets.MissingAssetError: an installation problem
    return 422  # InputError, CRSError, UnreachableError, InfeasibleError


def _body(
    detail: str, error: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "error": error}, status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    """One place that turns errors into JSON bodies ``{"detail", "error"}``."""

    @app.exception_handler(PatrolError)
    async def patrol_error(request: Request, exc: PatrolError) -> JSONResponse:
        return _body(str(exc), type(exc).__name__, status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _body("; ".join(parts) or "invalid request", "ValidationError", 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _body(str(exc.detail), "HTTPError", exc.status_code, exc.headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:  # pragma: no cover
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _body(f"internal error: {type(exc).__name__}", "InternalError", 500)


def add_body_models(app: FastAPI, *models: type[BaseModel]) -> None:
    """Put ``models`` into the OpenAPI components: routes that read their body by hand (to
    take JSON or a form) refer to them from ``openapi_extra``."""
    plain = app.openapi
    done = False

    def openapi() -> dict[str, Any]:
        nonlocal done
        schema = plain()
        if not done:
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                body = model.model_json_schema(ref_template="#/components/schemas/{model}")
                for name, sub in body.pop("$defs", {}).items():
                    components.setdefault(name, sub)
                components.setdefault(model.__name__, body)
            done = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def keep_out_of_gc() -> None:
    """Move everything alive now (the loaded city: half a million objects at city scale) out
    of the garbage collector's sight. A full collection walked them all, ~0.2 s, in the middle
    of whichever request triggered it: the tail of dispatch latency. Before a fork this also
    keeps the collector from writing to (and so copying) the shared pages."""
    gc.collect()
    gc.freeze()


def mark_interrupted_plans(storage: Storage) -> None:
    """Plans left queued or running by a process that died are failed, with a reason."""
    failed = storage.fail_interrupted(INTERRUPTED)
    if failed:
        log.warning("%d plan(s) interrupted by the last stop marked failed", len(failed))


def create_app(
    settings: Settings | None = None, *, city: City | None = None, mark_interrupted: bool = True
) -> FastAPI:
    """The service.

    Parameters
    ----------
    settings
        Configuration; from the environment (``PATROL_*``) when None.
    city
        An already loaded city (tests share one); loaded from ``settings`` when None.
    mark_interrupted
        Mark plans left queued or running by a dead process failed at start-up. Workers of a
        pre-forked server (:func:`api.serve.run`) leave it to the parent, which does it once
        before they start: a worker must not fail a plan another worker is computing.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        storage = Storage(settings.database)
        if mark_interrupted:
            mark_interrupted_plans(storage)
        loaded = city or load_city(settings)
        keep_out_of_gc()
        runner = PlanRunner(storage, loaded, settings)
        app.state.settings = settings
        app.state.storage = storage
        app.state.city = loaded
        app.state.runner = runner
        app.state.keys = KeyChecker(storage)
        app.state.active = ActivePlan(storage, loaded)
        app.state.signer = LinkSigner(
            link_secret(settings.map_link_secret, settings.data_dir), ttl_s=settings.map_link_ttl_s
        )
        app.state.maps = MapService(storage, settings.plans_dir, tiles=settings.map_tiles)
        try:
            yield
        finally:
            runner.shutdown()

    app = FastAPI(
        title="Patrol planner",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    if settings.dispatch_fast_path:
        # added before CORS, so CORS wraps it: its answers get the CORS headers too
        app.add_middleware(DispatchFastPath)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type"],
        )
    add_error_handlers(app)
    add_body_models(app, PlanRequest)
    app.include_router(health.router)
    for router in (dispatch.router, coverage.router, plans.router, maps.router):
        app.include_router(router, prefix="/v1")
    return app
