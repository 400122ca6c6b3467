"""The app factory: ``create_app(settings) -> FastAPI``.

Builds the store (migrations applied on start), registry, executor, payment provider and the
dead-worker monitor; maps ``SelfcastError`` codes to HTTP statuses; mounts the v1 API and its
agent commands, the Pika-compatible routes, payments, the portal and the built-in meeting room.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from selfcast import __version__
from selfcast.errors import SelfcastError
from selfcast.meeting.room.server import build_room_router
from selfcast.platform import portal
from selfcast.platform.context import Platform
from selfcast.platform.diskspace import disk_full, is_disk_full
from selfcast.platform.limits import BodyLimitMiddleware
from selfcast.platform.payments import provider_for
from selfcast.platform.quotas import retry_headers
from selfcast.platform.routes import commands, memory, payments, pika, v1, webhooks
from selfcast.platform.sessions.executor import Executor, executor_for
from selfcast.platform.sessions.monitor import SessionMonitor
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.store import Store
from selfcast.platform.webhooks.dispatcher import WebhookDispatcher
from selfcast.platform.webhooks.secretbox import SecretBox
from selfcast.settings import Settings

log = logging.getLogger("selfcast.platform")

_MINIMAX_CODES = {
    "unauthorized": 1004,
    "insufficient_credits": 1008,
    "not_found": 2013,
    "bad_input": 2013,
    "too_large": 2013,
    "conflict": 2013,
    "rate_limited": 1002,
}
_STATUS_CODES = {
    400: "bad_input",
    401: "unauthorized",
    402: "insufficient_credits",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
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
            error_body(request.url.path, exc.code, exc.message, exc.detail),
            status_code=exc.http_status,
            headers=retry_headers(exc),
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

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        """A full disk anywhere a route writes (temp files included) is a 507 naming the place."""
        if not is_disk_full(exc):
            raise exc
        where = Path(exc.filename).parent if exc.filename else request.app.state.platform.settings.data_dir
        err = disk_full(where)
        return JSONResponse(error_body(request.url.path, err.code, err.message), status_code=err.http_status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "header"))
            parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            error_body(request.url.path, "bad_input", "invalid request: " + "; ".join(parts)), status_code=400
        )


def create_app(
    settings: Settings | None = None,
    *,
    executor: Executor | None = None,
    monitor_interval_s: float = 1.0,
    dead_after_s: float = 15.0,
    start_grace_s: float = 60.0,
) -> FastAPI:
    settings = settings or Settings()
    settings.ensure_dirs()
    store = Store.open(settings.db_url)
    registry = SessionRegistry(store, settings, dead_after_s=dead_after_s, start_grace_s=start_grace_s)
    executor = executor or executor_for(settings)  # executor.kind: local processes or Ray actors
    platform = Platform(
        settings=settings,
        store=store,
        registry=registry,
        executor=executor,
        payments=provider_for(settings),
        monitor=SessionMonitor(registry, executor, interval_s=monitor_interval_s),
        webhooks=WebhookDispatcher(store, settings.webhooks, SecretBox.for_settings(settings)),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        platform.monitor.start()
        platform.webhooks.start()
        try:
            yield
        finally:
            platform.webhooks.stop()
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
    _install_error_handlers(app)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(v1.router)
    app.include_router(commands.build_router())
    app.include_router(memory.build_router())
    app.include_router(webhooks.build_router())
    app.include_router(pika.router)
    app.include_router(payments.router)
    app.include_router(portal.build_router(settings))
    app.include_router(build_room_router(settings))
    app.add_middleware(BodyLimitMiddleware)
    return app
