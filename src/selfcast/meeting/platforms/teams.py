"""Microsoft Teams on the web (anonymous guest join)."""

from __future__ import annotations

from selfcast.meeting.platforms.base import PlatformSpec

TEAMS = PlatformSpec(
    name="teams",
    pre_join_texts=("Continue on this browser", "Join on the web instead", "Use the web app instead"),
    name_inputs=('input[placeholder*="name" i]', 'input[data-tid="prejoin-display-name-input"]'),
    join_texts=("Join now",),
    join_selectors=('button[data-tid="prejoin-join-button"]',),
    waiting_texts=("Someone will let you in shortly", "When the meeting starts, we'll let people know you're waiting"),
    state_texts={
        "removed": ("You've been removed from this meeting", "Someone removed you from the meeting"),
        "ended": ("The meeting has ended", "The call ended", "You left the meeting"),
        "denied": ("Sorry, but you were denied access to the meeting",),
        "blocked": ("We couldn't connect you",),
        "not_found": ("This meeting doesn't exist", "We couldn't find this meeting", "The link you used is invalid"),
        "sign_in_required": ("We need to verify your info before you can join", "Sign in to join this meeting"),
    },
    in_call_selectors=("#hangup-button", '[data-tid="hangup-main-btn"]', '[data-tid="call-hangup"]'),
    participants=('[data-tid^="participantsInCall-"]', '[data-cid="roster-participant"]'),
    self_texts=("(You)", "(Unverified)"),
    speaker=('[data-tid="voice-level-stream-outline"][data-speaking="true"]',),
    chat_open=('#chat-button', 'button[aria-label^="Chat"]'),
    chat_input=('div[data-tid="ckeditor"][contenteditable="true"]', 'div[contenteditable="true"][aria-label*="message" i]'),
    chat_send=('button[data-tid="newMessageCommands-send"]',),
    chat_messages=('[data-tid="chat-pane-message"]',),
    chat_id_attr="data-mid",
    chat_author=('[data-tid="message-author-name"]',),
    chat_text=('[data-tid="chat-pane-message"] [id^="content-"]', '[data-tid="message-body"]'),
    captions=('[data-tid="closed-caption-text"]',),
    leave=("#hangup-button", '[data-tid="hangup-main-btn"]'),
)
