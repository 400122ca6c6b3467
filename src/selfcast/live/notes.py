"""Post-meeting notes from the session's transcript.

The brain's notes maker (``selfcast.brain.notes.make_notes``) writes the summary, decisions and
action items; this module gives it the transcript and adds what only the session knows
(participants, duration, the bot's own name, who asked the bot what and what it answered).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from selfcast.brain.notes import MeetingNotes, make_notes
from selfcast.brain.notes_llm import NotesModel
from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)


def _record(lines: Sequence[TranscriptLine], bot_name: str, participants: Sequence[str]) -> dict[str, Any]:
    start = min((ln.start for ln in lines), default=0.0)
    end = max((ln.end for ln in lines), default=0.0)
    speakers = sorted({ln.speaker for ln in lines if not ln.bot} | set(participants))
    exchanges = []
    for i, ln in enumerate(lines):
        if ln.bot:
            continue
        answer = next((x.text for x in lines[i + 1:] if x.bot), "")
        exchanges.append({"speaker": ln.speaker, "said": ln.text, "answer": answer})
    return {
        "bot_name": bot_name,
        "participants": speakers,
        "duration_s": round(max(0.0, end - start), 1),
        "turns": len(lines),
        "exchanges": exchanges,
        "transcript": [{"speaker": ln.speaker, "text": ln.text, "start_s": round(ln.start, 2),
                        "end_s": round(ln.end, 2)} for ln in lines],
    }


@dataclass(frozen=True)
class MeetingRecord:
    """What the session hands back when it leaves: JSON for the API, Markdown for people, and
    the brain's notes (which the bot remembers for its next meeting)."""

    data: dict[str, Any]
    markdown: str
    notes: MeetingNotes
    said_to_bot: tuple[tuple[str, str], ...] = ()  # (speaker, words) the bot answered: remembered too


def said_to_bot(lines: Sequence[TranscriptLine]) -> tuple[tuple[str, str], ...]:
    """What people told or asked the bot: each person's line the bot answered next (a person's
    lines run together by a short pause count as one)."""
    out: list[tuple[str, str]] = []
    run: list[TranscriptLine] = []
    for ln in lines:
        if ln.bot:
            if run:
                out.append((run[-1].speaker, " ".join(x.text.strip() for x in run if x.text.strip())))
            run = []
        elif run and run[-1].speaker == ln.speaker and ln.start - run[-1].end <= 1.5:
            run.append(ln)
        else:
            run = [ln]
    return tuple((who, said) for who, said in out if said)


def build_notes(lines: Sequence[TranscriptLine], *, bot_name: str, participants: Sequence[str] = (),
                model: NotesModel | None = None) -> MeetingRecord:
    """``model``: the session brain's model writes the notes (``notes_model_for``); None: rules."""
    data = _record(lines, bot_name, participants)
    notes = make_notes(list(lines), bot_name=bot_name, attendees=list(participants), model=model)
    data.update({k: v for k, v in notes.to_dict().items() if k not in data})
    return MeetingRecord(data, notes.to_markdown(), notes, said_to_bot(lines))
