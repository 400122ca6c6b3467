"""The app factory: docs, health, every router mounted (portal, room, commands), upload limits."""

from __future__ import annotations

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
    with TestClient(create_app(settings)) as c:
        spec = c.get("/openapi.json").json()
        have = {(m, p) for p, ops in spec["paths"].items() for m in ops}
        assert have >= PIKA_ROUTES
        for path in ("/v1/keys", "/v1/balance", "/v1/products", "/v1/topups", "/v1/voices", "/v1/avatars", "/v1/sessions",
                     "/v1/sessions/{session_id}/transcript", "/v1/sessions/{session_id}/notes"):  # fmt: skip
            assert path in spec["paths"], path
        assert c.get("/docs").status_code == 200
        assert c.get("/healthz").json()["status"] == "ok"


def test_upload_routes_take_their_files_and_every_other_route_stops_at_a_megabyte(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        big = b"x" * (1024 * 1024 + 10)
        # past the body limit, so the route sees the body and answers about its content (401: no key)
        assert c.post("/v1/avatars", content=big).status_code == 401
        assert c.post("/v1/avatars", content=b"x" * (10 * 1024 * 1024 + 10)).status_code == 413
        assert c.post("/healthz", content=big).status_code == 413
        assert c.post("/v1/sessions", content=big).status_code == 413


def test_the_portal_the_room_and_agent_commands_are_always_mounted(settings: Settings) -> None:
    with TestClient(create_app(settings)) as c:
        assert c.get("/room/standup").status_code == 200
        assert c.get("/signin").status_code == 200
        paths = c.get("/openapi.json").json()["paths"]
        assert "/v1/sessions/{session_id}/commands" in paths
