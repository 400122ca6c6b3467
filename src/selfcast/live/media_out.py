"""What leaves the session: the avatar's video paced on the media clock, and its speech.

Audio is the master clock. The speaker stamps each speech chunk with the media time it will be
played, pushes it into the avatar (which then knows the mouth shape for every instant of it) and
sends it to the meeting microphone; the pacer asks the avatar for the frame of each video instant
slightly ahead of playback, so a frame and the sound it shows are scheduled for the same moment.
Rendering and synthesis run on threads; the event loop only moves buffers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from selfcast.live.speech import SpeechHandle
from selfcast.live.threads import ThreadedIterator
from selfcast.media.frames import AudioChunk, VideoFrame

log = logging.getLogger(__name__)

PIECE_S = 0.1  # the microphone is fed in pieces this long
SYNTH_AHEAD = 4  # synthesised chunks waiting for playback
ONSET_KEEP_S = 0.01  # quiet kept before the first sound of an utterance (the voice pads ~50 ms)
ONSET_LEVEL = 0.02  # "quiet": below this fraction of the chunk's peak


def trim_onset(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    """``pcm`` without its leading quiet (but ``ONSET_KEEP_S``): the first sound leaves sooner."""
    if pcm.size == 0:
        return pcm
    mag = np.abs(pcm)
    peak = float(mag.max())
    if peak <= 0.0:
        return pcm
    first = int(np.argmax(mag > ONSET_LEVEL * peak))
    return pcm[max(0, first - int(ONSET_KEEP_S * sample_rate)):]


_DONE = object()


class MediaSink(Protocol):
    """The meeting side (``MeetingBot`` satisfies it)."""

    def media_time(self) -> float: ...

    async def send_video(self, frame: VideoFrame) -> None: ...

    async def send_audio(self, chunk: AudioChunk) -> None: ...

    async def clear_output(self) -> None: ...


class FrameSource(Protocol):
    """The avatar side (``AvatarStream`` satisfies it)."""

    fps: int

    def frame_at(self, t: float) -> VideoFrame: ...

    def push_audio(self, chunk: AudioChunk) -> None: ...

    def clear_buffer(self) -> None: ...


class SpeechSynth(Protocol):
    def stream(self, text: str) -> Iterable[AudioChunk]: ...


@dataclass(slots=True)
class PacerStats:
    frames: int = 0
    skipped: int = 0
    render_s: float = 0.0
    started: float = 0.0

    def fps(self) -> float:
        dt = time.monotonic() - self.started
        return self.frames / dt if dt > 0 else 0.0


class VideoPacer:
    """Renders ``frame_at(t)`` for t on the video grid, ``lead_s`` ahead of playback."""

    def __init__(self, avatar: FrameSource, sink: MediaSink, *, fps: int, lead_s: float) -> None:
        self.avatar, self.sink, self.fps, self.lead = avatar, sink, fps, lead_s
        self.period = 1.0 / fps
        self.stats = PacerStats()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.stats = PacerStats(started=time.monotonic())
        self._task = asyncio.create_task(self._run(), name="video-pacer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None

    def retarget(self, sink: MediaSink) -> None:
        """A new meeting bot after a rejoin: keep the face, change the wire."""
        self.sink = sink

    def _grid(self, t: float) -> float:
        return math.ceil(t / self.period) * self.period

    async def _run(self) -> None:
        t = self._grid(self.sink.media_time() + self.lead)
        while True:
            now = self.sink.media_time()
            if t < now:  # fell behind (a slow render): skip to the present, never play stale frames
                skip = self._grid(now + self.lead / 2)
                self.stats.skipped += round((skip - t) / self.period)
                t = skip
            wait = t - self.lead - now
            if wait > 0:
                await asyncio.sleep(wait)
            t0 = time.perf_counter()
            frame = await asyncio.to_thread(self.avatar.frame_at, t)
            self.stats.render_s += time.perf_counter() - t0
            await self.sink.send_video(frame)
            self.stats.frames += 1
            t += self.period


class Speaker:
    """Says text with the session's voice and face; one utterance at a time, each cancellable."""

    def __init__(
        self,
        voice: SpeechSynth,
        avatar: FrameSource,
        sink: MediaSink,
        *,
        audio_lead_s: float,
        max_ahead_s: float,
        on_speaking: Callable[[bool], None] = lambda _: None,
    ) -> None:
        self.voice, self.avatar, self.sink = voice, avatar, sink
        self.audio_lead, self.max_ahead = audio_lead_s, max_ahead_s
        self.on_speaking = on_speaking
        self.current: SpeechHandle | None = None
        self.cursor = 0.0  # media time where the next speech sample goes
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()

    def retarget(self, sink: MediaSink) -> None:
        self.sink = sink
        self.cursor = 0.0

    def say(
        self, sentences: Iterable[str] | AsyncIterable[str], *, source: str = "brain", handle_id: str = ""
    ) -> SpeechHandle:
        handle = SpeechHandle(id=handle_id or f"speech-{next(self._ids)}", source=source)
        task = asyncio.create_task(self._run(handle, sentences), name=f"say-{handle.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return handle

    async def interrupt(self) -> SpeechHandle | None:
        """Barge-in: stop the utterance now; voice and mouth stop together."""
        h = self.current
        if h is None or h.done:
            return None
        h.cancel(self.sink.media_time())
        await self._silence()
        return h

    async def close(self) -> None:
        if self.current is not None:
            await self.interrupt()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _silence(self) -> None:
        self.avatar.clear_buffer()
        await self.sink.clear_output()
        self.cursor = self.sink.media_time()

    async def _sentences(self, src: Iterable[str] | AsyncIterable[str]):
        if isinstance(src, AsyncIterable):
            async for s in src:
                yield s
        else:
            for s in src:
                yield s

    async def _run(self, handle: SpeechHandle, sentences: Iterable[str] | AsyncIterable[str]) -> None:
        async with self._lock:
            self.current = handle
            self.on_speaking(True)
            # Synthesis runs ahead of playback (the next sentence is voiced while this one plays),
            # so sentences follow each other without gaps.
            q: asyncio.Queue = asyncio.Queue(maxsize=SYNTH_AHEAD)
            producer = asyncio.create_task(self._synthesise(handle, sentences, q), name=f"tts-{handle.id}")
            try:
                while not handle.cancel_requested:
                    item = await _get_or(handle, q)
                    if item is None or item is _DONE:
                        break
                    if isinstance(item, BaseException):
                        raise item
                    text, chunk = item
                    await self._play(handle, text, chunk)
                while not handle.cancel_requested and self.sink.media_time() < handle.end:
                    await _wait_or(handle, handle.end - self.sink.media_time())
            except asyncio.CancelledError:
                handle.cancel(self.sink.media_time())
                raise
            except Exception as exc:  # a voice failure ends this utterance, not the session
                log.exception("speech failed")
                handle.error = f"{exc.__class__.__name__}: {exc}"[:300]
            finally:
                producer.cancel()
                with contextlib.suppress(BaseException):
                    await producer
                if handle.cancel_requested:
                    with contextlib.suppress(Exception):
                        await self._silence()
                self.current = None
                self.on_speaking(False)
                handle.finish()

    async def _synthesise(self, handle: SpeechHandle, sentences, q: asyncio.Queue) -> None:
        try:
            async for text in self._sentences(sentences):
                text = (text or "").strip()
                if handle.cancel_requested:
                    break
                if not text:
                    continue
                chunks = ThreadedIterator(lambda t=text: self.voice.stream(t), name="tts")
                try:
                    async for chunk in chunks:
                        if handle.cancel_requested:
                            return
                        await q.put((text, chunk))
                finally:
                    chunks.close()
            await q.put(_DONE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await q.put(exc)

    async def _play(self, handle: SpeechHandle, text: str, chunk: AudioChunk) -> None:
        pcm = np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return
        meta = dict(chunk.meta or {})
        now = self.sink.media_time()
        if self.cursor < now + self.audio_lead:  # a gap: start again just ahead of now
            self.cursor = now + self.audio_lead
            full = pcm.size
            pcm = trim_onset(pcm, chunk.sample_rate)  # an utterance's first sound: skip the voice's lead-in
            if pcm.size == 0:
                return
            cut = (full - pcm.size) / chunk.sample_rate
            if cut and meta.get("phonemes"):  # phoneme times are relative to the chunk's start
                meta["phonemes"] = [(p, s - cut, e - cut) for p, s, e in meta["phonemes"] if e > cut]
        ahead = self.cursor - now - self.max_ahead
        if ahead > 0 and await _wait_or(handle, ahead):
            return
        out = AudioChunk(pcm, chunk.sample_rate, self.cursor, meta=meta)
        # The face gets the whole chunk at once (its mouth looks ahead); the microphone gets it in
        # short pieces, never more than max_ahead early, so a barge-in has little queued sound to
        # drop and the handle knows what was really played.
        await asyncio.to_thread(self.avatar.push_audio, out)
        self.cursor = out.end
        step = max(1, int(chunk.sample_rate * PIECE_S))
        for i in range(0, pcm.size, step):
            pts = out.pts + i / chunk.sample_rate
            ahead = pts - self.sink.media_time() - self.max_ahead
            if ahead > 0 and await _wait_or(handle, ahead):
                return
            if handle.cancel_requested:
                return
            piece = AudioChunk(pcm[i:i + step], chunk.sample_rate, pts)
            await self.sink.send_audio(piece)
            handle.schedule(text, pts, piece.end)


async def _get_or(handle: SpeechHandle, q: asyncio.Queue):
    """The next queued item, or None once the handle is cancelled."""
    get = asyncio.ensure_future(q.get())
    stop = asyncio.ensure_future(handle.cancelled_within(None))
    done, _ = await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if get in done:
        return get.result()
    get.cancel()
    return None


async def _wait_or(handle: SpeechHandle, seconds: float) -> bool:
    """Sleep ``seconds`` unless the handle is cancelled first; True when it was."""
    return await handle.cancelled_within(seconds)
