"""Post-meeting notes from the session's transcript.

The brain's notes maker (``selfcast.brain.notes.make_notes``) writes the summary, decisions and
action items; this module gives it the transcript and adds what only the session knows
(participants, duration, the bot's own name). Without the brain's notes module the notes are
the structured record of the meeting: who asked what and what the avatar answered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from selfcast.live.conversation import Line

log = logging.getLogger(__name__)


def _record(lines: Sequence[Line], bot_name: str, participants: Sequence[str]) -> dict[str, Any]:
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


def _markdown(data: dict[str, Any]) -> str:
    out = [f"# Meeting notes ({data['bot_name']})", "",
           f"- Participants: {', '.join(data['participants']) or 'nobody else'}",
           f"- Duration: {data['duration_s']:.0f} s, {data['turns']} turns", ""]
    if data.get("summary"):
        out += ["## Summary", "", str(data["summary"]), ""]
    for title, key in (("Decisions", "decisions"), ("Action items", "action_items")):
        items = data.get(key) or []
        if items:
            out += [f"## {title}", ""] + [f"- {_item(x)}" for x in items] + [""]
    if data["exchanges"]:
        out += ["## Questions and answers", ""]
        for ex in data["exchanges"]:
            out.append(f"- **{ex['speaker']}**: {ex['said']}")
            if ex["answer"]:
                out.append(f"  - *{data['bot_name']}*: {ex['answer']}")
        out.append("")
    return "\n".join(out)


def _item(x: Any) -> str:
    if isinstance(x, dict):
        return "; ".join(f"{k}: {v}" for k, v in x.items() if v)
    return str(x)


def _brain_notes(lines: Sequence[Line], *, bot_name: str, participants: Sequence[str]) -> dict[str, Any] | None:
    try:
        from selfcast.brain.notes import make_notes
    except ImportError:
        return None
    from selfcast.hearing.events import Segment

    segs = [Segment(ln.speaker, ln.start, ln.end, ln.text) for ln in lines]
    notes = make_notes(segs, bot_name=bot_name, attendees=list(participants))
    data = notes.to_dict()
    data["markdown"] = notes.to_markdown()
    return data


def build_notes(
    lines: Sequence[Line], *, bot_name: str, brain: Any = None, context: str = "", participants: Sequence[str] = ()
) -> tuple[dict[str, Any], str]:
    data = _record(lines, bot_name, participants)
    try:
        extra = _brain_notes(lines, bot_name=bot_name, participants=participants)
    except Exception:
        log.exception("the brain's notes failed; storing the meeting record only")
        extra = None
    if extra:
        md = extra.pop("markdown", None) if isinstance(extra.get("markdown"), str) else None
        data.update({k: v for k, v in extra.items() if k not in data})
        return data, md or _markdown(data)
    return data, _markdown(data)
