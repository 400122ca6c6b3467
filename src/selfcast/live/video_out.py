"""The avatar's video, paced on the media clock: frame k (t = k / fps) drawn ``lead_s`` ahead.

Each pacer draws and JPEG-encodes on one thread of its own (one hop per frame), into a buffer it
keeps when the avatar can draw into one (only the face region is rewritten), and only after the
meeting has said it will take a frame: a frame the page could not take is never drawn.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from selfcast.media.encode import JpegEncoder
from selfcast.media.frames import VideoFrame


class VideoSink(Protocol):
    """The meeting's camera side (``MeetingBot`` satisfies it)."""

    def media_time(self) -> float: ...

    def wants_frame(self) -> bool: ...

    async def send_video(self, frame: VideoFrame) -> None: ...


class Avatar(Protocol):
    """What the pacer needs of the face (``AvatarStream`` satisfies it)."""

    def frame_at(self, t: float) -> VideoFrame: ...


@runtime_checkable
class CanvasSource(Protocol):
    """An avatar that draws into a buffer the caller keeps, rewriting only what moves."""

    def canvas(self) -> np.ndarray: ...

    def frame_into(self, t: float, out: np.ndarray) -> VideoFrame: ...


@dataclass(slots=True)
class PacerStats:
    frames: int = 0  # drawn, encoded and handed to the meeting
    skipped: int = 0  # grid slots passed over because drawing fell behind the clock
    declined: int = 0  # slots not drawn because the meeting would not take a frame then
    render_s: float = 0.0  # drawing, on the pacer's thread
    encode_s: float = 0.0  # JPEG encoding, on the same thread
    started: float = 0.0

    def fps(self) -> float:
        dt = time.monotonic() - self.started
        return self.frames / dt if dt > 0 else 0.0


@dataclass(slots=True)
class _Drawing:
    """What the pacer's thread keeps between frames (one per thread: neither is thread-safe)."""

    encode: JpegEncoder = field(default_factory=JpegEncoder)
    canvas: np.ndarray | None = None


class VideoPacer:
    """Draws frame k (t = k / fps) ``lead_s`` ahead of playback, when the meeting will take it."""

    def __init__(self, avatar: Avatar, sink: VideoSink, *, fps: int, lead_s: float) -> None:
        self.avatar, self.sink, self.fps, self.lead = avatar, sink, fps, lead_s
        self.stats = PacerStats()
        self._task: asyncio.Task | None = None
        self._thread: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self.stats = PacerStats(started=time.monotonic())
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="video-pacer")
        self._task = asyncio.create_task(self._run(self._thread, _Drawing()), name="video-pacer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        if self._thread is not None:  # a frame being drawn finishes on its own; nothing waits for it
            self._thread.shutdown(wait=False, cancel_futures=True)
            self._thread = None

    def retarget(self, sink: VideoSink) -> None:
        """A new meeting bot after a rejoin: keep the face, change the wire."""
        self.sink = sink

    def _slot(self, t: float) -> int:
        """The first frame index at or after media time ``t``."""
        return math.ceil(t * self.fps - 1e-9)

    async def _run(self, thread: ThreadPoolExecutor, drawing: _Drawing) -> None:
        loop = asyncio.get_running_loop()
        k = self._slot(self.sink.media_time() + self.lead)
        while True:
            now = self.sink.media_time()
            if k / self.fps < now:  # fell behind (a slow frame): skip to the present, never play stale frames
                skip = self._slot(now + self.lead / 2)
                self.stats.skipped += skip - k
                k = skip
            wait = k / self.fps - self.lead - now
            if wait > 0:
                await asyncio.sleep(wait)
            if self.sink.wants_frame():
                frame, drawn_s, encoded_s = await loop.run_in_executor(thread, self._draw, drawing, k / self.fps)
                self.stats.render_s += drawn_s
                self.stats.encode_s += encoded_s
                await self.sink.send_video(frame)
                self.stats.frames += 1
            else:
                self.stats.declined += 1
            k += 1

    def _draw(self, drawing: _Drawing, t: float) -> tuple[VideoFrame, float, float]:
        """On the pacer's thread: the frame for ``t``, drawn and encoded (and the time each took)."""
        t0 = time.perf_counter()
        if isinstance(self.avatar, CanvasSource):
            if drawing.canvas is None:
                drawing.canvas = self.avatar.canvas()
            rgb = self.avatar.frame_into(t, drawing.canvas).rgb.view()
            rgb.flags.writeable = False  # the next frame reuses it: look, do not keep
        else:
            rgb = self.avatar.frame_at(t).rgb
        t1 = time.perf_counter()
        picture = drawing.encode(rgb)
        return VideoFrame(rgb, t, encoded=picture), t1 - t0, time.perf_counter() - t1
