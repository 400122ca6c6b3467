"""Audio in and out: decode anything a user may hand over, write what we make, set loudness.

Decoding goes through PyAV (FFmpeg libraries inside the wheel, so no system ffmpeg is needed):
wav, mp3, m4a/aac, ogg/vorbis/opus, flac, webm, mp4/mov/mkv audio tracks, wma. Every result is
float32 mono; channels are averaged (an equal-power downmix would clip summed stereo) and the
rate is changed with soxr. Errors are ``BadInput`` naming the file and what is wrong with it.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from selfcast.errors import BadInput
from selfcast.media.resample import resample

if TYPE_CHECKING:
    from av.container import InputContainer

AudioSource = str | Path | bytes | bytearray | memoryview

_AudioCodec = Literal["libmp3lame", "aac", "libopus", "flac", "wmav2"]

#: extension -> (container format, codec, sample format) for ``write_audio`` through PyAV
_ENCODERS: dict[str, tuple[str, _AudioCodec, str]] = {
    ".mp3": ("mp3", "libmp3lame", "fltp"),
    ".m4a": ("mp4", "aac", "fltp"),
    ".aac": ("adts", "aac", "fltp"),
    ".mp4": ("mp4", "aac", "fltp"),
    ".mov": ("mov", "aac", "fltp"),
    ".ogg": ("ogg", "libopus", "flt"),
    ".opus": ("ogg", "libopus", "flt"),
    ".webm": ("webm", "libopus", "flt"),
    ".mkv": ("matroska", "libopus", "flt"),
    ".flac": ("flac", "flac", "s16"),
    ".wma": ("asf", "wmav2", "fltp"),
}
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the container says about its first audio stream (before decoding)."""

    duration_s: float | None
    sample_rate: int
    channels: int
    codec: str
    container: str


def _label(src: AudioSource) -> str:
    return str(src) if isinstance(src, str | Path) else f"<{len(src)} bytes of audio>"


def _open(src: AudioSource) -> tuple[InputContainer, str]:
    import av

    label = _label(src)
    target: str | io.BytesIO
    if isinstance(src, str | Path):
        path = Path(src)
        if not path.exists():
            raise BadInput(f"{label}: file does not exist")
        if path.is_dir():
            raise BadInput(f"{label}: is a directory, not an audio file")
        if path.stat().st_size == 0:
            raise BadInput(f"{label}: file is empty (0 bytes); record or export the audio again")
        target = str(path)
    else:
        if len(src) == 0:
            raise BadInput(f"{label}: audio is empty (0 bytes)")
        target = io.BytesIO(bytes(src))
    try:
        container = av.open(target, mode="r")
    except av.error.InvalidDataError as exc:
        raise BadInput(f"{label}: not a recognised audio or video file ({exc.strerror or 'invalid data'}); "
                       "use wav, mp3, m4a, ogg, opus, flac, webm, mp4, mov, mkv or wma") from exc
    except av.error.FFmpegError as exc:
        raise BadInput(f"{label}: cannot be opened as audio ({exc.strerror or exc})") from exc
    if not container.streams.audio:
        kinds: list[str] = sorted({s.type for s in container.streams}) or ["none"]
        container.close()
        raise BadInput(f"{label}: no audio stream (streams found: {', '.join(kinds)})")
    return container, label


def probe_audio(src: AudioSource) -> AudioInfo:
    """Reads container headers only: cheap duration/rate checks before a full decode."""
    container, _ = _open(src)
    try:
        stream = container.streams.audio[0]
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000.0
        return AudioInfo(duration, int(stream.codec_context.sample_rate or 0),
                         int(stream.codec_context.channels or 0), stream.codec_context.name,
                         container.format.name)
    finally:
        container.close()


