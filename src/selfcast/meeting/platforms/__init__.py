"""Platform adapters: which platform a URL belongs to, which links the bot may open, and selectors.

The URL rule lives here once; the API (``platform.sessions.platforms``) and the bot call it. The
skill script keeps its own copy of the link -> platform part because it ships alone;
``tests/skill/test_platform_rule_agrees.py`` runs both over one table of links.

A meeting link may only name a platform's own hosts, this server's room, or a host the operator
listed (``meeting.jitsi_hosts``, ``meeting.allowed_hosts``): anything else would let a caller point
the bot's browser at any page (SSRF). The link decides the platform; a claimed one only names the
platform of an operator-listed host.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from selfcast.errors import BadInput
from selfcast.meeting.platforms.base import PlatformAdapter, PlatformSpec
from selfcast.meeting.platforms.jitsi import JITSI
from selfcast.meeting.platforms.meet import MEET
from selfcast.meeting.platforms.room import ROOM
from selfcast.meeting.platforms.teams import TEAMS
from selfcast.meeting.platforms.zoom import ZOOM
from selfcast.settings import MeetingSettings

SPECS: dict[str, PlatformSpec] = {s.name: s for s in (MEET, ZOOM, TEAMS, JITSI, ROOM)}
PLATFORMS = tuple(SPECS)
MAX_URL_LENGTH = 2048  # longer than any real meeting link; a bound on what is stored and opened

# Hosts (and their subdomains) of each hosted platform; self-hosted Jitsi is meeting.jitsi_hosts.
_HOSTS: dict[str, tuple[str, ...]] = {
    "google_meet": ("meet.google.com",),
    "zoom": ("zoom.us", "zoom.com", "zoomgov.com"),
    "teams": ("teams.microsoft.com", "teams.live.com", "teams.microsoft.us", "teams.cloud.microsoft"),
    "jitsi": ("meet.jit.si", "8x8.vc"),
}
_ROOM_PATH = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/room/[A-Za-z0-9_-]{1,64}/?$")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})
_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True, slots=True)
class MeetingLink:
    """A checked link and the platform it decides."""

    url: str
    platform: str


@dataclass(frozen=True, slots=True)
class LinkRule:
    """What this deployment lets the bot open: its own room and the operator's listed hosts.

    Host entries are ``host`` (any port) or ``host:port``. These hosts (and this server's room)
    may resolve to private addresses; every other host must resolve to public ones only.
    """

    server_base_url: str | None = None
    jitsi_hosts: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()

    def exempt(self, host: str, port: int) -> bool:
        """True when the operator vouches for ``host:port`` (or it is this server's own origin)."""
        host = host.lower().rstrip(".")
        if self.server_base_url and _origin_of(host, port) == _origin(urlsplit(self.server_base_url.strip())):
            return True
        return any(_entry_matches(e, host, port) for e in (*self.jitsi_hosts, *self.allowed_hosts))

    @classmethod
    def from_settings(cls, meeting: MeetingSettings, server_base_url: str | None) -> LinkRule:
        return cls(server_base_url, tuple(meeting.jitsi_hosts), tuple(meeting.allowed_hosts))

    def listed(self, parts: SplitResult, entries: tuple[str, ...]) -> bool:
        """True when the link's host (and port) is one of ``entries``."""
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return any(_entry_matches(e, host, port) for e in entries)


def _entry_matches(entry: str, host: str, port: int) -> bool:
    e = entry.strip().lower().rstrip(".")
    if not e:
        return False
    try:
        parts = urlsplit("//" + e)
        e_host, e_port = (parts.hostname or ""), parts.port
    except ValueError:
        return False
    same = e_host == host or (e_host in _LOOPBACK and host in _LOOPBACK)
    return same and (e_port is None or e_port == port)


def _host_is(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _origin_of(host: str, port: int) -> tuple[str, int]:
    return ("localhost" if host in _LOOPBACK else host), port


def _origin(parts: SplitResult) -> tuple[str, int]:
    """Host and port, with every loopback name counted as one (a server on 0.0.0.0 is reached at 127.0.0.1)."""
    host = (parts.hostname or "").lower().rstrip(".")
    return _origin_of(host, parts.port or (443 if parts.scheme == "https" else 80))


def is_server_room(url: str, server_base_url: str) -> bool:
    """True when ``url`` is ``<server_base_url>/room/<id>``: this server's own built-in room."""
    parts, base = urlsplit(url.strip()), urlsplit(server_base_url.strip())
    m = _ROOM_PATH.match(parts.path)
    try:
        return bool(m and base.hostname and parts.hostname and _origin(parts) == _origin(base)
                    and m.group("prefix") == base.path.rstrip("/"))
    except ValueError:  # a port that is not a number
        return False


def platform_of(url: str, *, server_base_url: str | None = None, jitsi_hosts: tuple[str, ...] = ()) -> str | None:
    """The platform a link belongs to by its host alone, or None (then only an operator-listed host may be opened).

    A ``/room/<id>`` link is a room only on this server (``server_base_url``).
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if server_base_url is not None and is_server_room(url, server_base_url):
        return "room"
    for name, domains in _HOSTS.items():
        if any(_host_is(host, d) for d in domains):
            return name
    if jitsi_hosts and LinkRule(jitsi_hosts=jitsi_hosts).listed(parts, jitsi_hosts):
        return "jitsi"
    return None


def check_link(url: str) -> str:
    """The link stripped, its scheme and host lower-cased; BadInput unless it is an http(s) link with a host.

    The one validation of a link's shape: the API stores what this returns and the bot opens it.
    """
    if not isinstance(url, str) or not url.strip():
        raise BadInput("the meeting link is empty; pass the full link, e.g. https://meet.google.com/abc-defg-hij")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise BadInput(f"the meeting link is {len(url)} characters long; the limit is {MAX_URL_LENGTH}: "
                       "pass the link as the meeting service shows it")
    if _BAD_CHARS.search(url):
        raise BadInput(f"{url[:200]!r} is not a meeting link: it contains spaces, control characters or "
                       "backslashes; pass the link exactly as the meeting service shows it")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url[:200]!r} is not a meeting link: it needs http:// or https:// and a host, "
                       "e.g. https://meet.google.com/abc-defg-hij")
    if parts.username is not None or parts.password is not None:
        raise BadInput(f"{url[:200]!r} carries a user name or password before the host; pass the meeting link "
                       "without it (a meeting password goes in meeting_password)")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise BadInput(f"{url[:200]!r} has a port that is not a number (1-65535)") from None
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def _unsupported(url: str, server_base_url: str | None) -> BadInput:
    where = f"this server's room ({server_base_url.rstrip('/')}/room/<id>)" if server_base_url else "this server's room"
    return BadInput(
        f"{urlsplit(url).hostname!r} is not a supported meeting platform; supported: Google Meet, Zoom, "
        f"Microsoft Teams, Jitsi (meet.jit.si, 8x8.vc) and {where}; an operator can allow another "
        "host (a self-hosted Jitsi, an internal meeting server) in meeting.jitsi_hosts or meeting.allowed_hosts"
    )


def detect_platform(url: str, *, server_base_url: str | None = None, jitsi_hosts: tuple[str, ...] = ()) -> str:
    """google_meet, zoom, teams, jitsi or room; BadInput naming the fix for anything else."""
    url = check_link(url)
    found = platform_of(url, server_base_url=server_base_url, jitsi_hosts=jitsi_hosts)
    if found is None:
        raise _unsupported(url, server_base_url)
    return found


def resolve_link(url: str | None, platform: str | None, rule: LinkRule) -> MeetingLink:
    """The one check of a meeting link, for the API and the bot alike: its shape, its host, its platform.

    The link decides the platform (a link to this server's room is a room whatever the caller
    claims: Pika's own skill sends ``google_meet`` for links it cannot place). A claimed platform
    only names what an operator-listed host (``meeting.allowed_hosts``) runs. The host's
    addresses are checked separately (:func:`selfcast.meeting.netguard.check_link_address`) and
    again by the browser's guard on every connection.
    """
    if not (url or "").strip():
        raise BadInput("meet_url is required: the meeting link to join")
    url = check_link(url or "")
    claimed = (platform or "").strip().lower() or None
    if claimed is not None and claimed not in PLATFORMS:
        raise BadInput(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
    found = platform_of(url, server_base_url=rule.server_base_url, jitsi_hosts=rule.jitsi_hosts)
    if found is not None:
        return MeetingLink(url, found)
    parts = urlsplit(url)
    if rule.listed(parts, rule.allowed_hosts):
        if claimed is None and _ROOM_PATH.match(parts.path):
            claimed = "room"
        if claimed is None:
            raise BadInput(f"{parts.hostname!r} is an allowed meeting host, but its platform cannot be told from "
                           f"the link; pass platform ({', '.join(PLATFORMS)})")
        return MeetingLink(url, claimed)
    raise _unsupported(url, rule.server_base_url)


def get_spec(platform: str) -> PlatformSpec:
    try:
        return SPECS[platform]
    except KeyError:
        raise BadInput(f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}") from None


def adapter_for(platform: str) -> PlatformAdapter:
    return PlatformAdapter(get_spec(platform))


__all__ = [
    "MAX_URL_LENGTH",
    "PLATFORMS",
    "SPECS",
    "LinkRule",
    "MeetingLink",
    "PlatformAdapter",
    "PlatformSpec",
    "adapter_for",
    "check_link",
    "detect_platform",
    "get_spec",
    "is_server_room",
    "platform_of",
    "resolve_link",
]
