"""The portal's view of the voice and avatar engines: a sample sentence in a voice, and a short
preview clip of an avatar. Engines are imported lazily; a build without them gets a clear
``Unavailable`` instead of a broken page."""

from __future__ import annotations

from pathlib import Path

from selfcast.errors import Unavailable
from selfcast.settings import Settings

SAMPLE_SENTENCE = "Hello! This is how I will sound in your meetings."
PREVIEW_SECONDS = 3.0


def builtin_voice_ids(settings: Settings) -> list[str]:
    """Voices every account may use without cloning (the engine's default)."""
    return [settings.voice.default_voice_id]


def sample_wav(settings: Settings, voice_id: str, text: str = SAMPLE_SENTENCE) -> bytes:
    raise Unavailable("voice samples need the voice engine (selfcast.voice), which this build lacks")


def preview_clip(settings: Settings, image_path: Path, out: Path) -> Path:
    raise Unavailable("avatar previews need the avatar engine (selfcast.avatar), which this build lacks")
