"""The one transcript-line type: hearing writes it, the brain reads it, live logs it, notes
summarise it, the platform stores it and the API returns it. Times are media-clock seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """Who said what, and when; ``bot`` marks the avatar's own (heard) words."""

    speaker: str
    text: str
    start: float = 0.0
    end: float = 0.0
    bot: bool = False

    def to_dict(self) -> dict[str, str | float | bool]:
        return {"speaker": self.speaker, "text": self.text, "start": self.start, "end": self.end, "bot": self.bot}

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> TranscriptLine:
        return cls(str(d.get("speaker", "participant")), str(d.get("text", "")),
                   float(d.get("start", 0.0) or 0.0), float(d.get("end", 0.0) or 0.0),  # type: ignore[arg-type]
                   bool(d.get("bot", False)))
