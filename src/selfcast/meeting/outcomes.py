"""Named results and events of a meeting bot: honest failure codes beat optimism."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from selfcast.errors import (
    NetworkError,
    PlatformBlocked,
    PlatformDenied,
    PlatformNotFound,
    SelfcastError,
    Timeout,
    Unauthorized,
)


class Outcome(enum.StrEnum):
    JOINED = "joined"  # in the call without a waiting room
    WAITING_ROOM = "waiting_room"  # asked to join, not yet let in (a state, reported as an event)
    ADMITTED = "admitted"  # let in after waiting
    DENIED = "denied"
    BLOCKED = "blocked"  # the platform refuses bots / this browser
    NOT_FOUND = "not_found"
    NETWORK_ERROR = "network_error"  # the link's host could not be reached (DNS, refused, guard)
    SIGN_IN_REQUIRED = "sign_in_required"
    REMOVED = "removed"
    ENDED = "ended"
    TIMED_OUT = "timed_out"
    CRASHED = "crashed"  # the bot's browser died
    LEFT = "left"  # we left on purpose

    @property
    def in_call(self) -> bool:
        return self in (Outcome.JOINED, Outcome.ADMITTED)


_ERRORS: dict[Outcome, type[SelfcastError]] = {
    Outcome.DENIED: PlatformDenied,
    Outcome.BLOCKED: PlatformBlocked,
    Outcome.NOT_FOUND: PlatformNotFound,
    Outcome.NETWORK_ERROR: NetworkError,
    Outcome.SIGN_IN_REQUIRED: Unauthorized,
    Outcome.TIMED_OUT: Timeout,
    Outcome.REMOVED: PlatformDenied,
    Outcome.ENDED: PlatformNotFound,
    Outcome.CRASHED: SelfcastError,
}


@dataclass(slots=True)
class JoinResult:
    outcome: Outcome
    message: str = ""
    screenshot: str | None = None  # a PNG of the page when the join failed
    waited_s: float = 0.0
    steps: list[str] = field(default_factory=list)  # what the bot did and saw, in order

    @property
    def ok(self) -> bool:
        return self.outcome.in_call

    def raise_for_outcome(self) -> None:
        """Turn a failed join into the error taxonomy (for callers that prefer exceptions)."""
        if not self.ok:
            raise _ERRORS.get(self.outcome, SelfcastError)(f"{self.outcome.value}: {self.message}",
                                                           detail={"outcome": self.outcome.value})


class EventKind(enum.StrEnum):
    STATE = "state"  # data: {"outcome": ...}; waiting_room, joined, removed, ended, crashed, left
    PARTICIPANT_JOINED = "participant_joined"  # data: {"name"}
    PARTICIPANT_LEFT = "participant_left"  # data: {"name"}
    ACTIVE_SPEAKER = "active_speaker"  # data: {"name"} ("" when nobody)
    CHAT = "chat"  # data: {"id", "author", "text"}
    CAPTION = "caption"  # data: {"speaker", "text"}
    RECONNECTED = "reconnected"  # the page's signalling dropped and came back
    AUTO_LEAVE = "auto_leave"  # data: {"reason"}


@dataclass(slots=True)
class MeetingEvent:
    kind: EventKind
    data: dict = field(default_factory=dict)
    at: float = field(default_factory=time.time)


@dataclass(slots=True)
class Health:
    connected: bool  # the bridge socket is up (the page is alive)
    in_call: bool
    audio_arriving: bool  # meeting audio reached Python in the last 2 s
    audio_voiced_recently: bool  # ... and it was not silence (last 10 s)
    remote_audio_tracks: int
    fps_sent: float  # what Python pushed
    fps_written: float  # what the page wrote into the camera track
    bridge_delay_ms: float  # mean lateness of frames in the page + the A/V compensation
    video_mode: str  # "generator" or "canvas"
    page_visibility: str
    video_out_flowing: bool = False  # the page is writing the bot's frames into its camera track
    audio_out_flowing: bool = False  # ... and playing the bot's speech into its microphone track
    page_clock_offset_ms: float | None = None  # page clock − Python clock, measured by ping/pong
