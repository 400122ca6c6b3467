"""What leaves the session: its speech (here) and the avatar's video (``video_out.VideoPacer``).

Audio is the master clock. The speaker places each speech chunk at an integer sample count on
the media clock, pushes it into the avatar (which then knows the mouth shape for every instant
of it) and sends it to the meeting microphone; the pacer draws the k-th frame (t = k / fps)
slightly ahead of playback, so a frame and the sound it shows are scheduled for the same moment.
Each speaker voices its sentences on its own long-lived threads (two; see ``Speaker``), never
a new thread per sentence; the event loop only moves buffers.

Someone talking over the bot first *pauses* it (``Speaker.pause``: queued sound dropped at the
sink, mouth closed, within a frame), so the bot falls silent as soon as a voice is heard. Then
either it was nothing — a backchannel, a cough — and ``Speaker.resume`` says the rest, starting
again from the beginning of the sentence that was cut (the audio already synthesised is replayed,
nothing is voiced twice); or it was an interruption and ``Speaker.interrupt`` ends it for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import math
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np

from selfcast.live.speech import SpeechHandle
from selfcast.live.threads import ThreadedIterator
from selfcast.live.video_out import VideoSink
from selfcast.media.frames import AudioChunk, VideoFrame

__all__ = ["FrameSource", "MediaSink", "Speaker", "SpeechSynth", "trim_onset"]

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


_Voiced = tuple[str, AudioChunk] | BaseException | None  # a chunk of a sentence, a failure, the end


class MediaSink(VideoSink, Protocol):
    """The meeting's camera and microphone (``MeetingBot`` satisfies it)."""

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
        self._rate = 48_000  # what the cursor counts in (the voice's rate once it has spoken)
        self._cursor = 0  # samples at _rate from media time 0: where the next speech sample goes
        self._lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()
        # Sentences are voiced one after another on long-lived threads. Two, not one: a sentence
        # cut by a barge-in still finishes the piece it is rendering (a voice cannot be stopped
        # mid-piece), and the next utterance must not queue behind that (under load it waited ~10 s).
        self._voicing = ThreadPoolExecutor(2, thread_name_prefix="voice")

    @property
    def cursor(self) -> float:
        """Media time where the next speech sample goes."""
        return self._cursor / self._rate

    def retarget(self, sink: MediaSink) -> None:
        self.sink = sink
        self._cursor = 0

    def say(
        self, sentences: Iterable[str] | AsyncIterable[str], *, source: str = "brain", handle_id: str = ""
    ) -> SpeechHandle:
        handle = SpeechHandle(id=handle_id or f"speech-{next(self._ids)}", source=source)
        task = asyncio.create_task(self._run(handle, sentences), name=f"say-{handle.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return handle

    async def interrupt(self) -> SpeechHandle | None:
        """Barge-in: stop the utterance now (or leave a paused one silent for good); voice and
        mouth stop together."""
        h = self.current
        if h is None or h.done:
            return None
        was_paused = h.paused
        h.cancel(self.sink.media_time())
        if not was_paused:
            await self._silence()
        return h

    async def pause(self) -> SpeechHandle | None:
        """Someone may be taking the floor: silence the utterance now, keep it for ``resume``.
        None when nothing is playing (or it is already paused)."""
        h = self.current
        if h is None or h.done or not h.pause(self.sink.media_time()):
            return None
        await self._silence()
        return h

    async def resume(self) -> SpeechHandle | None:
        """It was nothing: go on with the paused utterance from the start of its cut sentence."""
        h = self.current
        if h is None or not h.resume():
            return None
        return h

    async def close(self) -> None:
        if self.current is not None:
            await self.interrupt()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._voicing.shutdown(wait=False, cancel_futures=True)

    async def _silence(self) -> None:
        self.avatar.clear_buffer()
        await self.sink.clear_output()
        self._cursor = math.ceil(self.sink.media_time() * self._rate)

    async def _run(self, handle: SpeechHandle, sentences: Iterable[str] | AsyncIterable[str]) -> None:
        async with self._lock:
            self.current = handle
            self.on_speaking(True)
            # Synthesis runs ahead of playback (the next sentence is voiced while this one plays),
            # so sentences follow each other without gaps.
            q: asyncio.Queue[_Voiced] = asyncio.Queue(maxsize=SYNTH_AHEAD)
            producer = asyncio.create_task(self._synthesise(handle, sentences, q), name=f"tts-{handle.id}")
            played: list[tuple[str, AudioChunk]] = []  # taken for playing (a pause says some again)
            again: deque[tuple[str, AudioChunk]] = deque()  # to play again before taking more
            voiced_all = False
            try:
                while not handle.cancel_requested:
                    if handle.paused:
                        if not await handle.resumed():
                            break
                        again = deque(_rewind(handle, played) + list(again))
                        continue
                    if again:
                        item: _Voiced = again.popleft()
                    elif voiced_all:
                        if self.sink.media_time() >= handle.end:
                            break  # all of it has been played
                        await handle.halted_within(handle.end - self.sink.media_time())
                        continue
                    else:
                        item = await _get_or(handle, q)
                        if item is _HALTED:
                            continue
                        if item is None:
                            voiced_all = handle.all_scheduled = True
                            continue
                    if isinstance(item, BaseException):
                        raise item
                    assert isinstance(item, tuple)
                    played.append(item)
                    await self._play(handle, *item)
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

    async def _synthesise(self, handle: SpeechHandle, sentences: Iterable[str] | AsyncIterable[str],
                          q: asyncio.Queue[_Voiced]) -> None:
        try:
            async for text in _each(sentences):
                text = (text or "").strip()
                if handle.cancel_requested:
                    break
                if not text:
                    continue
                chunks = ThreadedIterator(functools.partial(self.voice.stream, text), executor=self._voicing)
                try:
                    async for chunk in chunks:
                        if handle.cancel_requested:
                            return
                        await q.put((text, chunk))
                finally:
                    chunks.close()
            await q.put(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await q.put(exc)

    async def _play(self, handle: SpeechHandle, text: str, chunk: AudioChunk) -> None:
        pcm = np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return
        rate = chunk.sample_rate
        if rate != self._rate:  # count in the voice's samples from here on
            self._cursor, self._rate = math.ceil(self._cursor * rate / self._rate), rate
        meta = dict(chunk.meta or {})
        now = self.sink.media_time()
        if self.cursor < now + self.audio_lead:  # a gap: start again just ahead of now
            self._cursor = math.ceil((now + self.audio_lead) * rate)
            full = pcm.size
            pcm = trim_onset(pcm, rate)  # an utterance's first sound: skip the voice's lead-in
            if pcm.size == 0:
                return
            cut = (full - pcm.size) / rate
            if cut and meta.get("phonemes"):  # phoneme times are relative to the chunk's start
                meta["phonemes"] = [(p, s - cut, e - cut) for p, s, e in meta["phonemes"] if e > cut]
        ahead = self.cursor - now - self.max_ahead
        if ahead > 0 and await handle.halted_within(ahead):
            return
        start = self._cursor
        out = AudioChunk(pcm, rate, start / rate, meta=meta)
        # The face gets the whole chunk at once (its mouth looks ahead); the microphone gets it in
        # short pieces, never more than max_ahead early, so a barge-in has little queued sound to
        # drop and the handle knows what was really played.
        await asyncio.to_thread(self.avatar.push_audio, out)
        if handle.halted:  # paused or cut while the face took it: the face must not mouth it
            self.avatar.clear_buffer()
            return
        self._cursor = start + pcm.size
        step = max(1, int(rate * PIECE_S))
        for i in range(0, pcm.size, step):
            pts = (start + i) / rate
            ahead = pts - self.sink.media_time() - self.max_ahead
            if ahead > 0 and await handle.halted_within(ahead):
                return
            if handle.halted:
                return
            piece = AudioChunk(pcm[i:i + step], rate, pts)
            await self.sink.send_audio(piece)
            handle.schedule(text, pts, (start + i + piece.pcm.size) / rate)


async def _each(src: Iterable[str] | AsyncIterable[str]) -> AsyncIterator[str]:
    if isinstance(src, AsyncIterable):
        async for s in src:
            yield s
    else:
        for s in src:
            yield s


_HALTED = RuntimeError("halted")  # what ``_get_or`` returns when a pause or cancel came first


async def _get_or(handle: SpeechHandle, q: asyncio.Queue[_Voiced]) -> _Voiced:
    """The next queued item, or ``_HALTED`` once the handle is paused or cancelled."""
    if handle.halted:
        return _HALTED
    get = asyncio.ensure_future(q.get())
    stop = asyncio.ensure_future(handle.halted_within(None))
    done, _ = await asyncio.wait({get, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if get in done:
        return get.result()
    get.cancel()
    return _HALTED


def _rewind(handle: SpeechHandle, played: list[tuple[str, AudioChunk]]) -> list[tuple[str, AudioChunk]]:
    """The chunks to play again after a pause: every chunk from the first sentence not wholly heard
    before it (``played`` keeps the rest). Chunks come in runs of one sentence each, in the order
    the handle scheduled its sentences."""
    kept = handle.rewind()
    runs = 0
    for i, (text, _) in enumerate(played):
        if i == 0 or text != played[i - 1][0]:
            runs += 1
            if runs > kept:
                again = played[i:]
                del played[i:]
                return again
    return []
