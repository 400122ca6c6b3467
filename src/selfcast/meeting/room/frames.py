"""What a room WebSocket frame must be before the hub acts on it.

Every frame a browser sends is untrusted: it is parsed and checked here, in one place, so the hub
only ever sees a well-formed :class:`Frame` and anything else ends the socket with a message that
names what was wrong (never an exception in the server).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

MAX_FRAME = 64 * 1024  # an SDP offer with every codec is ~10 KB; nothing legitimate comes near this
KINDS = ("join", "signal", "chat", "leave", "kick", "end")
CLOSE_BAD_FRAME = 4400  # the room's "bad input" close code (the page shows the message)
CLOSE_TOO_BIG = 1009  # RFC 6455: message too big


class FrameError(Exception):
    """A frame the hub will not act on; ``close_code`` ends the socket after ``message`` is sent."""

    def __init__(self, message: str, close_code: int = CLOSE_BAD_FRAME) -> None:
        super().__init__(message)
        self.message = message
        self.close_code = close_code


JSONValue = str | int | float | bool | None | list["JSONValue"] | dict[str, "JSONValue"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One client message: its ``type`` and its other fields (a JSON object)."""

    kind: str
    body: dict[str, JSONValue]

    def text(self, key: str, *, limit: int) -> str:
        """A string field ('' when absent); a non-string is refused rather than stringified."""
        value = self.body.get(key, "")
        if value is None:
            return ""
        if not isinstance(value, str):
            raise FrameError(f"{self.kind!r} field {key!r} must be a string, got {_json_kind(value)}")
        if len(value) > limit:
            raise FrameError(f"{self.kind!r} field {key!r} is longer than {limit} characters")
        return value

    def obj(self, key: str) -> dict[str, JSONValue]:
        value = self.body.get(key)
        if not isinstance(value, dict):
            raise FrameError(f"{self.kind!r} field {key!r} must be a JSON object")
        return value


def _json_kind(value: JSONValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {str: "a string", list: "a list", int: "a number", float: "a number"}.get(type(value), "something else")


def parse_frame(message: Mapping[str, object]) -> Frame:
    """An ASGI ``websocket.receive`` message -> a :class:`Frame`, or :class:`FrameError`."""
    text = message.get("text")
    if not isinstance(text, str):
        raise FrameError("binary frames are not accepted; send JSON text", 1003)
    if len(text) > MAX_FRAME:
        raise FrameError(f"frame is {len(text)} characters; the limit is {MAX_FRAME}", CLOSE_TOO_BIG)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise FrameError("frame is not valid JSON; send one JSON object per frame") from None
    if not isinstance(data, dict):
        raise FrameError(f"frame must be a JSON object like {{\"type\": \"join\"}}, got {_json_kind(data)}")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FrameError(f"frame type {repr(kind)[:40]} is not one of {', '.join(KINDS)}")
    return Frame(kind=kind, body=data)
