"""The extractive brain: a grounded keyword responder that needs no model.

It retrieves the lines of the reference card, the memories and the meeting transcript that
bear on the question and says them in spoken form; when nothing relevant matches it says it
does not know (it never guesses). It answers when the embedded LLM is not loaded yet, fails or
stalls (``selfcast.brain.fallback``), and on its own as ``brain.provider = "extractive"``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

from selfcast.brain.base import Brain, BrainContext, Turn
from selfcast.brain.redact import redact, redact_lines, redacted_logger
from selfcast.brain.retrieval import Doc, Index, terms
from selfcast.brain.workspace import ReferenceCard
from selfcast.sentences import split_sentences

log = redacted_logger(__name__)

DONT_KNOW = "I don't know that. It isn't in anything I've seen of the work."
NO_SECRETS = "I can't share passwords, keys or tokens."
_ASKS_FOR_SECRET = re.compile(r"\b(?:passwords?|passphrases?|passcodes?|secrets?|api[ -]?keys?|private keys?|"
                              r"(?:access|auth|api|bearer|deploy|github|npm|pypi) tokens?|credentials?)\b|\.env\b", re.I)

_INTENTS = {  # question words → the card sections that answer them
    "person": ("people",),
    "error": ("now",),
    "test": ("now",),
    "change": ("recent",),
    "status": ("recent", "facts"),
    "work": ("now",),  # "what are you working on (right now)?": the current focus first
    "goal": ("facts",),
}
_TAGS = {"people": "person work", "now": "now error work status", "recent": "change status work", "facts": ""}
_PRIOR = {"facts": 1.15, "now": 1.1, "recent": 1.0, "people": 1.0, "memory": 1.0, "transcript": 0.9, "vibe": 0.5}
_SMALL_TALK = re.compile(r"^\W*(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b.*|.*\b(?:can you hear me|are you there|"
                         r"how are you|thanks|thank you|nice to meet you)\b.*)$", re.I)
_SECTION_RE = re.compile(r"^\s*(?:#+\s*)?(Vibe|Goals and status|Known facts|Recent activity|Right now|People)\s*:?\s*(.*)$",
                         re.I)
_SEC_KEYS = {"vibe": "vibe", "goals and status": "facts", "known facts": "facts", "recent activity": "recent",
             "right now": "now", "people": "people"}


def card_docs(card: ReferenceCard | str | None) -> list[Doc]:
    """Retrieval units from a card object, or from card text in the same shape (or any prompt)."""
    if card is None:
        return []
    if isinstance(card, ReferenceCard):
        lines = [(sec, redact(text, drop=True)) for sec, text in card.lines()]
        return [d for i, (sec, text) in enumerate(lines) if text.strip() for d in _units(text, sec, i)]
    docs, sec = [], "facts"
    for raw in redact(card, drop=True).splitlines():
        line = raw.strip()
        if not line or line.lower().startswith("reference card"):
            continue
        m = _SECTION_RE.match(line)
        if m:
            sec = _SEC_KEYS[m.group(1).lower()]
            if m.group(2).strip():
                docs += _units(m.group(2).strip(), sec, len(docs))
            continue
        docs += _units(line.lstrip("-*• ").strip(), sec, len(docs))
    return docs


def _units(text: str, sec: str, rank: int) -> list[Doc]:
    """A fact line of several sentences is several answers: "Goals: release on Friday. Runs on
    a Pi. Kept in SQLite." answers "when is the release?" with its first sentence only (said
    whole, the Pi and the database padded the answer). The line's label stays on its first."""
    parts: list[str] = []
    for piece in split_sentences(text) if sec == "facts" else [text]:
        if parts and not re.search(r"[.!?…][\"')\]]*$", parts[-1]):  # a label ("Team:") or a clause
            parts[-1] += " " + piece
        else:
            parts.append(piece)
    return [Doc(p, sec, {"rank": rank}, _TAGS.get(sec, "")) for p in parts if p.strip()]


def _speakable(text: str) -> str:
    """A masked credential said as such, and a failing test by its name (file names, paths and
    identifiers are put into words for every brain by ``selfcast.speakable``)."""
    t = re.sub(r"\s*\([^()]*\[REDACTED\][^()]*\)", "", text)
    t = t.replace("[REDACTED]", "a hidden credential")
    t = re.sub(r"(\S+?)\.py::(\w+)", lambda m: f"{re.sub(r'^test_', '', m.group(2))} in {Path(m.group(1)).name}", t)
    return re.sub(r"\s+", " ", t).strip()


