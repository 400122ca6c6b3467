"""The bot's browser cannot reach loopback or private addresses through any meeting link.

Two forbidden listeners (127.0.0.1 and a private-looking alias when this machine has one, else a
second loopback address) count every connection; an "allowed" listener plays a meeting host the
operator listed (meeting.allowed_hosts) and serves hostile pages: a redirect, fetches, images,
iframes and WebSockets aimed at the forbidden ones. The allowed listener's own hits prove the
browser really loaded the pages; the forbidden ones must stay at zero.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from selfcast.errors import BadInput
from selfcast.meeting.bot import MeetingBot
from selfcast.meeting.outcomes import Outcome

pytestmark = [pytest.mark.e2e]
PRIVATE_ALIAS = "10.213.7.1"  # `ip addr add 10.213.7.1/32 dev lo` where allowed


class Listener:
    """An HTTP server that records every request; ``pages`` maps a path to (status, headers, body)."""

    def __init__(self, host: str, pages: dict[str, tuple[int, dict, str]] | None = None) -> None:
        self.hits: list[str] = []
        pages = pages or {}
        hits = self.hits

        class H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                status, headers, body = pages.get(self.path.split("?")[0], (200, {}, "secret internal page"))
                self.send_response(status)
                for k, v in {"Content-Type": "text/html", **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), H)
        self.url = f"http://{host}:{self.server.server_address[1]}"
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _private_host() -> str:
    try:
        with socket.socket() as s:
            s.bind((PRIVATE_ALIAS, 0))
        return PRIVATE_ALIAS
    except OSError:
        return "127.0.0.2"


@pytest.fixture
def forbidden():
    a, b = Listener("127.0.0.1"), Listener(_private_host())
    yield a, b
    a.close()
    b.close()


def hostile_page(targets: list[str]) -> str:
    tags = "".join(f'<img src="{t}/img"><iframe src="{t}/frame"></iframe><link rel="stylesheet" href="{t}/css">'
                   for t in targets)
    js = "".join(f"fetch('{t}/fetch', {{mode: 'no-cors'}}).catch(() => {{}});"
                 f"try {{ new WebSocket('{t.replace('http', 'ws')}/ws'); }} catch (e) {{}}"
                 f"fetch('/done-{i}').catch(() => {{}});" for i, t in enumerate(targets))
    return f"<html><body>{tags}<script>{js}</script></body></html>"


def test_links_to_forbidden_hosts_are_refused_before_any_browser_starts(settings, forbidden) -> None:
    a, b = forbidden
    for url, platform in [(f"{a.url}/x", "jitsi"), (f"{a.url}/x#config.prejoinPageEnabled=false", None),
                          (f"{b.url}/room/abcdef", "room"), (f"{b.url}/", "google_meet"),
                          ("http://169.254.169.254/latest/meta-data/", "zoom")]:
        with pytest.raises(BadInput, match="not a supported meeting platform"):
            MeetingBot(url, "Bot", settings.meeting, platform=platform)
    assert a.hits == [] and b.hits == []


async def test_a_redirect_from_an_allowed_host_cannot_reach_a_forbidden_listener(settings, forbidden) -> None:
    a, b = forbidden
    allowed = Listener("127.0.0.1", {
        "/room/hostile": (302, {"Location": f"{a.url}/redirected"}, ""),
        "/room/hostile2": (307, {"Location": f"{b.url}/redirected"}, ""),
    })
    try:
        settings.meeting.allowed_hosts = [f"127.0.0.1:{allowed.port}"]  # the operator's explicit opt-in
        for path in ("/room/hostile", "/room/hostile2"):
            async with MeetingBot(allowed.url + path, "Bot", settings.meeting) as bot:
                result = await bot.join(timeout_s=10)
                assert result.outcome is Outcome.NETWORK_ERROR, result.steps
                assert any(d.port in (a.port, b.port) for d in bot.guard.refused)
        assert allowed.hits == ["/room/hostile", "/room/hostile2"]
        assert a.hits == [] and b.hits == []
    finally:
        allowed.close()


async def test_scripts_images_frames_and_sockets_on_an_allowed_page_cannot_reach_forbidden_listeners(settings, forbidden) -> None:
    a, b = forbidden
    targets = [a.url, b.url, f"http://localhost:{a.port}", "http://169.254.169.254"]
    allowed = Listener("127.0.0.1", {"/room/page": (200, {}, hostile_page(targets))})
    try:
        settings.meeting.allowed_hosts = [f"127.0.0.1:{allowed.port}"]
        async with MeetingBot(allowed.url + "/room/page", "Bot", settings.meeting) as bot:
            await bot.join(timeout_s=4)  # no join controls on this page: it times out, having run its scripts
            for _ in range(50):
                if sum(p.startswith("/done-") for p in allowed.hits) == len(targets):
                    break
                await asyncio.sleep(0.1)
            refused = {(d.host, d.port) for d in bot.guard.refused}
            # the bot's own media bridge is reached directly (no Python hop on every frame)
            bridge_port = int(bot.bridge.ws_url.split(":")[2].split("/")[0])
            assert bot.bridge.connected and all(d.port != bridge_port for d in bot.guard.decisions)
        assert sum(p.startswith("/done-") for p in allowed.hits) == len(targets), allowed.hits  # the scripts ran
        assert a.hits == [] and b.hits == []
        assert ("127.0.0.1", a.port) in refused and ("169.254.169.254", 80) in refused
    finally:
        allowed.close()


async def test_an_unreachable_meeting_host_is_a_network_error_not_not_found(settings) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    settings.meeting.allowed_hosts = [f"127.0.0.1:{port}"]
    async with MeetingBot(f"http://127.0.0.1:{port}/room/abcdefgh?t=x", "Bot", settings.meeting) as bot:
        result = await bot.join(timeout_s=10)
    assert result.outcome is Outcome.NETWORK_ERROR, result.steps
    with pytest.raises(Exception) as err:
        result.raise_for_outcome()
    assert getattr(err.value, "code", "") == "network_error"


async def test_the_bots_browser_runs_sandboxed(settings) -> None:
    allowed = Listener("127.0.0.1")
    try:
        settings.meeting.allowed_hosts = [f"127.0.0.1:{allowed.port}"]
        async with MeetingBot(allowed.url + "/room/abcdef", "Bot", settings.meeting) as bot:
            await bot.page.goto("chrome://sandbox")
            text = await bot.page.inner_text("body")
        assert "You are adequately sandboxed" in text, text
    finally:
        allowed.close()


async def test_a_meeting_host_that_does_not_resolve_is_a_network_error_naming_dns(settings) -> None:
    settings.meeting.jitsi_hosts = ["no-such-host.invalid"]  # .invalid never resolves (RFC 2606)
    async with MeetingBot("https://no-such-host.invalid/standup", "Bot", settings.meeting) as bot:
        result = await bot.join(timeout_s=10)
    assert result.outcome is Outcome.NETWORK_ERROR, result.steps
    assert "does not resolve" in result.message, result.message
