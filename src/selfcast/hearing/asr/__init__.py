"""Speech recognition: one base (``base.ASR``), one module per engine.

- ``embedded``: Whisper base (or tiny.en, or any CTranslate2 Whisper) on this machine (``whisper.WhisperASR``).
- ``openai``: any OpenAI-compatible transcription API (``openai.OpenAIASR``).
- ``captions``: no recogniser at all; the meeting's own captions are the transcript (``Hearing``).
"""

from __future__ import annotations

from selfcast.errors import BadInput
from selfcast.hearing.asr.base import ASR, Recognition
from selfcast.hearing.asr.openai import OpenAIASR
from selfcast.hearing.asr.whisper import WhisperASR
from selfcast.hearing.asr.whisper import _tidy as _tidy
from selfcast.settings import HearingSettings


def get_asr(settings: HearingSettings) -> ASR:
    """The engine named by ``settings.provider`` (``embedded`` | ``openai``)."""
    provider = (settings.provider or "embedded").lower()
    if provider == "embedded":
        return WhisperASR(settings.model_path, cpu_threads=settings.cpu_threads, language=settings.language)
    if provider == "openai":
        return OpenAIASR(settings.url, settings.key, settings.model, settings.timeout_s, language=settings.language)
    raise BadInput(f"unknown hearing provider {settings.provider!r}; use 'embedded' or 'openai' "
                   "('captions' needs no recogniser)")


__all__ = ["ASR", "OpenAIASR", "Recognition", "WhisperASR", "get_asr"]
