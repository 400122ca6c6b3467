"""The typed seams of a live session: the meeting it sits in and the engines it drives.

``live`` talks to the meeting only through ``MeetingPort`` (``meeting.bot.MeetingBot`` is the real
one; the fast tests use a fake) and to each engine through its Protocol here, so the session
never reaches into a bridge, a renderer or a recogniser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Protocol

from selfcast.brain.base import BrainContext, Turn
from selfcast.hearing.events import HearingEvent
from selfcast.media.frames import AudioChunk, VideoFrame
from selfcast.meeting.outcomes import Health, JoinResult, MeetingEvent, Outcome


class MeetingPort(Protocol):
    """One bot in one meeting: media on the session clock, join/leave, what happens in the call."""

    outcome: Outcome | None

    @property
    def participants(self) -> list[str]: ...

    @property
    def crashed(self) -> bool: ...

    # -- clock (seconds on the session media clock; the origin is wall-clock epoch seconds)
    def media_time(self) -> float: ...

    def clock_origin(self) -> float: ...

    def set_clock_origin(self, epoch_s: float) -> None: ...

    # -- lifecycle
    async def start(self) -> None: ...

    async def join(self, timeout_s: float | None = None) -> JoinResult: ...

    async def leave(self) -> None: ...

    async def close(self) -> None: ...

    # -- media out (camera and microphone) and in (the meeting's mixed audio)
    def wants_frame(self) -> bool: ...

    async def send_video(self, frame: VideoFrame) -> None: ...

    async def send_audio(self, chunk: AudioChunk) -> None: ...

    async def clear_output(self) -> None: ...

    def audio_in(self) -> AsyncIterator[AudioChunk]: ...

    # -- the call
    def events(self) -> AsyncIterator[MeetingEvent]: ...

    async def send_chat(self, text: str) -> None: ...

    def health(self) -> Health: ...


class HearingEngine(Protocol):
    """Ears: audio (or platform captions) in, typed turn events out. Fed from one task."""

    def feed(self, chunk: AudioChunk) -> list[HearingEvent]: ...

    def feed_caption(self, speaker: str, text: str, *, t: float, final: bool = True,
                     start: float | None = None) -> list[HearingEvent]: ...

    def set_bot_speaking(self, speaking: bool, t: float | None = None) -> None: ...

    def set_participants(self, who: int | Iterable[str]) -> None: ...

    def close(self) -> None: ...


class BrainEngine(Protocol):
    """The reply, streamed sentence by sentence (a blocking iterator; the session runs it on a thread).

    ``prepare`` (blocking, once, while the bot joins) and ``warm`` (non-blocking, with a person's
    partial words) let a model with a prompt cache do its reading before the turn ends; brains
    without one do nothing. ``answered_by`` names who said the last reply (a fallback's name when
    the model could not).
    """

    answered_by: str

    def reply(self, history: list[Turn], context: BrainContext) -> Iterator[str]: ...

    def prepare(self, context: BrainContext) -> float | None: ...

    def warm(self, history: list[Turn], context: BrainContext) -> None: ...

    def close(self) -> None: ...


class VoiceEngine(Protocol):
    """Text to speech chunks (a blocking iterator; phoneme timings in ``meta`` when measured)."""

    def stream(self, text: str) -> Iterator[AudioChunk]: ...


class AvatarEngine(Protocol):
    """The face: speech audio in, the frame for any instant of the session clock out."""

    fps: int

    def frame_at(self, t: float) -> VideoFrame: ...

    def push_audio(self, chunk: AudioChunk) -> None: ...

    def clear_buffer(self) -> None: ...

    def set_listening(self, listening: bool) -> None: ...
