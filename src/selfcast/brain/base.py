"""The brain's one interface: conversation + context → reply text, streamed a sentence at a time.

Providers implement ``_stream`` (raw text pieces as they arrive). ``Brain.reply`` runs it in a
worker thread, cuts the pieces into spoken sentences and yields each as soon as it is complete;
a provider that fails, or says nothing within ``first_token_timeout_s``, becomes a spoken
apology instead of an exception, so a live session never goes silent or crashes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selfcast.brain.redact import redact, redacted_logger
from selfcast.sentences import SentenceSplitter
from selfcast.speakable import speakable

if TYPE_CHECKING:
    from selfcast.brain.memory import MemoryStore
    from selfcast.brain.workspace import ReferenceCard
    from selfcast.transcript import TranscriptLine

log = redacted_logger(__name__)

APOLOGY = "Sorry, I can't reach my notes right now. Could you ask me again in a moment?"
APOLOGY_MIDWAY = "Sorry, I lost my train of thought there."


def _split(words: str) -> list[str]:
    return words.split()


@dataclass(slots=True)
class Turn:
    """One exchange in the conversation. ``role`` is ``user`` or ``assistant``."""

    role: str
    text: str
    speaker: str = ""


@dataclass
class BrainContext:
    """What the brain may know: the reference card (or a plain system prompt), memory of past
    meetings, and this meeting's transcript so far."""

    bot_name: str = "the assistant"
    card: ReferenceCard | str | None = None
    system_prompt: str = ""
    memory: MemoryStore | None = None
    transcript: list[TranscriptLine] = field(default_factory=list)

    def card_text(self) -> str:
        if self.card is None:
            return ""
        return redact(self.card if isinstance(self.card, str) else self.card.text, drop=True)


class Cancelled(Exception):
    pass


SENTENCE_MAX_CHARS = 160  # a run-on reply starts speaking at a clause after ~28 words


def _spoken(sentences: list[str], vet: Callable[[str], str | None] = lambda s: s) -> list[str]:
    """What the voice may say: a sentence that states a credential is dropped whole, whatever
    the model or a card said (one rule for every provider), then made speakable."""
    vetted = (v for v in map(vet, sentences) if v)
    return [t for t in (spoken(redact(s, drop=True)) for s in vetted) if t]


def spoken(text: str) -> str:
    """A reply sentence as the voice should say it (see ``selfcast.speakable``)."""
    return speakable(text)


class Brain:
    """Base of brain providers. Subclasses implement ``_stream``.

    ``fallback``: a brain that answers instead when this one is not ``available()``, fails, or
    gives no complete sentence within ``first_sentence_s()`` (the embedded LLM's is the
    extractive responder); without one, the listener hears a short apology.
    """

    name = "base"
    first_clause_words = 0  # >0: the first piece given to the voice may be a clause this long
    max_sentences = 0  # >0: a reply ends after this many sentences (a model that rambles is cut)

    def __init__(self, settings, *, fallback: Brain | None = None) -> None:
        self.settings = settings
        self.fallback = fallback
        self.answered_by = ""  # who said the last reply: this brain's name, or its fallback's

    def available(self) -> bool:
        return True

    def vetter(self, history: list[Turn], context: BrainContext) -> Callable[[str], str | None]:
        """What each sentence passes before it is spoken: itself (kept), a corrected form, or None
        (not said). Brains that can invent check their sentences against their sources here."""
        return lambda sentence: sentence

    def prepare(self, context: BrainContext) -> float | None:
        """Read the fixed part of the prompt ahead of the first question (seconds it took)."""
        return None

    def warm(self, history: list[Turn], context: BrainContext) -> None:
        """Read the conversation so far ahead of the end of the turn (never blocks)."""

    def first_sentence_s(self) -> float:
        return float(getattr(self.settings, "first_token_timeout_s", 8.0))

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        raise NotImplementedError

    def reply(self, history: list[Turn], context: BrainContext) -> Iterator[str]:
        """Spoken-style sentences, each yielded as soon as it exists. Never raises for provider
        failures: they become the fallback's answer or an apology. Closing the iterator
        (barge-in) cancels the provider."""
        self.answered_by = self.name
        if self.fallback is not None and not self.available():
            log.info("brain %s not available yet: %s answers", self.name, self.fallback.name)
            yield from self._fall_back(history, context)
            return
        q: queue.Queue = queue.Queue()
        cancel = threading.Event()
        t0 = time.perf_counter()

        def work() -> None:
            try:
                for piece in self._stream(history, context, cancel):
                    if cancel.is_set():
                        return
                    if piece:
                        q.put(("piece", piece))
                q.put(("done", None))
            except Cancelled:
                q.put(("done", None))
            except Exception as exc:
                q.put(("error", exc))

        threading.Thread(target=work, name=f"brain-{self.name}", daemon=True).start()
        splitter = SentenceSplitter(SENTENCE_MAX_CHARS, first_clause_words=self.first_clause_words)
        vet = self.vetter(history, context)
        said = 0
        first_timeout = self.first_sentence_s()
        total_timeout = float(getattr(self.settings, "timeout_s", 20.0))
        try:
            while True:
                elapsed = time.perf_counter() - t0
                wait = (first_timeout if said == 0 else total_timeout) - elapsed
                try:
                    kind, val = q.get(timeout=max(0.01, wait))
                except queue.Empty:
                    log.warning("brain provider %s timed out after %.1fs", self.name, time.perf_counter() - t0)
                    cancel.set()
                    if not said and self.fallback is not None:
                        yield from self._fall_back(history, context)
                        return
                    yield from _spoken(splitter.flush(), vet) if said else ()
                    yield APOLOGY_MIDWAY if said else APOLOGY
                    return
                if kind == "piece":
                    for s in _spoken(splitter.push(val), vet):
                        said += 1
                        yield s
                        if self.max_sentences and said >= self.max_sentences:
                            log.info("brain %s: %d sentences said, the rest dropped", self.name, said)
                            return  # spoken replies stay short; the finally cancels the provider
                elif kind == "done":
                    for s in _spoken(splitter.flush(), vet):
                        said += 1
                        yield s
                    if not said and self.fallback is not None:
                        yield from self._fall_back(history, context)
                        return
                    if not said:
                        yield APOLOGY
                    log.info("brain %s replied in %.2fs (%d sentences)", self.name, time.perf_counter() - t0, said)
                    return
                else:
                    log.warning("brain provider %s failed: %s", self.name, _describe(val))
                    if not said and self.fallback is not None:
                        yield from self._fall_back(history, context)
                        return
                    for s in _spoken(splitter.flush(), vet):
                        said += 1
                        yield s
                    yield APOLOGY_MIDWAY if said else APOLOGY
                    return
        finally:
            cancel.set()

    def _fall_back(self, history: list[Turn], context: BrainContext) -> Iterator[str]:
        assert self.fallback is not None
        self.answered_by = self.fallback.name
        yield from self.fallback.reply(history, context)

    def close(self) -> None:
        """Release connections (optional hook)."""


def _describe(exc: BaseException) -> str:
    """Exception type and a redacted, short message (never a payload)."""
    return f"{type(exc).__name__}: {redact(str(exc))[:200]}"
