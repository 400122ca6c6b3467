"""The meeting link of a session request, checked once: its shape, its platform (the one URL
rule in ``selfcast.meeting.platforms``, with this server's rooms recognised by its base URL) and
that its host does not resolve to an address the bot must not reach."""

from __future__ import annotations

from urllib.parse import urlsplit

from selfcast.errors import BadInput
from selfcast.meeting.netguard import check_link_address
from selfcast.meeting.platforms import PLATFORMS, LinkRule, MeetingLink, resolve_link
from selfcast.settings import MeetingSettings


def resolve_platform(url: str | None, platform: str | None, *, server_base_url: str,
                     meeting: MeetingSettings | None = None) -> MeetingLink:
    """The checked link (normalised, to be stored and opened as is) and its platform; BadInput otherwise.

    The link decides the platform: a link to this server's room is always ``room`` (Pika's own
    skill sends ``google_meet`` for links it cannot place, and those must keep joining our rooms).
    """
    claimed = (platform or "").strip().lower()
    if claimed and claimed not in PLATFORMS:  # the API also takes "page" (sessions.page), which has no link
        raise BadInput(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}, or page (no meet_url: "
                       "the avatar as a web page for a meeting bot vendor to load)")
    rule = LinkRule.from_settings(meeting or MeetingSettings(), server_base_url)
    link = resolve_link(url, platform, rule)
    parts = urlsplit(link.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    check_link_address(parts.hostname or "", port, rule.exempt(parts.hostname or "", port))
    return link