def decode_audio(src: AudioSource, sample_rate: int | None = None, *,
                 max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decodes the first audio stream to float32 mono.

    ``sample_rate`` None keeps the file's own rate. ``max_seconds`` stops decoding early (the caller
    validates length) so a ten-hour upload costs no more than the limit.
    """
    import av

    container, label = _open(src)
    pieces: list[np.ndarray] = []
    rate = 0
    decoded = 0
    try:
        stream = container.streams.audio[0]
        try:
            stream.codec_context  # noqa: B018 - touching it raises for codecs FFmpeg lacks
        except av.error.FFmpegError as exc:
            raise BadInput(f"{label}: unsupported codec ({exc})") from exc
        converter = av.AudioResampler(format="fltp")
        try:
            for frame in container.decode(stream):
                for out in converter.resample(frame):
                    arr = out.to_ndarray()  # (channels, samples), float32
                    if rate and out.sample_rate != rate:  # mid-stream rate change: bring it in line
                        arr = resample(arr.T, out.sample_rate, rate).T
                    rate = rate or out.sample_rate
                    pieces.append(arr.mean(axis=0) if arr.shape[0] > 1 else arr[0])
                    decoded += arr.shape[-1]
                if max_seconds is not None and rate and decoded > max_seconds * rate:
                    break
        except av.error.FFmpegError as exc:
            at = decoded / rate if rate else 0.0
            raise BadInput(f"{label}: corrupt at {at:.1f} s ({exc.strerror or exc}); "
                           "re-export the recording") from exc
    finally:
        container.close()
    if not pieces or decoded == 0:
        raise BadInput(f"{label}: the audio stream holds no samples")
    pcm = np.concatenate(pieces).astype(np.float32, copy=False)
    if not np.all(np.isfinite(pcm)):
        raise BadInput(f"{label}: decoded audio contains invalid (NaN/inf) samples")
    if sample_rate is not None and sample_rate != rate:
        if sample_rate < 8000 or sample_rate > 192000:
            raise BadInput(f"sample rate {sample_rate} Hz is out of range (8000-192000)")
        pcm = resample(pcm, rate, sample_rate)
        rate = sample_rate
    return pcm, rate


def _to_int16(pcm: np.ndarray) -> np.ndarray:
    return (np.clip(np.asarray(pcm, np.float32).reshape(-1), -1.0, 1.0) * 32767.0).round().astype("<i2")


def encode_wav(pcm: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM mono WAV bytes (what HTTP answers and files carry)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(_to_int16(pcm).tobytes())
    return buf.getvalue()


def write_audio(path: str | Path, pcm: np.ndarray, sample_rate: int, *, bitrate: int | None = None) -> Path:
    """Writes mono audio; the extension picks the format (.wav or any of ``_ENCODERS``)."""
    import av

    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".wav":
        path.write_bytes(encode_wav(pcm, sample_rate))
        return path
    if ext not in _ENCODERS:
        raise BadInput(f"{path}: cannot write {ext or 'files without an extension'}; "
                       f"use .wav or one of {', '.join(sorted(_ENCODERS))}")
    fmt, codec, sample_fmt = _ENCODERS[ext]
    pcm = np.clip(np.asarray(pcm, np.float32).reshape(-1), -1.0, 1.0)
    rate = int(sample_rate)
    if codec == "libopus" and rate not in _OPUS_RATES:
        pcm, rate = resample(pcm, rate, 48000), 48000
    if codec == "libmp3lame" and rate not in (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000):
        pcm, rate = resample(pcm, rate, 44100), 44100
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if bitrate or codec == "wmav2":  # wmav2 refuses to open without a bit rate
            stream.bit_rate = bitrate or 64000
        block = 1024 * 16
        for start in range(0, len(pcm), block):
            piece = pcm[start:start + block]
            data = _to_int16(piece)[None, :] if sample_fmt == "s16" else piece[None, :]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=sample_fmt, layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# --- loudness (ITU-R BS.1770 / EBU R128 integrated loudness) ---------------------------------

def _biquad_k_weighting(sample_rate: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The two K-weighting stages (high shelf, then high pass) designed for any sample rate."""
    out = []
    # high shelf, +4 dB above ~1.7 kHz
    gain, q, fc = 3.99984385397, 0.7071752369554193, 1681.9744509555319
    a = 10 ** (gain / 40.0)
    w0 = 2 * np.pi * fc / sample_rate
    alpha, cw, sa = np.sin(w0) / (2 * q), np.cos(w0), np.sqrt(a)
    b = [a * ((a + 1) + (a - 1) * cw + 2 * sa * alpha), -2 * a * ((a - 1) + (a + 1) * cw),
         a * ((a + 1) + (a - 1) * cw - 2 * sa * alpha)]
    den = [(a + 1) - (a - 1) * cw + 2 * sa * alpha, 2 * ((a - 1) - (a + 1) * cw),
           (a + 1) - (a - 1) * cw - 2 * sa * alpha]
    out.append((np.array(b) / den[0], np.array(den) / den[0]))
    # high pass at ~38 Hz
    q, fc = 0.5003270373238773, 38.13547087602444
    w0 = 2 * np.pi * fc / sample_rate
    alpha, cw = np.sin(w0) / (2 * q), np.cos(w0)
    b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]
    den = [1 + alpha, -2 * cw, 1 - alpha]
    out.append((np.array(b) / den[0], np.array(den) / den[0]))
    return out


def integrated_loudness(pcm: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (gated); ``-inf`` for silence or audio shorter than 400 ms."""
    from scipy.signal import lfilter

    x = np.asarray(pcm, np.float64).reshape(-1)
    for b, a in _biquad_k_weighting(sample_rate):
        x = lfilter(b, a, x)
    block, hop = int(0.4 * sample_rate), int(0.1 * sample_rate)
    if len(x) < block:
        return float("-inf")
    sq = np.concatenate([[0.0], np.cumsum(x * x)])
    starts = np.arange(0, len(x) - block + 1, hop)
    z = (sq[starts + block] - sq[starts]) / block
    with np.errstate(divide="ignore"):
        lk = -0.691 + 10 * np.log10(z)
    z = z[lk > -70.0]
    if len(z) == 0:
        return float("-inf")
    rel = -0.691 + 10 * np.log10(z.mean()) - 10.0
    with np.errstate(divide="ignore"):
        z = z[-0.691 + 10 * np.log10(z) > rel]
    return float(-0.691 + 10 * np.log10(z.mean())) if len(z) else float("-inf")


def normalize_loudness(pcm: np.ndarray, sample_rate: int, target_lufs: float = -20.0,
                       peak_dbfs: float = -1.0) -> np.ndarray:
    """Scales to ``target_lufs``, then lowers the gain if a peak would pass ``peak_dbfs``.

    Silence is returned unchanged (there is nothing to measure, and boosting noise helps no one).
    """
    pcm = np.asarray(pcm, np.float32)
    loud = integrated_loudness(pcm, sample_rate)
    if not np.isfinite(loud):
        return pcm.copy()
    gain = 10 ** ((target_lufs - loud) / 20.0)
    peak = float(np.max(np.abs(pcm))) * gain
    limit = 10 ** (peak_dbfs / 20.0)
    if peak > limit:
        gain *= limit / peak
    return (pcm * gain).astype(np.float32)
