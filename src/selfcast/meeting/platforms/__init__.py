"""Platform adapters: which platform a URL belongs to, and its selector table."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selfcast.errors import BadInput
from selfcast.meeting.platforms.base import PlatformAdapter, PlatformSpec
from selfcast.meeting.platforms.jitsi import JITSI
from selfcast.meeting.platforms.meet import MEET
from selfcast.meeting.platforms.room import ROOM
from selfcast.meeting.platforms.teams import TEAMS
from selfcast.meeting.platforms.zoom import ZOOM

SPECS: dict[str, PlatformSpec] = {s.name: s for s in (MEET, ZOOM, TEAMS, JITSI, ROOM)}
PLATFORMS = tuple(SPECS)

_ROOM_PATH = re.compile(r"^/room/[A-Za-z0-9_-]{4,64}/?$")


def detect_platform(url: str) -> str:
    """google_meet, zoom, teams, jitsi or room; BadInput for anything else."""
    if not isinstance(url, str) or not url.strip():
        raise BadInput("meeting URL is empty; pass the full link, e.g. https://meet.google.com/abc-defg-hij")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r} is not a meeting link (expected http:// or https:// with a host)")
    host = parts.hostname.lower()
    if _ROOM_PATH.match(parts.path):
        return "room"
    if host == "meet.google.com":
        if not re.match(r"^/[a-z]{3}-[a-z]{4}-[a-z]{3}/?$|^/lookup/|^/[A-Za-z0-9_-]{3,}/?$", parts.path):
            raise BadInput(f"{url!r} has no Google Meet meeting code (expected meet.google.com/abc-defg-hij)")
        return "google_meet"
    if host == "zoom.us" or host.endswith(".zoom.us") or host.endswith("zoomgov.com"):
        return "zoom"
    if host in ("teams.microsoft.com", "teams.live.com", "teams.cloud.microsoft") or host.endswith(".teams.microsoft.com"):
        return "teams"
    if host in ("meet.jit.si", "8x8.vc") or "jitsi" in host:
        return "jitsi"
    raise BadInput(
        f"{host!r} is not a supported meeting platform; supported: Google Meet, Zoom, Microsoft Teams, "
        "Jitsi (meet.jit.si or a host with 'jitsi' in its name; pass platform='jitsi' for others) and the built-in room"
    )


def get_spec(platform: str) -> PlatformSpec:
    try:
        return SPECS[platform]
    except KeyError:
        raise BadInput(f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}") from None


def adapter_for(platform: str) -> PlatformAdapter:
    return PlatformAdapter(get_spec(platform))


__all__ = ["PLATFORMS", "SPECS", "PlatformAdapter", "PlatformSpec", "adapter_for", "detect_platform", "get_spec"]
