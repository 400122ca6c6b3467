"""Zoom's web client: the meeting URL is rewritten to ``app.zoom.us/wc/<id>/join``."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

from selfcast.errors import BadInput
from selfcast.meeting.platforms.base import PlatformSpec


class ZoomSpec(PlatformSpec):
    def rewrite_url(self, url: str, *, bot_name: str, password: str | None) -> str:
        parts = urlsplit(url)
        m = re.search(r"/(?:j|s|w|wc|my)/(\d{9,12})", parts.path) or re.search(r"/wc/(\d{9,12})", parts.path)
        if not m:
            raise BadInput(f"{url!r} has no Zoom meeting number (expected /j/<9-12 digits>)")
        q = parse_qs(parts.query)
        pwd = password or (q.get("pwd") or [""])[0]
        query = urlencode({"pwd": pwd}) if pwd else ""
        return f"https://app.zoom.us/wc/{m.group(1)}/join" + (f"?{query}" if query else "")


ZOOM = ZoomSpec(
    name="zoom",
    name_inputs=("#input-for-name", "#inputname", 'input[placeholder="Your Name" i]'),
    password_inputs=("#input-for-pwd", 'input[type="password"]'),
    join_selectors=("button.preview-join-button", "#joinBtn"),
    join_texts=("Join",),
    waiting_texts=("Please wait, the meeting host will let you in soon", "Waiting for the host to start the meeting"),
    state_texts={
        "removed": ("You have been removed from this meeting", "The host has removed you from this meeting"),
        "ended": ("This meeting has been ended by host", "The meeting has ended"),
        "denied": ("The host has denied your request", "You were not admitted"),
        "blocked": ("We detected you may be a bot", "must use Zoom RTMS"),
        "not_found": ("This meeting ID is not valid", "Invalid meeting ID", "Meeting does not exist"),
        "sign_in_required": ("This meeting is for authorized attendees only", "Sign in to join"),
    },
    in_call_selectors=('button[aria-label="Leave"]', "#wc-footer", ".footer__leave-btn"),
    participants=(".participants-item__display-name",),
    self_texts=("(Me)", "(me)"),
    speaker=(".speaker-active-container__video-frame .video-avatar__avatar-name", ".speaker-bar-container__video-frame--active .video-avatar__avatar-name"),
    chat_open=('button[aria-label*="open the chat panel"]', 'button[aria-label^="Chat"]'),
    chat_input=(".chat-box__chat-textarea", 'div[contenteditable="true"][aria-label*="chat" i]', 'textarea[aria-label*="chat" i]'),
    chat_messages=(".new-chat-message__container",),
    chat_id_attr="id",
    chat_author=(".chat-item__sender",),
    chat_text=(".new-chat-message__content", ".chat-message__text-content"),
    leave=('button[aria-label="Leave"]', ".footer__leave-btn"),
    leave_confirm=("button.leave-meeting-options__btn--danger",),
    reload_on_blocked=True,
)
