"""The languages a multilingual Whisper (tiny … large-v2) recognises, by the code its tokenizer uses.

Kept here rather than read from a model so that settings and session launch can check a requested
``language`` without loading a recogniser; ``tests/hearing`` checks the list against the shipped
Whisper base's own language tokens. Our voices speak English only (``VOICE_LANGUAGES``).
"""

from __future__ import annotations

from selfcast.errors import BadInput

_CODES = (
    "en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt "
    "la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc "
    "ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su"
)
WHISPER_LANGUAGES: tuple[str, ...] = tuple(_CODES.split())

# What the shipped text-to-speech voices can speak: a session in another language is heard in that
# language but answered in English, and says so.
VOICE_LANGUAGES: frozenset[str] = frozenset({"en"})


def check_language(code: str) -> str:
    """``code`` normalised ("EN " → "en", "pt-BR" → "pt": Whisper knows languages, not regions),
    or a clear error naming the accepted codes."""
    c = (code or "").strip().lower().replace("_", "-").split("-")[0]
    if c not in WHISPER_LANGUAGES:
        raise BadInput(f"language {code!r} is not one Whisper recognises; use an ISO 639-1 code such as "
                       f"'en', 'de', 'fr', 'es' (one of: {', '.join(sorted(WHISPER_LANGUAGES))})")
    return c


def voice_speaks(code: str) -> bool:
    """Can the bot's voice answer in this language? (Only English today.)"""
    return code in VOICE_LANGUAGES


def reply_language_notice(code: str) -> str:
    """What a session in ``code`` must say about its replies ("" when the voice speaks it)."""
    if voice_speaks(code):
        return ""
    return (f"this meeting is heard in {code!r}, but the bot's voices speak English only: "
            "its replies stay in English")
