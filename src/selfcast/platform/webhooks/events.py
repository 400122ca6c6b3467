"""The event types an endpoint can subscribe to, and the envelope every delivery carries.

The envelope is the Standard Webhooks shape (``type``, ``timestamp``, ``data``); the ``webhook-id``
header (``msg_…``) is minted once per event, so every attempt and every endpoint sees the same id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from selfcast.errors import BadInput
from selfcast.platform.ids import new_id, utcnow

SESSION_STATE = "session.state"
TRANSCRIPT_SEGMENT = "transcript.segment"
NOTES_READY = "notes.ready"
BALANCE_LOW = "balance.low"
EVENT_TYPES = (SESSION_STATE, TRANSCRIPT_SEGMENT, NOTES_READY, BALANCE_LOW)

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def parse_events(value: object) -> tuple[str, ...]:
    """A subscription list: None or empty means every type; unknown names are a BadInput naming them."""
    allowed = f"use any of {', '.join(EVENT_TYPES)} (or leave events out for all)"
    if value is None or value == [] or value == "":
        return EVENT_TYPES
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"events must be a list of event type names; {allowed}")
    unknown = [v for v in value if v not in EVENT_TYPES]
    if unknown:
        raise BadInput(f"unknown webhook event type(s) {', '.join(repr(u[:40]) for u in unknown[:5])}; {allowed}")
    return tuple(t for t in EVENT_TYPES if t in value)


def message_id() -> str:
    return new_id("msg", 16)


def envelope(event_type: str, data: Mapping[str, JsonValue]) -> str:
    """The JSON body of one event, serialised once so every attempt sends the same bytes."""
    ts = utcnow().isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": ts, "data": dict(data)}, separators=(",", ":"))
