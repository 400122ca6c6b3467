"""The system prompt and message list every chat-model provider sends (all text redacted)."""

from __future__ import annotations

from selfcast.brain.base import BrainContext, Turn
from selfcast.brain.redact import redact, redact_lines

STYLE = ("You are speaking live in a video meeting, so answer in one to three short spoken sentences: "
         "no lists, no markdown, no code. Answer only from the reference card, the memory and the "
         "meeting transcript below. If they do not contain the answer, say plainly that you don't know. "
         "Never invent facts and never read out keys, tokens or passwords.")


LOOKBACK = 8  # earlier lines redacted with the window ("the password is" said just before it)


def system_prompt(context: BrainContext, question: str = "", transcript_turns: int = 12) -> str:
    parts = [f"You are {context.bot_name}, attending on the owner's behalf. {STYLE}"]
    if context.system_prompt:
        parts.append(redact(context.system_prompt, drop=True))
    card = context.card_text()
    if card:
        parts.append("Reference card:\n" + card)
    if context.memory is not None and question:
        hits = context.memory.search(question, k=4)
        if hits:
            parts.append("From earlier meetings:\n" + redact("\n".join(f"- {h.text}" for h in hits), drop=True))
    if context.transcript:
        turns = context.transcript[-transcript_turns - LOOKBACK:]  # the lines before say what a line is
        said = redact_lines([s.text for s in turns])[-transcript_turns:]
        turns = turns[-transcript_turns:]
        parts.append("Meeting so far:\n" + "\n".join(f"{s.speaker}: {t}" for s, t in zip(turns, said, strict=True)))
    return "\n\n".join(parts)


def messages(history: list[Turn], context: BrainContext) -> tuple[str, list[dict]]:
    """(system, [{"role", "content"}...]) with roles alternating and a user turn last."""
    question = next((t.text for t in reversed(history) if t.role == "user"), "")
    msgs: list[dict] = []
    for t in history[-16:]:
        role = "assistant" if t.role == "assistant" else "user"
        text = redact(t.text if role == "assistant" or not t.speaker else f"{t.speaker}: {t.text}")
        if msgs and msgs[-1]["role"] == role:
            msgs[-1]["content"] += "\n" + text
        else:
            msgs.append({"role": role, "content": text})
    if not msgs or msgs[0]["role"] != "user":
        msgs.insert(0, {"role": "user", "content": "(the meeting is going on)"})
    return system_prompt(context, question), msgs
