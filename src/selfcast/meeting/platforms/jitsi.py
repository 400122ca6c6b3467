"""Jitsi Meet: configuration rides in the URL hash, so the pre-join screen can be skipped."""

from __future__ import annotations

import json
from urllib.parse import quote, urlsplit, urlunsplit

from selfcast.meeting.platforms.base import PlatformSpec


class JitsiSpec(PlatformSpec):
    def rewrite_url(self, url: str, *, bot_name: str, password: str | None) -> str:
        parts = urlsplit(url)
        cfg = {
            "config.prejoinConfig.enabled": False,
            "config.prejoinPageEnabled": False,
            "config.startWithAudioMuted": False,
            "config.startWithVideoMuted": False,
            "userInfo.displayName": bot_name,
        }
        frag = "&".join(f"{k}={quote(json.dumps(v))}" for k, v in cfg.items())
        if parts.fragment:
            frag = parts.fragment + "&" + frag
        return urlunsplit(parts._replace(fragment=frag))


JITSI = JitsiSpec(
    name="jitsi",
    name_inputs=('input[placeholder="Enter your name"]', "#premeeting-name-input", 'input[data-testid="prejoin.input"]'),
    password_inputs=('input[name="lockKey"]', 'input[type="password"]'),
    join_texts=("Join meeting", "Join", "OK", "Ask to join"),
    join_selectors=('[data-testid="prejoin.joinMeeting"]',),
    waiting_texts=("Asking to join meeting", "You'll be able to join once someone accepts your request",
                   "Waiting for the host"),
    state_texts={
        "removed": ("You have been kicked", "You were kicked", "kicked you from the meeting"),
        "ended": ("The meeting has been ended", "The meeting was ended", "Thank you for using"),
        "denied": ("Your request to join was rejected", "You have been rejected",
                   "Password required and the one you entered was wrong"),
        "not_found": ("This conference does not exist", "Meeting not found"),
        "sign_in_required": ("Waiting for an authenticated user", "Authentication required"),
    },
    in_call_selectors=("#new-toolbox", '[aria-label="Leave the meeting"]', ".toolbox-content-items"),
    participants=(".participants_pane .participant-item [data-testid*=participant] .name", "#filmstripRemoteVideosContainer .displayname", "span.displayname"),
    self_selectors=("#localDisplayName",),
    speaker=(".dominant-speaker .displayname",),
    chat_open=('[aria-label="Open chat"]', '[aria-label^="Chat"]'),
    chat_input=("#chat-input-messagebox", 'textarea[placeholder*="message" i]'),
    chat_messages=(".chatmessage-wrapper", ".chatmessage"),
    chat_author=(".display-name",),
    chat_text=(".usermessage",),
    leave=('[aria-label="Leave the meeting"]', '[aria-label="Leave"]'),
    leave_confirm_texts=("Leave meeting",),
)
