"""The app factory: docs, health, and the routers other layers ship, included when installed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.testclient import TestClient

from selfcast.platform.app import create_app
from selfcast.settings import Settings

PIKA_ROUTES = {
    ("get", "/developer/balance"),
    ("get", "/developer/topup/products"),
    ("post", "/developer/topup"),
    ("post", "/proxy/realtime/meeting-session"),
    ("get", "/proxy/realtime/session/{session_id}"),
    ("delete", "/proxy/realtime/session/{session_id}"),
    ("post", "/proxy/openai/v1/images/generations"),
    ("post", "/proxy/minimax/v1/files/upload"),
    ("post", "/proxy/minimax/v1/voice_clone"),
}


def test_openapi_lists_v1_and_every_pika_route_and_docs_render(settings: Settings) -> None:
    with TestClient(create_app(settings, optional_routers=())) as c:
        spec = c.get("/openapi.json").json()
        have = {(m, p) for p, ops in spec["paths"].items() for m in ops}
        assert have >= PIKA_ROUTES
        for path in ("/v1/keys", "/v1/balance", "/v1/products", "/v1/topups", "/v1/voices", "/v1/avatars", "/v1/sessions",
                     "/v1/sessions/{session_id}/transcript", "/v1/sessions/{session_id}/notes"):  # fmt: skip
            assert path in spec["paths"], path
        assert c.get("/docs").status_code == 200
        assert c.get("/healthz").json()["status"] == "ok"


def test_extra_routers_and_their_upload_limits_are_included(settings: Settings) -> None:
    extra = APIRouter()

    @extra.post("/extra/upload")
    def upload() -> dict[str, bool]:
        return {"ok": True}

    extra.upload_limits = {"/extra/upload": 2 * 1024 * 1024}  # type: ignore[attr-defined]
    with TestClient(create_app(settings, extra_routers=[extra], optional_routers=())) as c:
        assert c.post("/extra/upload", content=b"x" * (1024 * 1024 + 10)).status_code == 200
        assert c.post("/extra/upload", content=b"x" * (2 * 1024 * 1024 + 10)).status_code == 413
        assert c.post("/healthz", content=b"x" * (1024 * 1024 + 10)).status_code == 413


def test_installed_room_router_is_mounted_by_default(settings: Settings) -> None:
    with TestClient(
        create_app(settings, optional_routers=("selfcast.meeting.room.server:build_room_router",))
    ) as c:
        assert c.get("/room/standup").status_code == 200
