"""``SpeechHandle``: one utterance the avatar is saying, cancellable, that knows what was heard.

LiveKit's lesson: the conversation must keep only the words that were actually played. The
speaker stamps every sentence on the media clock as it schedules it; when the utterance is cut
(barge-in, leave) the handle records the cut time, and ``heard_text`` keeps the sentences (and
the share of the words of the sentence in flight) that were played before it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass(slots=True)
class Scheduled:
    text: str
    start: float  # media-clock seconds
    end: float


@dataclass
class SpeechHandle:
    """Created by ``Speaker.say``; awaited for the outcome, cancelled for barge-in."""

    id: str
    source: str = "brain"  # brain | greeting | command | system
    sentences: list[Scheduled] = field(default_factory=list)
    interrupted: bool = False
    cut_at: float | None = None  # media time the speech was stopped
    error: str = ""
    started_at: float | None = None  # media time of the first sample
    all_scheduled: bool = False  # the speaker has scheduled the last sentence (none is still to come)
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _cancel: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    # -- the speaker's side -----------------------------------------------------------------
    def schedule(self, text: str, start: float, end: float) -> None:
        if self.started_at is None:
            self.started_at = start
        if self.sentences and self.sentences[-1].text == text:
            self.sentences[-1].end = end  # one sentence arrives in several chunks (maybe with a gap)
        else:
            self.sentences.append(Scheduled(text, start, end))

    def finish(self) -> None:
        self._done.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    async def cancelled_within(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: for ever) for a cancel; True when it came."""
        try:
            await asyncio.wait_for(self._cancel.wait(), None if seconds is None else max(0.0, seconds))
            return True
        except TimeoutError:
            return False

    # -- the session's side -----------------------------------------------------------------
    def cancel(self, at: float) -> None:
        """Stop at media time ``at`` (the speaker clears voice and mouth together)."""
        if self._done.is_set() or self._cancel.is_set():
            return
        # Cut mid-sound, or in a pause between sentences with more still to say.
        self.interrupted = at < self.end or not self.all_scheduled
        self.cut_at = at
        self._cancel.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    async def wait(self, timeout: float | None = None) -> SpeechHandle:
        await asyncio.wait_for(self._done.wait(), timeout)
        return self

    @property
    def end(self) -> float:
        return self.sentences[-1].end if self.sentences else (self.started_at or 0.0)

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences).strip()

    def played_until(self) -> float:
        return self.end if self.cut_at is None else min(self.cut_at, self.end)

    @property
    def heard_text(self) -> str:
        """The words played before the cut (all of them when it was not cut)."""
        cut = self.played_until()
        out: list[str] = []
        for s in self.sentences:
            if s.end <= cut:
                out.append(s.text)
            elif s.start < cut:
                words = s.text.split()
                share = (cut - s.start) / max(1e-6, s.end - s.start)
                n = int(len(words) * share)
                if n:
                    out.append(" ".join(words[:n]) + " —")
        return " ".join(out).strip()

    def result(self) -> SpeechResult:
        """What became of the utterance (read it once ``done``)."""
        return SpeechResult(self.id, self.source, self.text, self.heard_text, self.interrupted, self.error,
                            round(max(0.0, self.played_until() - (self.started_at or 0.0)), 3))


@dataclass(frozen=True, slots=True)
class SpeechResult:
    """The public outcome of one utterance: what was meant, what was heard, whether it was cut."""

    id: str
    source: str
    text: str
    heard: str
    interrupted: bool
    error: str
    duration_s: float

    def to_dict(self) -> dict[str, str | bool | float]:
        return {"id": self.id, "source": self.source, "text": self.text, "heard": self.heard,
                "interrupted": self.interrupted, "error": self.error, "duration_s": self.duration_s}
