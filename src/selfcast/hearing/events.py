"""What hearing tells the live session: typed events, times in seconds on the media clock."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Segment:
    """One finished utterance: who said what, when (media-clock seconds)."""

    speaker: str
    start: float
    end: float
    text: str

    def to_dict(self) -> dict:
        return {"speaker": self.speaker, "start": self.start, "end": self.end, "text": self.text}

    @classmethod
    def from_dict(cls, d: dict) -> Segment:
        return cls(str(d.get("speaker", "participant")), float(d.get("start", 0.0)),
                   float(d.get("end", 0.0)), str(d.get("text", "")))


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

    segment: Segment
    addressed: bool
    reason: str = ""  # why addressed / not (name, one-to-one, follow-up, group chatter, backchannel)
    latency: dict = field(default_factory=dict)  # measured: silence_ms, decode_ms


@dataclass(slots=True)
class BargeIn:
    """Someone spoke over the bot long enough to count: stop speaking now."""

    t: float
    speaker: str = "participant"


HearingEvent = SpeechStarted | PartialTranscript | EndOfTurn | BargeIn
