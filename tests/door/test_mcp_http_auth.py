"""The MCP HTTP transport answers only requests that carry the server's developer key: without it
anyone who reaches the port could drive the meetings of the key's account (stdio stays local)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from selfcast.door.mcp.httpauth import RequireDevKey
from selfcast.door.mcp.server import build_server
from selfcast.errors import Unauthorized

KEY = "dk_" + "k" * 43
INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}  # fmt: skip
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def client() -> TestClient:
    server = build_server("http://127.0.0.1:9", KEY)  # the platform is never called by initialize
    app = RequireDevKey(server.streamable_http_app(host="127.0.0.1"), KEY)
    return TestClient(app, base_url="http://127.0.0.1:8788")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer dk_wrong", f"Basic {KEY}", f"Bearer {KEY}x", "Bearer sk_live_123"],
)
def test_mcp_http_refuses_requests_without_the_servers_dev_key(authorization: str | None) -> None:
    headers = dict(ACCEPT) if authorization is None else {**ACCEPT, "Authorization": authorization}
    with client() as c:
        r = c.post("/mcp", json=INIT, headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.json()["error"]["code"] == "unauthorized" and r.json()["error"]["message"]


def test_mcp_http_serves_a_request_with_the_dev_key() -> None:
    with client() as c:
        r = c.post("/mcp", json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {KEY}"})
    assert r.status_code == 200, r.text
    assert '"serverInfo"' in r.text and "selfcast" in r.text


def test_mcp_http_will_not_start_without_a_dev_key() -> None:
    with pytest.raises(Unauthorized, match="needs a developer key"):
        RequireDevKey(build_server("http://127.0.0.1:9", KEY).streamable_http_app(), "")


def test_selfcast_mcp_over_http_requires_the_key_end_to_end(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The real command (``selfcast mcp --transport http``) serves through the same door."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SELFCAST_DEV_KEY": KEY, "SELFCAST_API_URL": "http://127.0.0.1:9",
           "SELFCAST_DATA_DIR": str(tmp_path)}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfcast.cli.main", "mcp", "--transport", "http", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 30
        while True:
            try:
                anon = httpx.post(url, json=INIT, headers=ACCEPT, timeout=5)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()  # type: ignore[union-attr]
                time.sleep(0.2)
        assert anon.status_code == 401
        ok = httpx.post(url, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {KEY}"}, timeout=5)
        assert ok.status_code == 200 and '"serverInfo"' in ok.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
