"""The portal's view of the voice and avatar engines: a sample sentence in a voice, and a short
preview clip of an avatar speaking it (or idling, when no voice engine is installed). Engines
are imported lazily; a build without them gets a clear ``Unavailable`` instead of a broken page."""

from __future__ import annotations

import io
import logging
import wave
from pathlib import Path

import numpy as np

from selfcast.errors import BadInput, SelfcastError, Unavailable
from selfcast.settings import Settings

log = logging.getLogger("selfcast.portal")

SAMPLE_SENTENCE = "Hello! This is how I will sound in your meetings."
PREVIEW_SIZE = (640, 360)  # small and quick; the live session renders at the meeting's size
PREVIEW_FPS = 25
IDLE_PREVIEW_S = 3.0


def builtin_voice_ids(settings: Settings) -> list[str]:
    """Voices every account may use without cloning: the engine's stock voices (default first)."""
    ids = [settings.voice.default_voice_id]
    try:
        from selfcast.voice.stock import STOCK_VOICES
    except ImportError:
        return ids
    return ids + [v for v in STOCK_VOICES if v not in ids]


def avatar_styles(platform_styles: tuple[str, ...]) -> list[str]:
    """The styles both the platform and the installed generator accept."""
    try:
        from selfcast.avatar.generator import STYLES
    except ImportError:
        return list(platform_styles)
    return [s for s in platform_styles if s in STYLES] or list(STYLES)


def speak(settings: Settings, voice_id: str, text: str) -> tuple[np.ndarray, int]:
    """Mono float32 speech for ``text`` in ``voice_id``, from the voice engine."""
    try:
        from selfcast.voice import get_tts
    except ImportError as exc:
        raise Unavailable(f"voice samples need the voice engine (selfcast.voice): {exc}") from exc
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


def wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    pcm16 = (np.clip(pcm, -1.0, 1.0) * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm16.tobytes())
    return out.getvalue()


def sample_wav(settings: Settings, voice_id: str, text: str = SAMPLE_SENTENCE) -> bytes:
    return wav_bytes(*speak(settings, voice_id, text))


def preview_clip(settings: Settings, image_path: Path, out: Path, voice_id: str | None = None) -> Path:
    """Render a few seconds of the avatar: saying the sample sentence when a voice engine is
    installed, otherwise idling (blinks, breathing, small head motion) over silence."""
    try:
        from selfcast.avatar.render import render_video
    except ImportError as exc:
        raise Unavailable(f"avatar previews need the avatar engine (selfcast.avatar): {exc}") from exc
    try:
        audio = speak(settings, voice_id or settings.voice.default_voice_id, SAMPLE_SENTENCE)
    except SelfcastError as exc:  # no (working) voice engine: the face idles instead of talking
        log.warning("avatar preview without speech: %s", exc.message)
        rate = 16_000
        audio = (np.zeros(int(IDLE_PREVIEW_S * rate), np.float32), rate)
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
