"""The built-in room (``/room/<id>``): our own page, so its states are data attributes, not prose."""

from __future__ import annotations

from selfcast.meeting.platforms.base import PlatformSpec

ROOM = PlatformSpec(
    name="room",
    headful=False,
    name_inputs=("#lobby #name",),
    join_selectors=("#lobby #join",),
    waiting_selectors=('body[data-state="joining"]',),
    state_selectors={
        "removed": ('body[data-state="removed"] #notice',),
        "ended": ('body[data-state="ended"] #notice',),
        "denied": ('body[data-state="denied"] #notice',),
        "blocked": ('body[data-state="full"] #notice',),
        "not_found": ('body[data-state="not_found"] #notice',),
    },
    in_call_selectors=('body[data-state="joined"] #grid', 'body[data-state="reconnecting"] #grid'),
    participants=("#grid .tile[data-peer-id]",),
    participant_name_attr="data-name",
    self_selectors=(".tile[data-self]",),
    self_texts=(),
    speaker=('#grid .tile[data-speaking="1"]',),
    chat_input=("#chat-input",),
    chat_send=("#chat-send",),
    chat_messages=("#chat-log .msg",),
    chat_id_attr="data-message-id",
    chat_author=(".author",),
    chat_text=(".text",),
    leave=("#leave",),
)
