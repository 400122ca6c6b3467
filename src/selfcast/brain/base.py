"""The brain's one interface: conversation + context → reply text, streamed a sentence at a time.

Providers implement ``_stream`` (raw text pieces as they arrive). ``Brain.reply`` runs it in a
worker thread, cuts the pieces into spoken sentences and yields each as soon as it is complete;
a provider that fails, or says nothing within ``first_token_timeout_s``, becomes a spoken
apology instead of an exception, so a live session never goes silent or crashes.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from selfcast.brain.redact import redact

if TYPE_CHECKING:
    from selfcast.brain.memory import MemoryStore
    from selfcast.brain.workspace import ReferenceCard
    from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)

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
        return redact(self.card if isinstance(self.card, str) else self.card.text)


class Cancelled(Exception):
    pass


_SENT_END = re.compile(r"([.!?…]+)[\"')\]]*(\s+|$)")
_ABBREV = frozenset(_split("e.g i.e etc vs mr mrs ms dr st no approx fig inc ltd jr sr"))


class SentenceSplitter:
    """Accumulates streamed text; ``push`` returns the sentences it completed."""

    def __init__(self, max_words: int = 28) -> None:
        self.buf = ""
        self.max_words = max_words

    def push(self, piece: str) -> list[str]:
        self.buf += piece
        out = []
        while True:
            m = None
            for cand in _SENT_END.finditer(self.buf):
                before = self.buf[: cand.start()].split()
                if (not cand.group(2) and cand.end() == len(self.buf) and cand.group(1) == "."
                        and not re.search(r"[A-Za-z]", before[-1] if before else "")):
                    break  # "3." at the end of the buffer may be "3.5" in the next piece
                last = before[-1].lower().strip("(\"'") if before else ""
                if last in _ABBREV or (len(last) == 1 and last.isalpha()) or len(before) < 2:
                    continue
                m = cand
                break
            if m is None:
                words = self.buf.split()
                if len(words) > self.max_words and re.search(r"[,;:]\s", self.buf):
                    cut = max(self.buf.rfind(", "), self.buf.rfind("; "), self.buf.rfind(": "))
                    if cut > 0:
                        out.append(self.buf[: cut + 1])
                        self.buf = self.buf[cut + 2:]
                        continue
                break
            out.append(self.buf[: m.end()])
            self.buf = self.buf[m.end():]
        return [s for s in (spoken(x) for x in out) if s]

    def flush(self) -> list[str]:
        rest, self.buf = self.buf, ""
        s = spoken(rest)
        return [s] if s else []


def spoken(text: str) -> str:
    """Markdown and symbols out, so the voice reads it naturally."""
    t = re.sub(r"```.*?```", " ", text, flags=re.S)
    t = re.sub(r"https?://\S+", "a link", t)
    t = re.sub(r"`([^`]*)`", r"\1", t)
    t = re.sub(r"^\s*(?:[-*+•]|\d+[.)]|#+)\s+", "", t, flags=re.M)
    t = re.sub(r"[*_]{1,3}([^*_\n]+)[*_]{1,3}", r"\1", t)
    t = t.replace("#", "")
    return re.sub(r"\s+", " ", t).strip()


class Brain:
    """Base of brain providers. Subclasses implement ``_stream``."""

    name = "base"

    def __init__(self, settings) -> None:
        self.settings = settings

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        raise NotImplementedError

    def reply(self, history: list[Turn], context: BrainContext) -> Iterator[str]:
        """Spoken-style sentences, each yielded as soon as it exists. Never raises for provider
        failures: they become an apology. Closing the iterator (barge-in) cancels the provider."""
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
        splitter = SentenceSplitter()
        said = 0
        first_timeout = float(getattr(self.settings, "first_token_timeout_s", 8.0))
        total_timeout = float(getattr(self.settings, "timeout_s", 20.0))
        try:
            while True:
                elapsed = time.perf_counter() - t0
                wait = (first_timeout if said == 0 and not splitter.buf else total_timeout) - elapsed
                try:
                    kind, val = q.get(timeout=max(0.01, wait))
                except queue.Empty:
                    log.warning("brain provider %s timed out after %.1fs", self.name, time.perf_counter() - t0)
                    cancel.set()
                    yield from splitter.flush() if said else ()
                    yield APOLOGY_MIDWAY if said else APOLOGY
                    return
                if kind == "piece":
                    for s in splitter.push(val):
                        said += 1
                        yield s
                elif kind == "done":
                    for s in splitter.flush():
                        said += 1
                        yield s
                    if not said:
                        yield APOLOGY
                    log.info("brain %s replied in %.2fs (%d sentences)", self.name, time.perf_counter() - t0, said)
                    return
                else:
                    log.warning("brain provider %s failed: %s", self.name, _describe(val))
                    for s in splitter.flush():
                        said += 1
                        yield s
                    yield APOLOGY_MIDWAY if said else APOLOGY
                    return
        finally:
            cancel.set()

    def close(self) -> None:
        """Release connections (optional hook)."""


def _describe(exc: BaseException) -> str:
    """Exception type and a redacted, short message (never a payload)."""
    return f"{type(exc).__name__}: {redact(str(exc))[:200]}"
