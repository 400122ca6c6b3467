"""Uploads are checked by decoding them: an image must open and load with Pillow, audio must
decode with PyAV and last a sensible time. Anything else is a clear ``BadInput``."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import av

from selfcast.errors import BadInput

MIN_SIDE, MAX_SIDE = 64, 8192
MIN_AUDIO_S, MAX_AUDIO_S = 1.0, 600.0


def decode_image(data: bytes, *, field: str = "image"):  # type: ignore[no-untyped-def]
    """Return an RGB ``PIL.Image`` or raise BadInput saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise BadInput(f"{field} is empty: upload a PNG or JPEG portrait")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            img = Image.open(io.BytesIO(data))
            img.load()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise BadInput(
            f"{field} is not a usable image ({exc.__class__.__name__}); upload a PNG or JPEG portrait"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"{field} could not be decoded as an image ({exc}); upload a PNG or JPEG portrait"
        ) from None
    w, h = img.size
    if min(w, h) < MIN_SIDE or max(w, h) > MAX_SIDE:
        raise BadInput(f"{field} is {w}x{h}; use an image between {MIN_SIDE} and {MAX_SIDE} pixels a side")
    return img.convert("RGB")


def save_png(img, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    img.save(tmp, format="PNG")
    tmp.replace(path)
    return path


def audio_duration(path: Path, *, field: str = "file") -> float:
    """Decode the whole file with PyAV; return its duration in seconds."""
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise BadInput(f"{field} has no audio track; upload mp3, m4a, wav, ogg, flac, webm …")
            samples, rate = 0, stream.rate or stream.codec_context.sample_rate or 0
            for frame in container.decode(stream):
                samples += frame.samples
                rate = frame.sample_rate or rate
    except BadInput:
        raise
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"{field} is not decodable audio ({exc.__class__.__name__}); upload mp3, m4a, wav, ogg, flac, webm …"
        ) from None
    if not rate or samples == 0:
        raise BadInput(f"{field} contains no audio samples")
    seconds = samples / rate
    if seconds < MIN_AUDIO_S:
        raise BadInput(f"{field} is only {seconds:.1f} s of audio; record at least 10 s of clear speech")
    if seconds > MAX_AUDIO_S:
        raise BadInput(
            f"{field} is {seconds / 60:.1f} min long; keep voice samples under {MAX_AUDIO_S / 60:.0f} minutes"
        )
    return seconds
