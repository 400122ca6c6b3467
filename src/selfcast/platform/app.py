"""The app factory: ``create_app(settings) -> FastAPI``.

Builds the store (migrations applied on start), registry, executor, payment provider and the
dead-worker monitor; maps ``SelfcastError`` codes to HTTP statuses; mounts the v1 API, the
Pika-compatible routes, payments, and any optional routers (the portal, the built-in meeting
room) that are installed — see ``OPTIONAL_ROUTERS``.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from selfcast import __version__
from selfcast.errors import SelfcastError
from selfcast.platform.context import Platform
from selfcast.platform.limits import UPLOAD_LIMITS, BodyLimitMiddleware, limit_lookup
from selfcast.platform.payments import provider_for
from selfcast.platform.sessions.executor import Executor, LocalExecutor
from selfcast.platform.sessions.monitor import SessionMonitor
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.store import Store
from selfcast.settings import Settings

log = logging.getLogger("selfcast.platform")

# Routers other layers ship, as "module:attr" where attr is an APIRouter or a factory
# ``(settings) -> APIRouter``. Each is included when its module exists; an import error inside an
# existing module is raised, not hidden. Add new ones here.
OPTIONAL_ROUTERS: tuple[str, ...] = (
    "selfcast.platform.portal:build_router",
    "selfcast.meeting.room.server:build_room_router",
    "selfcast.platform.routes.commands:build_router",  # agent commands to live sessions (live layer)
)

_MINIMAX_CODES = {
    "unauthorized": 1004,
    "insufficient_credits": 1008,
    "not_found": 2013,
    "bad_input": 2013,
    "too_large": 2013,
    "conflict": 2013,
}
_STATUS_CODES = {
    400: "bad_input",
    401: "unauthorized",
    402: "insufficient_credits",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    503: "unavailable",
}


def error_body(path: str, code: str, message: str, detail: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": {"code": code, "message": message},
        "code": code,
        "message": message,
        "error_message": message,
    }
    if detail:
        body["error"]["detail"] = detail
    if path.startswith("/proxy/minimax"):
        body["base_resp"] = {"status_code": _MINIMAX_CODES.get(code, 1000), "status_msg": message}
    return body


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SelfcastError)
    async def _selfcast(request: Request, exc: SelfcastError) -> JSONResponse:
        return JSONResponse(
            error_body(request.url.path, exc.code, exc.message, exc.detail), status_code=exc.http_status
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}; see /docs"
        return JSONResponse(
            error_body(request.url.path, code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header"))
            parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            error_body(request.url.path, "bad_input", "invalid request: " + "; ".join(parts)), status_code=400
        )


def _include_optional(app: FastAPI, refs: Sequence[str], settings: Settings, limits: dict[str, int]) -> None:
    for ref in refs:
        module, _, attr = ref.partition(":")
        try:
            present = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            present = False
        if present:
            obj = getattr(importlib.import_module(module), attr)
            router = obj if isinstance(obj, APIRouter) else obj(settings)
            limits.update(getattr(router, "upload_limits", {}) or {})
            app.include_router(router)


def create_app(
    settings: Settings | None = None,
    *,
    executor: Executor | None = None,
    extra_routers: Sequence[APIRouter] = (),
    optional_routers: Sequence[str] = OPTIONAL_ROUTERS,
    monitor_interval_s: float = 1.0,
    dead_after_s: float = 15.0,
    start_grace_s: float = 60.0,
) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_dirs()
    store = Store.open(settings.db_url)
    registry = SessionRegistry(store, settings, dead_after_s=dead_after_s, start_grace_s=start_grace_s)
    executor = executor or LocalExecutor(settings)
    platform = Platform(
        settings=settings,
        store=store,
        registry=registry,
        executor=executor,
        payments=provider_for(settings),
        monitor=SessionMonitor(registry, executor, interval_s=monitor_interval_s),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        platform.monitor.start()
        try:
            yield
        finally:
            platform.monitor.stop()
            executor.shutdown()
            platform.monitor.sweep()
            store.dispose()

    app = FastAPI(
        title="selfcast",
        version=__version__,
        description="Control plane of selfcast: dev keys, credits, payments, voices, avatars and meeting sessions. "
        "The Pika-compatible routes let the original pikastream-video-meeting skill work unchanged.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    limits = dict(UPLOAD_LIMITS)
    _install_error_handlers(app)

    from selfcast.platform.routes import payments, pika, v1

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(v1.router)
    app.include_router(pika.router)
    app.include_router(payments.router)
    for r in extra_routers:
        limits.update(getattr(r, "upload_limits", {}) or {})
        app.include_router(r)
    _include_optional(app, optional_routers, settings, limits)
    app.add_middleware(BodyLimitMiddleware, limit=limit_lookup(limits))
    return app
