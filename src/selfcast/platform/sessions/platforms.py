"""Which meeting platform a URL belongs to (pika-contract: Meet and Zoom; plus Teams, Jitsi and
this server's built-in room)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selfcast.errors import BadInput

PLATFORMS = ("google_meet", "zoom", "teams", "jitsi", "room")
_ROOM_PATH = re.compile(r"^/room/[A-Za-z0-9_-]+/?$")


def _host_is(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def infer_platform(url: str, *, server_base_url: str = "") -> str | None:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if _host_is(host, "meet.google.com"):
        return "google_meet"
    if _host_is(host, "zoom.us") or _host_is(host, "zoom.com"):
        return "zoom"
    if _host_is(host, "teams.microsoft.com") or _host_is(host, "teams.live.com"):
        return "teams"
    if _host_is(host, "meet.jit.si") or "#config" in url:
        return "jitsi"
    if _ROOM_PATH.match(parts.path or ""):
        server = urlsplit(server_base_url)
        same_server = (
            server.hostname and host == server.hostname.lower() and (parts.port or 80) == (server.port or 80)
        )
        local = host in ("127.0.0.1", "localhost", "::1") and server.hostname in (
            "127.0.0.1",
            "localhost",
            "0.0.0.0",
            "::1",
        )
        if same_server or (local and (parts.port or 80) == (server.port or 80)):
            return "room"
    return None


def resolve_platform(url: str | None, platform: str | None, *, server_base_url: str = "") -> str:
    """Validate the meeting URL and decide its platform; a clear BadInput otherwise."""
    url = (url or "").strip()
    if not url:
        raise BadInput("meet_url is required: the meeting link to join")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"meet_url {url[:200]!r} is not an http(s) meeting link")
    if platform:
        platform = platform.strip().lower()
        if platform not in PLATFORMS:
            raise BadInput(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
        return platform
    found = infer_platform(url, server_base_url=server_base_url)
    if found is None:
        raise BadInput(
            f"can't tell the meeting platform from {url[:200]!r}; pass platform ({', '.join(PLATFORMS)})"
        )
    return found
