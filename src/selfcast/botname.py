"""The one rule for a bot's display name, used by the API (on create, and for saved defaults) and
by the bot itself, so the API refuses exactly what the bot would refuse later in the meeting."""

from __future__ import annotations

from selfcast.errors import BadInput

MAX_BOT_NAME = 80  # Meet/Zoom/Teams name fields hold at least this many characters


def check_bot_name(value: object, *, field: str = "bot_name") -> str:
    """The stripped name, 1–80 printable characters (no control, format or line-separator
    characters such as NUL, newline, U+202E), or ``BadInput`` saying what to change."""
    if not isinstance(value, str):
        raise BadInput(f"{field} must be a string: the name other participants see")
    name = value.strip()
    if not name:
        raise BadInput(f"{field} is required: the name other participants see (1–{MAX_BOT_NAME} characters)")
    if len(name) > MAX_BOT_NAME:
        raise BadInput(f"{field} is too long ({len(name)} characters); keep it to {MAX_BOT_NAME} or fewer")
    bad = next((c for c in name if not c.isprintable()), None)
    if bad is not None:
        raise BadInput(f"{field} contains the non-printable character U+{ord(bad):04X}; "
                       "use letters, digits, spaces and punctuation only")
    return name
