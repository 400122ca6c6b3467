"""The room's output view as a session platform: ``page`` sessions meet in a private built-in room.

A ``page`` session has no meeting link of its own: its bot joins a private room like any room
bot, and the meeting reaches it through the room's output view (``/room/<id>/page``) that a meeting
bot vendor loads. Kept in the meeting layer so the live session can ask it without the platform.
"""

from __future__ import annotations

PAGE = "page"
PAGE_PARTICIPANT = "Meeting"  # the page's display name in the room: it carries the whole meeting's sound


def is_page(platform: str | None) -> bool:
    return (platform or "").strip().lower() == PAGE


def bot_platform(platform: str) -> str:
    """The platform the bot joins: a page session's bot is in the built-in room."""
    return "room" if is_page(platform) else platform
