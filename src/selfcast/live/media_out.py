"""What leaves the session: its speech (here) and the avatar's video (``video_out.VideoPacer``).

Audio is the master clock. The speaker places each speech chunk at an integer sample count on
the media clock, pushes it into the avatar (which then knows the mouth shape for every instant
of it) and sends it to the meeting microphone; the pacer draws the k-th frame (t = k / fps)
slightly ahead of playback, so a frame and the sound it shows are scheduled for the same moment.
Each speaker voices its sentences on its own long-lived threads (two; see ``Speaker``), never
a new thread per sentence; the event loop only moves buffers.

Someone talking over the bot first *pauses* it (``Speaker.pause``: queued sound dropped at the
sink, mouth closed, within a frame), so the bot falls silent as soon as a voice is heard. Then
either it was nothing — a backchannel, a cough — and ``Speaker.resume`` says the rest, taking the
cut sentence up again at the last pause between phrases before the cut (the start of its piece
when there is none; the audio already synthesised is replayed, nothing is voiced twice); or it was an
interruption and ``Speaker.interrupt`` ends it for good.
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
from dataclasses import dataclass, replace
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
RESUME_BACK_S = 0.12  # a resume repeats at least this much before the cut (the word it cut)
# Quiet this long inside a piece is a pause between phrases (Joe voice: its comma pauses are
# 0.15-0.25 s; at 0.05-0.08 s the closure of a "b" or "p" counts too, "dash|board", "tem|perature").
PHRASE_GAP_S = 0.11
QUIET_LEVEL = 0.05  # "quiet": 10 ms frames below this fraction of the piece's loudest


@dataclass(slots=True)
class _Piece:
    """One synthesised chunk of a sentence taken for playing, and where it went on the clock."""

    text: str
    chunk: AudioChunk
    origin: float | None = None  # media time its first sample was (or would have been) played at


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
        """It was nothing: go on with the paused utterance from a phrase pause before the cut."""
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
            played: list[_Piece] = []  # taken for playing (a pause says some again)
            again: deque[_Piece] = deque()  # to play again before taking more
            voiced_all = False
            try:
                while not handle.cancel_requested:
                    if handle.paused:
                        if not await handle.resumed():
                            break
                        again = deque(_rewind(handle, played) + list(again))
                        continue
                    if again:
                        piece = again.popleft()
                        played.append(piece)
                        await self._play(handle, piece)
                        continue
                    if voiced_all:
                        if self.sink.media_time() >= handle.end:
                            break  # all of it has been played
                        await handle.halted_within(handle.end - self.sink.media_time())
                        continue
                    item = await _get_or(handle, q)
                    if item is _HALTED:
                        continue
                    if item is None:
                        voiced_all = handle.all_scheduled = True
                        continue
                    if isinstance(item, BaseException):
                        raise item
                    piece = _Piece(*item)
                    played.append(piece)
                    await self._play(handle, piece)
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

    async def _play(self, handle: SpeechHandle, piece: _Piece) -> None:
        text, chunk = piece.text, piece.chunk
        pcm = np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return
        rate = chunk.sample_rate
        if rate != self._rate:  # count in the voice's samples from here on
            self._cursor, self._rate = math.ceil(self._cursor * rate / self._rate), rate
        meta = dict(chunk.meta or {})
        now = self.sink.media_time()
        trimmed = 0.0
        if self.cursor < now + self.audio_lead:  # a gap: start again just ahead of now
            self._cursor = math.ceil((now + self.audio_lead) * rate)
            full = pcm.size
            pcm = trim_onset(pcm, rate)  # an utterance's first sound: skip the voice's lead-in
            if pcm.size == 0:
                return
            cut = trimmed = (full - pcm.size) / rate
            if cut and meta.get("phonemes"):  # phoneme times are relative to the chunk's start
                meta["phonemes"] = [(p, s - cut, e - cut) for p, s, e in meta["phonemes"] if e > cut]
        ahead = self.cursor - now - self.max_ahead
        if ahead > 0 and await handle.halted_within(ahead):
            return
        start = self._cursor
        piece.origin = start / rate - trimmed
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
            part = AudioChunk(pcm[i:i + step], rate, pts)
            await self.sink.send_audio(part)
            handle.schedule(text, pts, (start + i + part.pcm.size) / rate)


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


def _rewind(handle: SpeechHandle, played: list[_Piece]) -> list[_Piece]:
    """What to play again after a pause (``played`` keeps what stays heard): the sentence in flight
    from the last pause between phrases before the cut (from the start of its piece when there is
    none, from its start when the cut fell between pieces), and everything taken after it. Pieces
    come in runs of one sentence each, in the order the handle scheduled its sentences."""
    at = handle.silenced_at
    kept = handle.wholly_heard()
    firsts = [i for i, p in enumerate(played) if i == 0 or p.text != played[i - 1].text]
    if kept >= len(firsts):
        handle.rewind()
        return []
    i0 = firsts[kept]
    i1 = firsts[kept + 1] if kept + 1 < len(firsts) else len(played)
    for j in range(i0, i1):
        p = played[j]
        if at is not None and p.origin is not None and p.origin <= at < p.origin + p.chunk.duration:
            back = _phrase_start(p.chunk, at - p.origin)
            if j == i0 and back <= 0.0:
                break  # the whole sentence again
            handle.rewind(heard_until=p.origin + back)
            again = [_Piece(p.text, _tail(p.chunk, back)), *played[j + 1:]]
            del played[j:]
            return again
    handle.rewind()
    again = played[i0:]
    del played[i0:]
    return again


def _phrase_start(chunk: AudioChunk, cut_s: float) -> float:
    """Seconds into ``chunk`` of the last pause between phrases that ends at least
    ``RESUME_BACK_S`` before ``cut_s`` (the middle of that quiet); 0 when there is none."""
    pcm = np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)
    frame = max(1, chunk.sample_rate // 100)
    n = min(pcm.size // frame, int((cut_s - RESUME_BACK_S) * 100))
    if n <= 0:
        return 0.0
    m = pcm.size // frame
    rms = np.sqrt(np.mean(pcm[: m * frame].reshape(m, frame) ** 2, axis=1))
    quiet = rms[:n] < QUIET_LEVEL * (float(rms.max()) or 1.0)
    need = max(1, round(PHRASE_GAP_S * 100))
    run = 0
    for i in range(n - 1, -1, -1):  # the latest quiet stretch long enough, that sound follows
        if quiet[i]:
            run += 1
        else:
            if run >= need:
                return (i + 1 + run / 2) / 100
            run = 0
    return 0.0


def _tail(chunk: AudioChunk, from_s: float) -> AudioChunk:
    """``chunk`` from ``from_s`` seconds on (its phoneme times moved with it)."""
    i = round(from_s * chunk.sample_rate)
    meta = dict(chunk.meta or {})
    if meta.get("phonemes"):
        meta["phonemes"] = [(ph, s - from_s, e - from_s) for ph, s, e in meta["phonemes"] if e > from_s]
    return replace(chunk, pcm=np.asarray(chunk.pcm, dtype=np.float32).reshape(-1)[i:], pts=chunk.pts + from_s,
                   meta=meta)
