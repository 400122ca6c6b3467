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
class BargeIn:
    """Someone spoke over the bot long enough to count: stop speaking now."""

    t: float
    speaker: str = "participant"


HearingEvent = SpeechStarted | PartialTranscript | EndOfTurn | BargeIn
