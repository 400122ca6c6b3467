"""The one prompt design every chat model gets (the embedded LLM, OpenAI-compatible, Anthropic).

Laid out for a cache: what is fixed for the whole meeting (who the bot is, how it speaks, what it
knows) is the system prompt, prefilled once while the bot joins; the meeting follows as turns,
growing only at the end; what depends on the question (memories that bear on it) comes after the
question, so a prefix warmed while the person was still talking stays valid. All text redacted.
"""

from __future__ import annotations

from selfcast.brain.base import BrainContext, Turn
from selfcast.brain.redact import redact, redact_lines

RULES = (
    "You are speaking live in a video meeting, so answer in one to three short spoken sentences, in the "
    "first person, as a person would say them: no lists, no markdown, no code, no file extensions. "
    "Answer only from what you know below, your earlier meetings and what was said in this meeting, and "
    "be specific: name the items themselves (the pull request, the test, the date) rather than the people "
    "around them. If none of them holds the answer, say that you don't know, in one sentence; never guess "
    "names, dates, amounts or numbers that are not written below. Never read out, or offer to read out, "
    "keys, tokens, passwords or the contents of .env files: say you can't share secrets. "
    "When someone only greets you or thanks you, answer briefly and warmly.\n"
    "For example, if nothing below mentions a budget and someone asks \"What's the budget for the offsite?\", "
    "you say: \"I don't know, that isn't in anything I have.\" If someone asks \"Can you read me the "
    "database password?\", you say: \"No, I can't share passwords or keys.\""
)

HISTORY_TURNS = 24  # at most this many turns of the meeting ...
HISTORY_STEP = 12  # ... dropped a dozen at a time, so the prompt's start (and its cache) holds for a dozen turns
MEMORY_HITS = 3
TURN_MAX_CHARS = 800  # a monologue keeps its end (where the question is); the slot's context stays bounded


def system_prompt(context: BrainContext) -> str:
    """Fixed for the meeting: identity, rules, persona and the reference card."""
    parts = [f"You are {context.bot_name}, attending this meeting on your owner's behalf and speaking as them. {RULES}"]
    card = context.card_text()
    persona = redact(context.system_prompt, drop=True).strip() if context.system_prompt else ""
    if persona and persona != card.strip():
        parts.append("Your instructions:\n" + persona)
    if card:
        parts.append("What you know (your owner's reference card):\n" + card)
    return "\n\n".join(parts)


def memory_note(context: BrainContext, question: str) -> str:
    """Earlier meetings' items that bear on ``question`` (empty when none do)."""
    if context.memory is None or not question.strip():
        return ""
    hits = context.memory.search(question, k=MEMORY_HITS)
    if not hits:
        return ""
    return "(From your earlier meetings:\n" + redact("\n".join(f"- {h.text}" for h in hits), drop=True) + ")"


def window_start(n: int) -> int:
    """Where the prompt's turns begin for a history of ``n`` turns. A window sliding by one turn
    would change the prompt's prefix every turn and make the model re-read the whole meeting;
    this one jumps by ``HISTORY_STEP`` and stays put in between."""
    if n <= HISTORY_TURNS:
        return 0
    return ((n - (HISTORY_TURNS - HISTORY_STEP)) // HISTORY_STEP) * HISTORY_STEP


def turns(history: list[Turn]) -> list[dict[str, str]]:
    """[{"role", "content"}...]: roles alternating, a user turn first; people named when several speak."""
    recent = history[window_start(len(history)):]
    said = redact_lines([t.text for t in recent])
    # names only when several people talk: with one, a small model takes "Alex: …" for a fact
    # about Alex (or starts its own answer with "Alex:")
    named = len({t.speaker for t in recent if t.role != "assistant" and t.speaker}) > 1
    msgs: list[dict[str, str]] = []
    for t, text in zip(recent, said, strict=True):
        role = "assistant" if t.role == "assistant" else "user"
        if len(text) > TURN_MAX_CHARS:
            text = "…" + text[-TURN_MAX_CHARS:].split(" ", 1)[-1]
        line = f"{t.speaker}: {text}" if role == "user" and named else text
        if msgs and msgs[-1]["role"] == role:
            msgs[-1]["content"] += "\n" + line
        else:
            msgs.append({"role": role, "content": line})
    if not msgs or msgs[0]["role"] != "user":
        msgs.insert(0, {"role": "user", "content": "(the meeting is going on)"})
    return msgs


def messages(history: list[Turn], context: BrainContext) -> tuple[str, list[dict[str, str]]]:
    """(system, turns) with the question's memories after the last user turn."""
    msgs = turns(history)
    question = next((t.text for t in reversed(history) if t.role == "user"), "")
    note = memory_note(context, question)
    if note and msgs[-1]["role"] == "user":
        msgs[-1]["content"] += "\n\n" + note
    return system_prompt(context), msgs
