"""Fakes that drive a real ``LiveSession`` without a browser or a model, in milliseconds.

A fake meeting port (media on the real clock, scripted join outcomes, events the test pushes),
scripted hearing (the test queues the events it "heard"), a voice that speaks fixed 50 ms chunks
per word, a canned brain, a face that records what it was given, and a reporter that keeps the
worker contract in memory. Everything else — the session's parts, the speaker, the pacer, the
conversation, the notes and the memory — is the real code.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from selfcast.brain.base import BrainContext, Turn
from selfcast.errors import BadInput
from selfcast.hearing.events import BargeIn, EndOfTurn, HearingEvent, PartialTranscript, SpeechStarted
from selfcast.live.contract import Command, Directive, SessionSpec
from selfcast.live.engines import Engines
from selfcast.media.frames import AudioChunk, VideoFrame
from selfcast.meeting.outcomes import EventKind, Health, JoinResult, MeetingEvent, Outcome
from selfcast.settings import Settings
from selfcast.transcript import TranscriptLine

SR = 16_000
WORD_S = 0.05  # the fake voice speaks each word in 50 ms


class FakeMeeting:
    """A ``MeetingPort``: joins as scripted, records what the session sends."""

    def __init__(self, *, outcome: Outcome = Outcome.JOINED, join_delay_s: float = 0.0,
                 participants: Sequence[str] = ("Alice",)) -> None:
        self.outcome: Outcome | None = None
        self._join_outcome, self._join_delay = outcome, join_delay_s
        self._people = list(participants)
        self._origin = time.time()
        self._events: asyncio.Queue[MeetingEvent] = asyncio.Queue()
        self.crashed_flag = False
        self.video: list[VideoFrame] = []
        self.audio: list[AudioChunk] = []
        self.clears: list[float] = []
        self.chat: list[str] = []
        self.calls: list[str] = []
        self.origin_set: float | None = None

    # -- test side
    def push(self, kind: EventKind, **data: Any) -> None:
        self._events.put_nowait(MeetingEvent(kind, dict(data)))

    def arrive(self, name: str) -> None:
        self._people.append(name)
        self.push(EventKind.PARTICIPANT_JOINED, name=name)

    def crash(self) -> None:
        self.crashed_flag = True
        self.outcome = Outcome.CRASHED
        self.push(EventKind.STATE, outcome="crashed", message="the browser process is gone")

    def spoken_s(self, after: float = -1e9) -> float:
        return sum(c.duration for c in self.audio if c.pts >= after and np.any(c.pcm))

    # -- MeetingPort
    @property
    def participants(self) -> list[str]:
        return list(self._people)

    @property
    def crashed(self) -> bool:
        return self.crashed_flag

    def media_time(self) -> float:
        return time.time() - self._origin

    def clock_origin(self) -> float:
        return self._origin

    def set_clock_origin(self, epoch_s: float) -> None:
        self._origin = self.origin_set = epoch_s

    async def start(self) -> None:
        self.calls.append("start")

    async def join(self, timeout_s: float | None = None) -> JoinResult:
        self.calls.append(f"join:{timeout_s}")
        await asyncio.sleep(self._join_delay)
        if self.crashed_flag:
            return JoinResult(Outcome.CRASHED, "the browser died while joining")
        self.outcome = self._join_outcome
        return JoinResult(self._join_outcome, "scripted")

    async def leave(self) -> None:
        self.calls.append("leave")
        self.outcome = Outcome.LEFT

    async def close(self) -> None:
        self.calls.append("close")

    def wants_frame(self) -> bool:
        return not self.crashed_flag

    async def send_video(self, frame: VideoFrame) -> None:
        self.video.append(frame)

    async def send_audio(self, chunk: AudioChunk) -> None:
        self.audio.append(chunk)

    async def clear_output(self) -> None:
        self.clears.append(self.media_time())

    async def audio_in(self) -> AsyncIterator[AudioChunk]:
        """20 ms of (silent) meeting audio in real time: it paces the scripted hearing."""
        while not self.crashed_flag:
            await asyncio.sleep(0.02)
            t = self.media_time()
            yield AudioChunk(np.zeros(320, np.float32), SR, t - 0.02)

    async def events(self) -> AsyncIterator[MeetingEvent]:
        while True:
            yield await self._events.get()

    async def send_chat(self, text: str) -> None:
        if not (self.outcome and self.outcome.in_call):
            raise BadInput("the bot is not in a call; join first")
        self.chat.append(text)

    def health(self) -> Health:
        up = not self.crashed_flag
        return Health(connected=up, in_call=bool(self.outcome and self.outcome.in_call), audio_arriving=up,
                      audio_voiced_recently=False, remote_audio_tracks=1, fps_sent=25.0 if self.video else 0.0,
                      fps_written=25.0 if self.video else 0.0, bridge_delay_ms=0.0, video_mode="fake",
                      page_visibility="visible", video_out_flowing=up and bool(self.video),
                      audio_out_flowing=up and bool(self.audio))


class ScriptedHearing:
    """A ``HearingEngine``: the test queues what was "heard"; each fed chunk hands it over."""

    def __init__(self) -> None:
        self._queue: list[HearingEvent] = []
        self.bot_speaking: list[bool] = []
        self.participants = 0
        self.closed = False

    def hear(self, *events: HearingEvent) -> None:
        self._queue.extend(events)

    def question(self, text: str, *, speaker: str = "Alice", start: float, end: float,
                 addressed: bool = True) -> None:
        self.hear(SpeechStarted(start), EndOfTurn(TranscriptLine(speaker, text, start, end), addressed, "scripted"))

    def feed(self, chunk: AudioChunk) -> list[HearingEvent]:
        out, self._queue = self._queue, []
        return out

    def feed_caption(self, speaker: str, text: str, *, t: float, final: bool = True,
                     start: float | None = None) -> list[HearingEvent]:
        return [PartialTranscript(text, t)]

    def set_bot_speaking(self, speaking: bool, t: float | None = None) -> None:
        self.bot_speaking.append(speaking)

    def set_participants(self, who: int | Iterable[str]) -> None:
        self.participants = who if isinstance(who, int) else len(list(who))

    def close(self) -> None:
        self.closed = True


def barge_in(t: float) -> BargeIn:
    return BargeIn(t)


class FixedChunkVoice:
    """A ``VoiceEngine``: one 50 ms tone chunk per word, so the time a word is played is known."""

    def __init__(self, *, fail_on: str = "") -> None:
        self.texts: list[str] = []
        self.fail_on = fail_on

    def stream(self, text: str) -> Iterator[AudioChunk]:
        self.texts.append(text)
        if self.fail_on and self.fail_on in text:
            raise RuntimeError(f"the voice cannot say {self.fail_on!r}")
        n = int(WORD_S * SR)
        tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(n) / SR)).astype(np.float32)
        for _ in text.split():
            yield AudioChunk(tone.copy(), SR)


class CannedBrain:
    """A ``BrainEngine``: answers from a table of (keyword → sentences), after an optional delay."""

    def __init__(self, answers: dict[str, list[str]], *, delay_s: float = 0.0, fail: bool = False) -> None:
        self.answers, self.delay_s, self.fail = answers, delay_s, fail
        self.asked: list[tuple[list[Turn], BrainContext]] = []
        self.answered_by = "canned"
        self.prepared: list[BrainContext] = []  # what it was given to read while the bot joined
        self.warmed: list[str] = []  # the partial words it was given while someone spoke

    def prepare(self, context: BrainContext) -> float | None:
        self.prepared.append(context)
        return 0.0

    def warm(self, history: list[Turn], context: BrainContext) -> None:
        self.warmed.append(history[-1].text)

    def reply(self, history: list[Turn], context: BrainContext) -> Iterator[str]:
        self.asked.append((list(history), context))
        time.sleep(self.delay_s)
        if self.fail:
            raise ConnectionError("the provider is down")
        question = history[-1].text.lower() if history else ""
        for key, sentences in self.answers.items():
            if key in question:
                yield from sentences
                return
        yield "I don't know that."

    def close(self) -> None:
        pass


class FakeFace:
    """An ``AvatarEngine`` that renders a 16×16 frame and records what it was told."""

    fps = 25

    def __init__(self) -> None:
        self.pushed: list[AudioChunk] = []
        self.cleared = 0
        self.listening: list[bool] = []
        self._lock = threading.Lock()

    def frame_at(self, t: float) -> VideoFrame:
        return VideoFrame(np.zeros((16, 16, 3), np.uint8), pts=t)

    def push_audio(self, chunk: AudioChunk) -> None:
        with self._lock:
            self.pushed.append(chunk)

    def clear_buffer(self) -> None:
        self.cleared += 1

    def set_listening(self, listening: bool) -> None:
        self.listening.append(listening)


@dataclass
class MemoryReporter:
    """The worker contract kept in memory (what ``DbReporter`` writes to the database)."""

    session_id: str = "sess_fake"
    cancelled: threading.Event = field(default_factory=threading.Event)
    states: list[str] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lines: list[TranscriptLine] = field(default_factory=list)
    notes: tuple[dict[str, Any], str] | None = None
    commands: list[Command] = field(default_factory=list)
    current: Directive = field(default_factory=Directive)
    command_reads: list[int] = field(default_factory=list)

    def set_state(self, state: str, **flags: Any) -> None:
        self.states.append(state)
        self.flags.append(flags)

    def directive(self) -> Directive:
        return self.current

    def commands_after(self, seq: int) -> list[Command]:
        self.command_reads.append(seq)
        return [c for c in self.commands if c.seq > seq]

    def store_transcript(self, lines: Sequence[TranscriptLine]) -> None:
        self.lines.extend(lines)

    def store_notes(self, data: dict[str, Any], markdown: str) -> None:
        self.notes = (data, markdown)

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        self.events.append((kind, dict(data or {})))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.events]

    def first(self, kind: str) -> dict[str, Any]:
        return next(d for k, d in self.events if k == kind)


def fast_settings(data_dir: Path, **live: Any) -> Settings:
    """Settings whose timings suit fakes: short leads and timeouts, quick command polling."""
    opts = {"video_lead_ms": 40.0, "audio_lead_ms": 60.0, "max_audio_ahead_s": 0.2, "ready_timeout_s": 2.0,
            "rejoin_timeout_s": 2.0, "command_poll_s": 0.03, "goodbye_timeout_s": 5.0, **live}
    return Settings(data_dir=data_dir, live=opts)  # type: ignore[arg-type]


def spec(**kw: Any) -> SessionSpec:
    base: dict[str, Any] = {"session_id": "sess_fake", "account_id": "acc_test", "platform": "room",
                            "meet_url": "http://127.0.0.1:8787/room/fake", "bot_name": "Ada (AI)",
                            "voice_id": "fake", "avatar_path": None,
                            "system_prompt": "Ada is fixing the rain gauge."}
    return SessionSpec(**{**base, **kw})


def engines(*, brain: CannedBrain | None = None, hearing: Any = None, voice: FixedChunkVoice | None = None) -> Engines:
    return Engines(FakeFace(), voice or FixedChunkVoice(), hearing if hearing is not None else ScriptedHearing(),
                   brain or CannedBrain({"release": ["The first release is planned for Friday."]}))
