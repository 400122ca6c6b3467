"""The conversation: heard turns in, spoken replies out, and the record of what was really said.

Hearing decides when a person finished and whether the bot was addressed; the brain streams the
reply sentence by sentence, so the voice starts on the first sentence while the rest is still
being written. A brain that fails (provider down, timeout) gets a short spoken apology and the
session goes on. The bot's own lines enter the history and the transcript only as far as they
were heard (barge-in cuts them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from selfcast.brain import APOLOGY as BRAIN_APOLOGY
from selfcast.brain import BrainContext, Turn
from selfcast.brain.memory import MemoryStore
from selfcast.live.ports import BrainEngine
from selfcast.live.speech import SpeechHandle
from selfcast.live.threads import ThreadedIterator
from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)

APOLOGY = "Sorry, I couldn't come up with an answer just now. Could you ask me that again in a moment?"


@dataclass
class Conversation:
    bot_name: str
    brain: BrainEngine
    context: str = ""  # the system prompt / reference card from the session request
    memory: MemoryStore | None = None  # what this bot remembers of its owner's earlier meetings
    lines: list[TranscriptLine] = field(default_factory=list)
    on_line: Callable[[TranscriptLine], None] = lambda _line: None
    on_error: Callable[[str], None] = lambda _msg: None
    replies: list[dict[str, object]] = field(default_factory=list)  # measured per reply (latency etc.)

    def heard(self, speaker: str, text: str, start: float, end: float) -> TranscriptLine:
        line = TranscriptLine(speaker or "participant", text.strip(), start, end)
        self._add(line)
        return line

    def said(self, handle: SpeechHandle) -> TranscriptLine | None:
        text = handle.heard_text
        if not text or handle.started_at is None:
            return None
        line = TranscriptLine(self.bot_name, text, handle.started_at, handle.played_until(), bot=True)
        self._add(line)
        return line

    def _add(self, line: TranscriptLine) -> None:
        if line.text:
            self.lines.append(line)
            self.on_line(line)

    def last_person_line(self) -> TranscriptLine | None:
        return next((ln for ln in reversed(self.lines) if not ln.bot), None)

    def history(self, join_s: float = 1.5) -> list[Turn]:
        """The brain's turns: the bot is the assistant, people are users. A person's lines split
        by a short pause (and nothing from the bot between) are one turn. All of them: which to
        show a model is the prompt's choice (``brain.prompt.window_start``), so its cache holds."""
        out: list[Turn] = []
        last: TranscriptLine | None = None
        for ln in self.lines:
            if (out and last is not None and not ln.bot and not last.bot and ln.speaker == last.speaker
                    and ln.start - last.end <= join_s):
                out[-1] = Turn("user", f"{out[-1].text} {ln.text}", ln.speaker)
            else:
                out.append(Turn("assistant" if ln.bot else "user", ln.text, ln.speaker))
            last = ln
        return out

    def brain_context(self) -> BrainContext:
        """The reference card / system prompt from the session request, memory of earlier
        meetings, and this meeting so far."""
        ctx = opening_context(self.bot_name, self.context, self.memory)
        ctx.transcript = list(self.lines)
        return ctx

    def warm(self, partial: str) -> None:
        """Let the brain read what is being said before the person has finished."""
        if not partial.strip():
            return
        last = self.last_person_line()
        speaker = last.speaker if last is not None else "participant"
        self.brain.warm([*self.history(), Turn("user", partial.strip(), speaker)], self.brain_context())

    async def reply_sentences(self) -> AsyncIterator[str]:
        """The brain's reply, streamed; an apology instead when the brain fails before speaking."""
        history, context = self.history(), self.brain_context()
        it = ThreadedIterator(lambda: self.brain.reply(history, context), name="brain")
        said_any = False
        try:
            async for sentence in it:
                if sentence == BRAIN_APOLOGY and not said_any:  # the brain's own "provider down" line
                    self.on_error("the brain could not answer (provider failed or timed out)")
                said_any = True
                yield sentence
        except Exception as exc:
            msg = f"{exc.__class__.__name__}: {exc}"[:300]
            log.warning("brain failed: %s", msg)
            self.on_error(msg)
            if not said_any:
                yield APOLOGY
        finally:
            it.close()

    def transcript(self) -> list[TranscriptLine]:
        return list(self.lines)


def opening_context(bot_name: str, system_prompt: str, memory: MemoryStore | None = None) -> BrainContext:
    """What the brain knows before anyone speaks (what ``BrainEngine.prepare`` reads)."""
    name = bot_name.split("(")[0].strip() or bot_name
    return BrainContext(bot_name=name, card=system_prompt or None, system_prompt=system_prompt, memory=memory)


def latency_record(turn_end: float, decided_at: float, handle: SpeechHandle) -> dict[str, object]:
    """Bot-side voice-to-voice figures for one reply (media-clock seconds → ms)."""
    first = handle.started_at
    return {
        "turn_end": round(turn_end, 3),
        "decide_ms": round((decided_at - turn_end) * 1000, 1),
        "first_audio_ms": None if first is None else round((first - turn_end) * 1000, 1),
        "interrupted": handle.interrupted,
        "at": time.time(),
    }
