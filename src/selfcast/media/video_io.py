"""MP4 writing (H.264 + AAC) and streaming audio reading through PyAV.

AAC encoders prepend 1,024 samples of priming. The encoder stamps them before time zero (the
first packet's pts is -1024) and the MP4 muxer turns that into an edit list, which compliant
decoders (FFmpeg/PyAV, browsers, QuickTime) honour: decoded audio lines up with the source to the
sample. We keep those timestamps exactly as the encoder gives them (re-stamping packets from 0 is
what makes audio play 1,024 samples late), and write audio at 48 kHz so that even a player that
ignores edit lists is off by only 21 ms, about half a frame. Files are written under a temporary
name and renamed when complete, so a failure never leaves half a video.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from selfcast.errors import BadInput

if TYPE_CHECKING:
    from types import TracebackType

    from av.packet import Packet

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)


class Mp4Writer:
    """Append RGB frames and mono float32 audio; ``close()`` finishes the file atomically."""

    def __init__(self, path: str | Path, *, fps: int, size: tuple[int, int], sample_rate: int,
                 crf: int = 20, audio_bitrate: int = 128_000, preset: str = "veryfast") -> None:
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.name}.part-{os.getpid()}")
        w, h = size
        if w % 2 or h % 2:
            raise BadInput(f"video size {w}x{h} must have even width and height for H.264")
        if sample_rate not in AAC_RATES:
            raise BadInput(f"sample rate {sample_rate} is not an AAC rate; resample to 48000 first")
        self.fps, self.sample_rate = fps, sample_rate
        self._c = av.open(str(self._tmp), mode="w", format="mp4")
        codec: Literal["libx264", "mpeg4"] = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        self._v = self._c.add_stream(codec, rate=fps)
        self._v.width, self._v.height, self._v.pix_fmt = w, h, "yuv420p"
        if codec == "libx264":
            self._v.options = {"crf": str(crf), "preset": preset}
        self._v.time_base = Fraction(1, fps)
        self._a = self._c.add_stream("aac", rate=sample_rate)
        self._a.layout = "mono"
        self._a.bit_rate = audio_bitrate
        self._a.time_base = Fraction(1, sample_rate)
        self._nv = 0
        self._na = 0
        self._pending = np.zeros(0, np.float32)
        self._closed = False

    @property
    def frames_written(self) -> int:
        return self._nv

    def write_video(self, rgb: np.ndarray) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self._nv
        frame.time_base = Fraction(1, self.fps)
        self._nv += 1
        for pkt in self._v.encode(frame):
            self._c.mux(pkt)

    def write_audio(self, pcm: np.ndarray) -> None:
        pcm = np.clip(np.asarray(pcm, np.float32).reshape(-1), -1, 1)
        self._pending = np.concatenate([self._pending, pcm])
        n = 1024
        while len(self._pending) >= n:
            self._encode_audio(self._pending[:n])
            self._pending = self._pending[n:]

    def _encode_audio(self, block: np.ndarray) -> None:
        import av

        frame = av.AudioFrame.from_ndarray(block[None, :], format="flt", layout="mono")
        frame.sample_rate = self.sample_rate
        frame.pts = self._na
        frame.time_base = Fraction(1, self.sample_rate)
        self._na += len(block)
        for pkt in self._a.encode(frame):
            self._mux_audio(pkt)

    def _mux_audio(self, pkt: Packet) -> None:
        self._c.mux(pkt)  # timestamps untouched: the priming stays before zero (edit list)

    def close(self) -> Path:
        if self._closed:
            return self.path
        self._closed = True
        try:
            if len(self._pending):
                self._encode_audio(self._pending)
                self._pending = np.zeros(0, np.float32)
            for pkt in self._a.encode(None):
                self._mux_audio(pkt)
            for pkt in self._v.encode(None):
                self._c.mux(pkt)
            self._c.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Give up: close and delete the partial file."""
        self._closed = True
        with contextlib.suppress(Exception):
            self._c.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()



def iter_audio(path: str | Path | bytes, sample_rate: int | None = None, chunk_s: float = 1.0
               ) -> tuple[int, float | None, Iterator[np.ndarray]]:
    """Stream-decode an audio (or video) file to mono float32: (rate, duration or None, chunks).

    Memory stays bounded for any length: chunks of about ``chunk_s`` seconds are yielded as they
    are decoded. Raises BadInput for files that are not audio.
    """
    import io

    import av

    label = str(path) if isinstance(path, str | Path) else f"<{len(path)} bytes>"
    if isinstance(path, str | Path):
        p = Path(path)
        if not p.is_file():
            raise BadInput(f"{label}: audio file does not exist")
        if p.stat().st_size == 0:
            raise BadInput(f"{label}: audio file is empty (0 bytes)")
        target: str | io.BytesIO = str(p)
    else:
        if not path:
            raise BadInput("audio is empty (0 bytes)")
        target = io.BytesIO(bytes(path))
    try:
        container = av.open(target, mode="r")
    except av.error.FFmpegError as exc:
        raise BadInput(f"{label}: not a readable audio file ({exc}); use wav, mp3, m4a, ogg, flac") from exc
    if not container.streams.audio:
        container.close()
        raise BadInput(f"{label}: has no audio track")
    stream = container.streams.audio[0]
    rate = int(sample_rate or stream.sample_rate or stream.codec_context.sample_rate or 48000)
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        duration = container.duration / 1e6
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    target_n = max(1, int(rate * chunk_s))

    def gen() -> Iterator[np.ndarray]:
        buf: list[np.ndarray] = []
        have = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(-1).astype(np.float32)
                    buf.append(arr)
                    have += len(arr)
                    if have >= target_n:
                        yield np.concatenate(buf)
                        buf, have = [], 0
            for out in resampler.resample(None):
                buf.append(out.to_ndarray().reshape(-1).astype(np.float32))
            if buf:
                tail = np.concatenate(buf)
                if len(tail):
                    yield tail
        except av.error.FFmpegError as exc:
            raise BadInput(f"{label}: audio is corrupt ({exc})") from exc
        finally:
            container.close()

    return rate, duration, gen()
