"""Speech from vendor APIs, one module per vendor on one base (``base.HttpTTS``).

- ``openai``: any OpenAI-compatible ``POST {url}/audio/speech`` (``url`` ends with the version, ``/v1``).
- ``elevenlabs``: ``POST {url}/v1/text-to-speech/{voice_id}/stream``, raw PCM.
- ``minimax``: ``POST {url}/v1/t2a_v2``, streamed as server-sent events with hex PCM.
"""

from __future__ import annotations

from selfcast.errors import BadInput
from selfcast.settings import VoiceSettings
from selfcast.voice.providers.base import HttpTTS
from selfcast.voice.providers.elevenlabs import ElevenLabsTTS
from selfcast.voice.providers.minimax import MiniMaxTTS
from selfcast.voice.providers.openai import OpenAITTS

PROVIDERS: dict[str, type[HttpTTS]] = {c.name: c for c in (OpenAITTS, ElevenLabsTTS, MiniMaxTTS)}


def provider_tts(settings: VoiceSettings, voice_id: str | None) -> HttpTTS:
    """The engine for ``settings.provider`` (anything but ``embedded``)."""
    kind = PROVIDERS.get((settings.provider or "").lower())
    if kind is None:
        raise BadInput(f"unknown voice provider {settings.provider!r}; use embedded, {', '.join(PROVIDERS)}")
    return kind(voice_id=voice_id, url=settings.url, key=settings.key, model=settings.model)


__all__ = ["PROVIDERS", "ElevenLabsTTS", "HttpTTS", "MiniMaxTTS", "OpenAITTS", "provider_tts"]
