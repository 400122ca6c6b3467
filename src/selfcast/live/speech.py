"""``SpeechHandle``: one utterance the avatar is saying, cancellable, that knows what was heard.

LiveKit's lesson: the conversation must keep only the words that were actually played. The
speaker stamps every sentence on the media clock as it schedules it; when the utterance is cut
(barge-in, leave) the handle records the cut time, and ``heard_text`` keeps the sentences (and
the share of the words of the sentence in flight) that were played before it.

An utterance can also be *paused* (someone started talking over it, and it is not yet known
whether they are taking the floor): nothing more is played until it is resumed or cancelled. A
cancel while paused cuts it where the pause silenced it, not later; a resume takes the sentence in
flight up again a little before where it was silenced (``rewind``).
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
    paused_at: float | None = None  # media time its sound was stopped by a pause still in force
    silenced_at: float | None = None  # media time the last pause stopped it (kept after the resume)
    pauses: int = 0  # how often it was paused (each resume re-says the sentence in flight)
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _cancel: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _halt: asyncio.Event = field(default_factory=asyncio.Event, repr=False)  # paused or cancelled
    _resumed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

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

    @property
    def halted(self) -> bool:
        """Nothing more may be played: paused or cancelled."""
        return self._halt.is_set()

    async def cancelled_within(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: for ever) for a cancel; True when it came."""
        return await _set_within(self._cancel, seconds)

    async def halted_within(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: for ever) for a pause or a cancel; True when one came."""
        return await _set_within(self._halt, seconds)

    async def resumed(self) -> bool:
        """Wait out a pause: True once resumed, False when cancelled instead."""
        while self.paused and not self.cancel_requested:
            self._resumed.clear()
            waiters = {asyncio.ensure_future(self._resumed.wait()), asyncio.ensure_future(self._cancel.wait())}
            _, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for w in pending:
                w.cancel()
        return not self.cancel_requested

    def wholly_heard(self) -> int:
        """How many sentences were played to their end before the last pause."""
        at = self.silenced_at if self.silenced_at is not None else self.end
        kept = 0
        # the last one scheduled may still have chunks to come (a slow voice): only a later
        # sentence, or the end of the utterance, proves it was all sent
        while (kept < len(self.sentences) and self.sentences[kept].end <= at
               and (kept < len(self.sentences) - 1 or self.all_scheduled)):
            kept += 1
        return kept

    def rewind(self, heard_until: float | None = None) -> int:
        """After a pause: keep the sentences wholly heard before it; the one in flight stays, heard
        until ``heard_until`` (where the speaker takes it up again), or, when None, is forgotten
        (said again from its start); later ones are forgotten. Returns the sentences wholly heard."""
        kept = self.wholly_heard()
        if heard_until is not None and kept < len(self.sentences) and heard_until > self.sentences[kept].start:
            self.sentences[kept].end = min(self.sentences[kept].end, heard_until)
            del self.sentences[kept + 1:]
        else:
            del self.sentences[kept:]
        return kept

    # -- the session's side -----------------------------------------------------------------
    def pause(self, at: float) -> bool:
        """Stop playing at media time ``at`` for now (the speaker clears voice and mouth); False
        when there is nothing to pause (finished, cancelled or already paused)."""
        if self._done.is_set() or self._cancel.is_set() or self.paused_at is not None:
            return False
        self.paused_at = self.silenced_at = at
        self.pauses += 1
        self._halt.set()
        return True

    def resume(self) -> bool:
        """Go on after a pause (the speaker takes the sentence in flight up again, see ``rewind``)."""
        if self.paused_at is None or self._cancel.is_set() or self._done.is_set():
            return False
        self.paused_at = None
        self._halt.clear()
        self._resumed.set()
        return True

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def cancel(self, at: float) -> None:
        """Stop at media time ``at`` (the speaker clears voice and mouth together); a paused
        utterance was last heard when it was paused."""
        if self._done.is_set() or self._cancel.is_set():
            return
        if self.paused_at is not None:
            at = min(at, self.paused_at)
        # Cut mid-sound, or in a pause between sentences with more still to say.
        self.interrupted = at < self.end or not self.all_scheduled
        self.cut_at = at
        self._cancel.set()
        self._halt.set()

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


async def _set_within(event: asyncio.Event, seconds: float | None) -> bool:
    try:
        await asyncio.wait_for(event.wait(), None if seconds is None else max(0.0, seconds))
        return True
    except TimeoutError:
        return False


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
