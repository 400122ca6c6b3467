"""The portal's view of the voice and avatar engines: a sample sentence in a voice, and a short
preview clip of an avatar speaking it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from selfcast.avatar.render import render_video
from selfcast.errors import BadInput, SelfcastError, Unavailable
from selfcast.media.audio_io import encode_wav
from selfcast.settings import Settings
from selfcast.voice import get_tts
from selfcast.voice.stock import STOCK_VOICES

log = logging.getLogger("selfcast.portal")

SAMPLE_SENTENCE = "Hello! This is how I will sound in your meetings."
PREVIEW_SIZE = (640, 360)  # small and quick; the live session renders at the meeting's size
PREVIEW_FPS = 25


def builtin_voice_ids(settings: Settings) -> list[str]:
    """Voices every account may use without cloning: the engine's stock voices (default first)."""
    ids = [settings.voice.default_voice_id]
    return ids + [v for v in STOCK_VOICES if v not in ids]


def speak(settings: Settings, voice_id: str, text: str) -> tuple[np.ndarray, int]:
    """Mono float32 speech for ``text`` in ``voice_id``, from the voice engine."""
    try:
        chunks = [c for c in get_tts(voice_id, settings).stream(text, voice_id=voice_id) if len(c.pcm)]
    except SelfcastError:
        raise
    except Exception as exc:  # an engine fault is reported, not turned into a bare 500
        log.exception("voice engine failed on voice %s", voice_id)
        raise Unavailable(
            f"the voice engine failed for voice {voice_id} ({type(exc).__name__}: {exc})"
        ) from exc
    if not chunks:
        raise Unavailable(f"the voice engine returned no audio for voice {voice_id}")
    return np.concatenate([np.asarray(c.pcm, np.float32).reshape(-1) for c in chunks]), chunks[0].sample_rate


def sample_wav(settings: Settings, voice_id: str, text: str = SAMPLE_SENTENCE) -> bytes:
    return encode_wav(*speak(settings, voice_id, text))


def preview_clip(settings: Settings, image_path: Path, out: Path, voice_id: str | None = None) -> Path:
    """Render a few seconds of the avatar saying the sample sentence in ``voice_id`` (default: the
    server's default voice)."""
    audio = speak(settings, voice_id or settings.voice.default_voice_id, SAMPLE_SENTENCE)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + ".tmp.mp4")
    try:
        render_video(
            image_path, audio, tmp, fps=PREVIEW_FPS, size=PREVIEW_SIZE, progress=False,
            cache_dir=settings.data_dir / "rigs",
        )  # fmt: skip
    except BadInput:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(out)
    return out
