"""Sessions whose meeting is a web page (``platform: "page"``): what a meeting bot vendor loads.

Recall's Output Media, Attendee and Meeting BaaS join the call themselves and load a web page as
their bot's camera and microphone. Such a session needs no meeting link: it gets a private
built-in room; our bot joins it as in any room session (as its host), and the caller gets a
``page_url``, a signed guest invitation to that room's output view (``/room/<id>/page``): the avatar
full-frame with its voice, the page's microphone as the meeting's sound.

Both links are the room's own invitations (one signer, one rule). They expire together, at a fixed
time, so the ``page_url`` is minted again, identically, whenever the session is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from selfcast.errors import BadInput, SelfcastError
from selfcast.meeting.room.output import PAGE, PAGE_PARTICIPANT, bot_platform, is_page
from selfcast.meeting.room.registry import RoomRegistry
from selfcast.settings import Settings

__all__ = ["PAGE", "PAGE_PARTICIPANT", "PageRoom", "bot_platform", "check_page_request", "is_page",
           "open_page_room", "page_url_of"]
LONGEST_SESSION_S = 24 * 3600.0  # a session's max_duration_s is at most this (the registry's rule)
LINK_SLACK_S = 3600.0  # the links outlive the longest the session may run by this (join time, a late page)


@dataclass(frozen=True, slots=True)
class PageRoom:
    room_id: str
    bot_url: str  # the bot's invitation (stored as the session's meet_url)
    expires_at: float  # epoch s; both links end then


def check_page_request(meet_url: str | None) -> None:
    """A page session makes its own meeting: a link as well is a mistake worth naming."""
    if (meet_url or "").strip():
        raise BadInput(
            'platform "page" takes no meet_url: the session makes its own page. Leave meet_url out and hand '
            "the returned page_url to your meeting bot (Recall Output Media, Attendee, Meeting BaaS); to send "
            "the avatar into that meeting link instead, leave platform out"
        )


def open_page_room(rooms: RoomRegistry, base_url: str, *, bot_name: str, max_duration_s: float | None) -> PageRoom:
    """A private room for one page session, and the bot's host invitation to it."""
    room = rooms.create_room(f"{bot_name} (page)"[:200])
    expires_at = room.created_at + (max_duration_s or LONGEST_SESSION_S) + LINK_SLACK_S
    token = rooms.mint_token(room.id, name=bot_name, role="host", expires_at=expires_at)
    return PageRoom(room.id, rooms.invite_url(base_url, room.id, token), expires_at)


def page_url_of(settings: Settings, meet_url: str) -> str | None:
    """A page session's page_url (its ``meet_url`` is the bot's invitation): a guest invitation to the
    output view, expiring with the bot's own; None once they have expired or the room is gone."""
    rooms = RoomRegistry.from_settings(settings)
    parts = urlsplit(meet_url)
    room_id = parts.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        bot = rooms.verify(room_id, parse_qs(parts.query).get("t", [""])[0])
        token = rooms.mint_token(room_id, name=PAGE_PARTICIPANT, role="guest", expires_at=bot.expires_at)
    except SelfcastError:
        return None
    return rooms.page_url(settings.base_url, room_id, token)
