"""Per-account agent defaults (voice, avatar, bot name, language, auto-leave limits)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from selfcast.botname import check_bot_name
from selfcast.errors import BadInput
from selfcast.platform import avatars, voices
from selfcast.platform.ids import utcnow
from selfcast.platform.store.models import AgentDefaults

LANGUAGES: dict[str, str] = {
    "en": "English", "de": "Deutsch", "es": "Español", "fr": "Français", "it": "Italiano",
    "ja": "日本語", "nl": "Nederlands", "pt": "Português", "zh": "中文",
}  # fmt: skip
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class Defaults:
    voice_id: str = ""
    avatar_id: str = ""
    bot_name: str = ""
    language: str = "en"
    max_duration_min: float | None = None
    alone_timeout_min: float | None = None

    def session_fields(self) -> dict[str, object]:
        """What a session launch fills in when its request leaves a field out (only set ones):
        ``voice_id``, ``avatar_id``, ``bot_name``, ``language``, ``max_duration_s``, ``alone_timeout_s``."""
        out: dict[str, object] = {
            k: v for k, v in (("voice_id", self.voice_id), ("avatar_id", self.avatar_id),
                              ("bot_name", self.bot_name), ("language", self.language)) if v
        }  # fmt: skip
        if self.max_duration_min:
            out["max_duration_s"] = self.max_duration_min * 60
        if self.alone_timeout_min:
            out["alone_timeout_s"] = self.alone_timeout_min * 60
        return out


def get(db: Session, account_id: str) -> Defaults:
    row = db.get(AgentDefaults, account_id)
    if row is None:
        return Defaults()
    return Defaults(
        voice_id=row.voice_id,
        avatar_id=row.avatar_id,
        bot_name=row.bot_name,
        language=row.language,
        max_duration_min=None if row.max_duration_s is None else row.max_duration_s / 60,
        alone_timeout_min=None if row.alone_timeout_s is None else row.alone_timeout_s / 60,
    )


def _minutes(value: str, field: str) -> float | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        minutes = float(value)
    except ValueError:
        raise BadInput(f"{field} must be a number of minutes, e.g. 45") from None
    if not (0 < minutes <= MAX_MINUTES):
        raise BadInput(f"{field} must be between 0 and {MAX_MINUTES} minutes (empty means no limit)")
    return minutes


def update(
    db: Session,
    account_id: str,
    *,
    voice_id: str,
    avatar_id: str,
    bot_name: str,
    language: str,
    max_duration_min: str,
    alone_timeout_min: str,
    builtin_voices: Collection[str] = (),
) -> Defaults:
    """Validate everything first, then write: a bad field leaves the stored defaults untouched."""
    voice_id, avatar_id, bot_name = voice_id.strip(), avatar_id.strip(), bot_name.strip()
    language = (language or "en").strip()
    if voice_id and voice_id not in builtin_voices:
        voices.get(db, account_id, voice_id)  # NotFound unless the account owns it
    if avatar_id:
        avatars.get(db, account_id, avatar_id)
    if bot_name:
        bot_name = check_bot_name(bot_name, field="bot name")  # the bot's own rule
    if not _LANG.match(language):
        raise BadInput(f"language {language!r} is not a language code such as en or pt-BR")
    max_s = _minutes(max_duration_min, "leave after")
    alone_s = _minutes(alone_timeout_min, "leave when alone after")
    row = db.get(AgentDefaults, account_id)
    if row is None:
        row = AgentDefaults(account_id=account_id)
        db.add(row)
    row.voice_id, row.avatar_id, row.bot_name, row.language = voice_id, avatar_id, bot_name, language
    row.max_duration_s = None if max_s is None else max_s * 60
    row.alone_timeout_s = None if alone_s is None else alone_s * 60
    row.updated_at = utcnow()
    db.flush()
    return get(db, account_id)
