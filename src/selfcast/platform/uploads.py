"""Uploads are checked by decoding them: an image must open and load with Pillow, audio must
decode with PyAV and last a sensible time. Anything else is a clear ``BadInput``.

Both are bounded before the expensive part (``selfcast.media.decode_gate``): an image's declared
size is checked from its header before any pixel is decoded, audio's declared duration before
decoding, and decoding stops at the length cap; a few decodes run at once, never N.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import av

from selfcast.errors import BadInput, TooLarge
from selfcast.media.decode_gate import decode_slot, open_header, reduce_jpeg
from selfcast.platform.diskspace import atomic_write

MIN_SIDE, MAX_SIDE = 64, 8192
MIN_AUDIO_S, MAX_AUDIO_S = 1.0, 600.0


def decode_image(data: bytes, *, field: str = "image"):  # type: ignore[no-untyped-def]
    """Return an RGB ``PIL.Image`` or raise BadInput saying what is wrong (size checked first)."""
    from PIL import Image

    if not data:
        raise BadInput(f"{field} is empty: upload a PNG or JPEG portrait")
    w, h = open_header(data, field=field).size  # header only: refuses a bomb before decoding
    if min(w, h) < MIN_SIDE or max(w, h) > MAX_SIDE:
        raise BadInput(f"{field} is {w}x{h}; use an image between {MIN_SIDE} and {MAX_SIDE} pixels a side")
    with decode_slot(field):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as probe:
                    probe.verify()
                img = Image.open(io.BytesIO(data))
                reduce_jpeg(img)
                if img.size != (w, h):
                    raise BadInput(f"{field} changed size while decoding; upload a plain PNG or JPEG")
                img.load()
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise TooLarge(f"{field} declares too many pixels ({exc}); scale it down") from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise BadInput(
                f"{field} could not be decoded as an image ({exc}); upload a PNG or JPEG portrait"
            ) from None
        return img.convert("RGB")


def save_png(img, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Write ``img`` as PNG atomically (a full disk leaves no partial file; see ``atomic_write``)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return atomic_write(path, buf.getvalue())


def audio_duration(path: Path, *, field: str = "file") -> float:
    """Return the duration in seconds: the header's claim is checked first, and decoding (one of a
    few at once) stops as soon as the cap is passed, so a long file costs no more than the cap."""
    from selfcast.media.audio_io import probe_audio

    try:
        declared = probe_audio(path).duration_s
    except BadInput as exc:
        raise BadInput(f"{field}: {exc.message.split(': ', 1)[-1]}") from None
    if declared is not None and declared > MAX_AUDIO_S + 1.0:
        raise BadInput(_too_long(field, declared))
    with decode_slot(field):
        seconds = _decode_seconds(path, field)
    if seconds < MIN_AUDIO_S:
        raise BadInput(f"{field} is only {seconds:.1f} s of audio; record at least 10 s of clear speech")
    if seconds > MAX_AUDIO_S:
        raise BadInput(_too_long(field, seconds, at_least=True))
    return seconds


def _too_long(field: str, seconds: float, *, at_least: bool = False) -> str:
    more = "over " if at_least else ""
    return f"{field} is {more}{seconds / 60:.1f} min long; keep voice samples under {MAX_AUDIO_S / 60:.0f} minutes"


def _decode_seconds(path: Path, field: str) -> float:
    """Count decoded samples, stopping once past ``MAX_AUDIO_S`` (a lying header cannot make us
    decode more than the cap)."""
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise BadInput(f"{field} has no audio track; upload mp3, m4a, wav, ogg, flac, webm …")
            seconds = 0.0
            for frame in container.decode(stream):
                if frame.sample_rate:
                    seconds += frame.samples / frame.sample_rate
                if seconds > MAX_AUDIO_S:
                    break
    except BadInput:
        raise
    except (av.error.FFmpegError, ValueError, UnicodeDecodeError) as exc:
        raise BadInput(
            f"{field} is not decodable audio ({exc.__class__.__name__}); upload mp3, m4a, wav, ogg, flac, webm …"
        ) from None
    if seconds == 0:
        raise BadInput(f"{field} contains no audio samples")
    return seconds
