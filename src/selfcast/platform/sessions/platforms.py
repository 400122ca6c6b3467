"""The meeting platform of a session request: the caller's claim checked against the one URL rule
(``selfcast.meeting.platforms``), with this server's own rooms recognised by its base URL."""

from __future__ import annotations

from selfcast.errors import BadInput
from selfcast.meeting.platforms import PLATFORMS, check_link, detect_platform, is_server_room


def resolve_platform(url: str | None, platform: str | None, *, server_base_url: str) -> str:
    """Validate the meeting URL and decide its platform; a clear BadInput otherwise.

    A named platform wins, except that a link to this server's room is always ``room``: Pika's own
    skill sends ``google_meet`` for links it cannot place, and those must keep joining our rooms.
    """
    if not (url or "").strip():
        raise BadInput("meet_url is required: the meeting link to join")
    url = check_link(url or "")
    if not platform:
        return detect_platform(url, server_base_url=server_base_url)
    name = platform.strip().lower()
    if name not in PLATFORMS:
        raise BadInput(f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}")
    return "room" if is_server_room(url, server_base_url) else name
