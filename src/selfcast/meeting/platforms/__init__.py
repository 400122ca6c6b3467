"""Platform adapters: which platform a URL belongs to, and its selector table.

The URL rule lives here once; the API (``platform.sessions.platforms``) and the bot call it. The
skill script keeps its own copy because it ships alone; ``tests/skill/test_platform_rule_agrees.py``
runs both over one table of links.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from selfcast.errors import BadInput
from selfcast.meeting.platforms.base import PlatformAdapter, PlatformSpec
from selfcast.meeting.platforms.jitsi import JITSI
from selfcast.meeting.platforms.meet import MEET
from selfcast.meeting.platforms.room import ROOM
from selfcast.meeting.platforms.teams import TEAMS
from selfcast.meeting.platforms.zoom import ZOOM

SPECS: dict[str, PlatformSpec] = {s.name: s for s in (MEET, ZOOM, TEAMS, JITSI, ROOM)}
PLATFORMS = tuple(SPECS)

# Hosts (and their subdomains) of each hosted platform; Jitsi also runs self-hosted, see _is_jitsi.
_HOSTS: dict[str, tuple[str, ...]] = {
    "google_meet": ("meet.google.com",),
    "zoom": ("zoom.us", "zoom.com", "zoomgov.com"),
    "teams": ("teams.microsoft.com", "teams.live.com", "teams.microsoft.us", "teams.cloud.microsoft"),
    "jitsi": ("meet.jit.si", "8x8.vc"),
}
_ROOM_PATH = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/room/[A-Za-z0-9_-]{1,64}/?$")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def _host_is(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _origin(parts: SplitResult) -> tuple[str, int]:
    """Host and port, with every loopback name counted as one (a server on 0.0.0.0 is reached at 127.0.0.1)."""
    host = (parts.hostname or "").lower()
    return ("localhost" if host in _LOOPBACK else host), parts.port or (443 if parts.scheme == "https" else 80)


def _is_jitsi(parts: SplitResult) -> bool:
    labels = (parts.hostname or "").lower().split(".")
    return any("jitsi" in label for label in labels[:-1] or labels) or parts.fragment.startswith("config.")


def is_server_room(url: str, server_base_url: str) -> bool:
    """True when ``url`` is ``<server_base_url>/room/<id>``: this server's own built-in room."""
    parts, base = urlsplit(url.strip()), urlsplit(server_base_url.strip())
    m = _ROOM_PATH.match(parts.path)
    return bool(m and base.hostname and parts.hostname and _origin(parts) == _origin(base)
                and m.group("prefix") == base.path.rstrip("/"))


def platform_of(url: str, *, server_base_url: str | None = None) -> str | None:
    """The platform a link belongs to, or None when no rule matches (the caller must name it).

    With ``server_base_url`` a ``/room/<id>`` link is a room only on that server; without one (the
    bot, which joins whatever link it is given) a ``/room/<id>`` path on any host is a room.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if server_base_url is not None and is_server_room(url, server_base_url):
        return "room"
    for name, domains in _HOSTS.items():
        if any(_host_is(host, d) for d in domains):
            return name
    if _is_jitsi(parts):
        return "jitsi"
    if server_base_url is None and _ROOM_PATH.match(parts.path):
        return "room"
    return None


def check_link(url: str) -> str:
    """The link stripped; BadInput unless it is http(s) with a host."""
    if not isinstance(url, str) or not url.strip():
        raise BadInput("the meeting link is empty; pass the full link, e.g. https://meet.google.com/abc-defg-hij")
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url[:200]!r} is not a meeting link: it needs http:// or https:// and a host, "
                       "e.g. https://meet.google.com/abc-defg-hij")
    return url


def detect_platform(url: str, *, server_base_url: str | None = None) -> str:
    """google_meet, zoom, teams, jitsi or room; BadInput naming the fix for anything else."""
    url = check_link(url)
    found = platform_of(url, server_base_url=server_base_url)
    if found is None:
        where = f"this server's room ({server_base_url.rstrip('/')}/room/<id>)" if server_base_url else "the built-in room"
        raise BadInput(
            f"{urlsplit(url).hostname!r} is not a supported meeting platform; supported: Google Meet, Zoom, "
            f"Microsoft Teams, Jitsi (meet.jit.si or a host with 'jitsi' in its name) and {where}; "
            f"for another host pass platform ({', '.join(PLATFORMS)})"
        )
    return found


def get_spec(platform: str) -> PlatformSpec:
    try:
        return SPECS[platform]
    except KeyError:
        raise BadInput(f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}") from None


def adapter_for(platform: str) -> PlatformAdapter:
    return PlatformAdapter(get_spec(platform))


__all__ = [
    "PLATFORMS",
    "SPECS",
    "PlatformAdapter",
    "PlatformSpec",
    "adapter_for",
    "check_link",
    "detect_platform",
    "get_spec",
    "is_server_room",
    "platform_of",
]
