"""Google Meet, per the field notes in meeting-platforms.md (2026 selectors and texts)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from selfcast.meeting.platforms.base import PlatformSpec


class MeetSpec(PlatformSpec):
    def rewrite_url(self, url: str, *, bot_name: str, password: str | None) -> str:
        # Pin the UI language so the text tables match.
        parts = urlsplit(url)
        q = dict(parse_qsl(parts.query))
        q.setdefault("hl", "en")
        return urlunsplit(parts._replace(query=urlencode(q)))


MEET = MeetSpec(
    name="google_meet",
    name_inputs=(
        'input[type="text"][aria-label="Your name"]',
        'input[type="text"][placeholder*="name" i]',
        'input[jsname][type="text"]',
        'input[type="text"]:not([aria-hidden="true"])',
    ),
    join_texts=("Ask to join", "Ask to join anyway", "Join now", "Join the call now", "Join anyway", "Join here too",
                "Switch here"),
    waiting_texts=(
        "Asking to be let in",
        "You'll join the call when someone lets you in",
        "Please wait until a meeting host brings you into the call",
        "Waiting for the host to let you in",
        "Waiting for the host to join",
    ),
    state_texts={
        "removed": ("You've been removed from the meeting",),
        "ended": ("Meeting ended", "Call ended", "You left the meeting", "The call has ended"),
        "denied": ("Someone in the call denied your request to join", "No one responded to your request to join the call",
                   "Your request to join was denied", "Ask to join again"),
        "blocked": ("You can't join this video call", "There is a problem connecting to this video call"),
        "not_found": ("Check your meeting code", "Invalid video call name", "Your meeting code has expired",
                      "The meeting code you entered doesn't work"),
        "sign_in_required": ("Sign in with your Google Account", "Use your Google Account"),
    },
    not_in_call_texts=("Take notes for me",),
    in_call_selectors=('[data-participant-id]', '[data-self-name]', 'button[aria-label*="Share screen"]',
                       'button[aria-label*="Present now"]'),
    captcha_selectors=('iframe[src*="recaptcha"]',),
    post_join_texts=("Got it", "Dismiss", "Join now"),
    participants=('div[aria-label="Participants"][role="list"] div[role="listitem"]', "[data-participant-id]"),
    participant_name_attr="",
    self_selectors=("[data-self-name]",),
    speaker=('[data-participant-id] [data-audio-level]:not([data-audio-level="0"])',),
    chat_open=('button[aria-label^="Chat with everyone"]', 'button[aria-label^="Chat"]'),
    chat_input=('textarea[aria-label="Send a message to everyone"]', 'textarea[placeholder*="Send a message"]'),
    chat_send=('button[aria-label="Send a message"]', 'button[aria-label^="Send"]'),
    chat_messages=("div[data-message-id]",),
    chat_id_attr="data-message-id",
    chat_author=("[data-sender-name]", ".poVWob"),
    chat_text=("[data-message-text]", 'div[jsname="dTKtvb"]'),
    captions_on=('button[aria-label="Turn on captions"]',),
    captions=('div[aria-label="Captions"] .nMcdL', "[data-caption]"),
    caption_speaker=(".NWpY1d", "[data-caption-speaker]"),
    caption_text=(".ygicle", "[data-caption-text]"),
    leave=('button[aria-label="Leave call"]',),
    leave_confirm_texts=("Just leave the meeting", "Just leave the call"),
)
