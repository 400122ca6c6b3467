"""``build_router(settings)``: every portal route on one router, plus its CSS and script."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response

from selfcast.platform.portal import account, auth, memory, studio, webhooks
from selfcast.platform.portal.web import HERE, Portal, route_class_for
from selfcast.settings import Settings

STATIC = {"portal.css": "text/css", "portal.js": "text/javascript"}


def build_router(settings: Settings) -> APIRouter:
    portal = Portal(settings)
    router = APIRouter(route_class=route_class_for(portal), include_in_schema=False)

    @router.get("/")
    def home(request: Request) -> Response:
        return portal.redirect("/account/model-settings" if portal.viewer_or_none(request) else "/signin")

    @router.get("/static/portal/{name}")
    def static(name: str) -> Response:
        if name not in STATIC:
            raise HTTPException(404, f"no portal file {name}")
        return FileResponse(
            HERE / "static" / name, media_type=STATIC[name], headers={"Cache-Control": "public, max-age=300"}
        )

    auth.add_routes(router, portal)
    account.add_routes(router, portal)
    studio.add_routes(router, portal)
    memory.add_routes(router, portal)
    webhooks.add_routes(router, portal)
    return router
