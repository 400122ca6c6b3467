"""What hearing tells the live session: typed events, times in seconds on the media clock."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfcast.hearing.speechgate import SegmentEvidence
from selfcast.transcript import TranscriptLine


@dataclass(slots=True)
class SpeechStarted:
    t: float


@dataclass(slots=True)
class PartialTranscript:
    text: str
    t: float


@dataclass(slots=True)
class EndOfTurn:
    """A person finished speaking. ``addressed``: the bot should answer (addressing policy)."""

    segment: TranscriptLine
    addressed: bool
    reason: str = ""  # why addressed / not (name, one-to-one, follow-up, group chatter, backchannel)
    latency: dict = field(default_factory=dict)  # measured: silence_ms, decode_ms
    evidence: SegmentEvidence | None = None  # what the speech gate judged (audio turns; None for captions)


@dataclass(slots=True)
class HoldOn:
    """A voice over the bot (``pause_after_ms`` of it): pause now, it may be an interruption.
    Always followed by a ``BargeIn`` or a ``Resume``."""

    t: float


@dataclass(slots=True)
class Resume:
    """What paused the bot was no interruption: a backchannel, noise, no words. Go on."""

    t: float
    reason: str = ""  # backchannel | no words | not speech | gone quiet


@dataclass(slots=True)
class BargeIn:
    """Someone spoke over the bot and it counts (real words, or talk held past ``barge_in_min_ms``):
    stop speaking for good."""

    t: float
    speaker: str = "participant"


HearingEvent = SpeechStarted | PartialTranscript | EndOfTurn | HoldOn | Resume | BargeIn