def _sentence(doc: Doc) -> str:
    t = doc.text.strip().rstrip(".")
    if doc.source == "recent":
        m = re.match(r"^([A-Z][a-z]{2} \d{1,2}), ([^:]+): (.+)$", t)
        if m:
            return _speakable(f"On {m.group(1)}, {m.group(2)} committed: {m.group(3)}") + "."
        return _speakable(t[0].upper() + t[1:]) + "."
    if doc.source == "now":
        m = re.match(r"^failing test (\S+)(?: \((.+)\))?$", t)
        if m:
            why = f", with {_speakable(m.group(2))}" if m.group(2) else ""
            return f"Right now the test {_speakable(m.group(1))} is failing{why}."
        m = re.match(r"^(right now|now|next|then|later|blocked|blocker)\s*:\s*(.+)$", t, re.I)
        if m:  # the card's own label says when: "Right now: …" → "Right now I'm …"
            when = {"right now": "Right now", "now": "Right now", "next": "Next", "then": "Then", "later": "Later"}
            lead = when.get(m.group(1).lower(), "Blocked")
            return _speakable(f"{lead}: {m.group(2)}") + "."
        return "Right now: " + _speakable(t) + "."
    if doc.source == "facts":
        m = re.match(r"^([^:]{2,40}): (.+?)(?: \((done|to do|in progress)\))?$", t)
        if m:
            state = {"done": " is done", "to do": " is still to do", "in progress": " is in progress"}.get(m.group(3) or "", "")
            head = m.group(1)
            if not state and re.match(r"^[A-Z][a-z]", m.group(2)) and len(m.group(2).split()) >= 4 and ";" not in m.group(2):
                # a whole sentence under a label ("Team: Maria leads the project.") is said as it
                # is: "On the Team:" read aloud is stilted, and the voice says a short label as a
                # piece of its own, leaving a gap while the rest is synthesised on a busy machine
                return _speakable(m.group(2)) + "."
            lead = "One of the goals" if head.lower().startswith("goal") else f"On the {head}"
            return _speakable(f"{lead}: {m.group(2)}{state}") + "."
    if doc.source == "people":
        m = re.match(r"^(.+?) \((\d+) commits? lately, last (.+)\)$", t)
        if m:
            n = int(m.group(2))
            return f"{m.group(1)} has made {n} commit{'s' if n != 1 else ''} lately, the last on {m.group(3)}."
        return f"{t} is involved."
    if doc.source == "memory":
        return "From an earlier meeting: " + _speakable(t) + "."
    if doc.source == "transcript":
        who = (doc.meta or {}).get("speaker", "someone")
        return f"Earlier, {who} said: {t}."
    return _speakable(t[0].upper() + t[1:]) + "."


class ExtractiveBrain(Brain):
    """Retrieval over card + memory + transcript; honest "I don't know" below the match bar."""

    name = "extractive"

    def __init__(self, settings, *, min_coverage: float = 0.5) -> None:
        super().__init__(settings)
        self.min_coverage = min_coverage

    def answer_docs(self, question: str, context: BrainContext, k: int = 3) -> list[Doc]:
        """The lines that answer ``question``, best first; empty when nothing really matches."""
        docs = card_docs(context.card)
        if context.memory is not None:
            docs += [Doc(t, "memory") for m in context.memory.search(question, k=5) if (t := redact(m.text, drop=True))]
        heard = context.transcript[-48:]  # 8 more than are used: the lines before say what a line is
        for s, text in list(zip(heard, redact_lines([s.text for s in heard], drop=True), strict=True))[-40:]:
            if s.speaker != context.bot_name and text.strip() and s.text.strip() != question.strip():
                docs.append(Doc(text.strip(), "transcript", {"speaker": s.speaker}))
        if not docs:
            return []
        index = Index(docs)
        qterms = set(terms(question))
        content = {t for t in qterms if t not in _INTENTS or t == "test"}
        hits = index.search(question, k=12)
        if not hits:
            return []
        boost = {sec for t in qterms for sec in _INTENTS.get(t, ())}
        for h in hits:
            h.score *= _PRIOR.get(h.doc.source, 1.0)
            if h.doc.source in boost:
                h.score *= 1.6
            if h.doc.source == "now" and re.match(r"^(next|then|later)\b", h.doc.text, re.I):
                h.score *= 0.8  # what comes next is not what is being worked on now
            if h.doc.source in ("recent", "facts"):  # newest commits and the project's own summary first
                h.score *= 1.0 + 0.3 / (1 + (h.doc.meta or {}).get("rank", 0) % 20)
            if "status" in qterms and "in progress" in h.doc.text:  # a status question wants what is open
                h.score *= 1.5
        hits.sort(key=lambda h: -h.score)
        # coverage: how much of the question's specific (content) vocabulary the best hits contain
        # a word the sources never use is the most specific word of the question ("billing" in
        # "who works on the billing service?"): it weighs like the rarest word they do use
        unseen = max(index.max_idf(), 1.0) + 0.5
        weight = {t: (index.idf(t) or unseen) for t in (content or qterms)}
        covered = set().union(*(h.matched for h in hits[:k]))
        need = sum(weight.values())
        got = sum(w for t, w in weight.items() if t in covered)
        if need == 0 or got / need < self.min_coverage:
            return []
        top = hits[0].score
        chosen = [h.doc for h in hits if h.score >= 0.45 * top][:k]
        if "status" in qterms and not any(d.source == "recent" for d in chosen):
            latest = next((h.doc for h in hits if h.doc.source == "recent" and h.score >= 0.2 * top), None)
            if latest is not None:  # a status update ends with the latest thing that happened
                chosen = [*chosen[: k - 1], latest]
        return chosen

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        question = next((t.text for t in reversed(history) if t.role == "user"), "")
        if _SMALL_TALK.match(question.strip()) and len(question.split()) <= 9:
            if re.search(r"thank", question, re.I):
                yield "You're welcome. "
            else:
                yield f"Yes, I'm here and I can hear you. I'm {context.bot_name}. "
            return
        if not terms(question):
            yield f"I'm {context.bot_name}, and I'm listening. What would you like to know? "
            return
        if _ASKS_FOR_SECRET.search(question):
            yield NO_SECRETS
            return
        docs = self.answer_docs(question, context)
        if not docs:
            yield DONT_KNOW
            return
        for d in docs:
            yield _sentence(d) + " "
