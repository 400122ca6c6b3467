"""Turn-taking policy from the words themselves: is the thought complete, is it a backchannel,
is someone taking the floor, is the bot being addressed. Pure functions over text so they are
cheap and testable.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

_WORD = re.compile(r"[a-z0-9']+")

# A turn that stops on one of these is almost certainly not finished ("and...", "the...").
def _split(words: str) -> list[str]:
    return words.split()


TRAILING_INCOMPLETE = frozenset(_split(
    "and or but so because the a an of to for with about from in on at into by than that which "
    "who whose where when if then also like um uh erm er hmm my your our their its this these those "
    "is are was were be been being can could would should will shall do does did have has had "
    "what's whats it's let's we're i'm"
))
FILLERS = frozenset(_split("um umm uhm uh uhh erm er ehm hm hmm hum mm ah eh well"))
BACKCHANNEL = frozenset(_split(
    "uh-huh uhhuh uh huh mm-hmm mmhmm mm-hm mmhm mhmm mhm mm mmm hmm yeah yep yup yes ok okay alright "
    "right sure cool nice great got it gotcha i see true exactly totally ah oh wow"
))
QUESTION_START = frozenset(_split(
    "what what's whats who who's whom whose which when where why how how's is are was were "
    "do does did can could would should will shall have has had may might tell explain give "
    "any anything"
))



def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("-", ""))


def completeness(text: str) -> str:
    """``complete`` (ends a question or sentence), ``incomplete`` (trails off), or ``unknown``."""
    t = text.strip()
    w = words(t)
    if not w:
        return "unknown"
    if w[-1] in TRAILING_INCOMPLETE:
        return "incomplete"
    if any(x in FILLERS for x in w[-2:]) and not (len(w) <= 2 and t.endswith("?")):
        return "incomplete"  # "...about the, um." — recognisers often punctuate a trailing filler
    if t.endswith(("...", "…", ",", "-", "—")):
        # Weak: Whisper writes "kept..." or "strong," for a last word it heard only part of. When
        # the words themselves do not trail off, a question is taken as asked, anything else
        # gets the ordinary pause (a misjudged question used to wait 1.5 s).
        return "complete" if w[0] in QUESTION_START and len(w) >= 3 else "unknown"
    if t.endswith(("?", ".", "!")):
        return "complete"
    if w[0] in QUESTION_START and len(w) >= 3:
        return "complete"
    return "unknown"


def is_backchannel(text: str) -> bool:
    """Short acknowledgements ("uh-huh", "yeah, right") that neither take the turn nor interrupt."""
    raw = text.lower()
    w = words(raw)
    if not w or len(w) > 4:
        return False
    joined = " ".join(w)
    if joined in BACKCHANNEL:
        return True
    return all(x in BACKCHANNEL or x in FILLERS or x in ("huh", "uhhuh", "mmhmm") for x in w)


# Someone taking the floor from the bot: a clause that opens with one of these is no question.
FLOOR_OPENERS = tuple(tuple(p.split()) for p in (
    "wait", "hold on", "hang on", "sorry", "stop", "one second", "one sec", "one moment", "a second",
    "a sec", "a moment", "just a", "give me a", "let me", "actually", "excuse me", "pardon me",
    "no no", "if i may", "sorry to interrupt", "quick question", "i need to", "i have to", "i want to",
    "i'd like to", "i just", "i think", "hey", "please",
))
# "Can I jump in?": a question that asks for the floor, not for an answer.
PERMISSION = re.compile(r"^(?:(?:so|but|and|um|uh|oh|okay|ok|sorry|wait)\s+)*(?:can|could|may|might|do you mind if|mind if)\s+"
                        r"(?:i|we)\b(?:\s+(?:just|quickly|please|maybe))*\s+(?:jump|interrupt|cut|butt|chime|come|add|say|"
                        r"stop|pause|ask|step|get|have|jump|make|raise|interject)\b")
_WH = frozenset(_split("what what's whats who who's whom whose which when where why how how's"))
_CLAUSES = re.compile(r"[,.;:!?…—]+|\s-\s")
_LEAD_IN = frozenset(_split("oh okay ok so and but well um uh erm er hmm no yes yeah right"))

Interruption = Literal["backchannel", "floor", "permission", "turn"]


def _opens_with_floor(clause: list[str]) -> bool:
    while clause and clause[0] in _LEAD_IN and len(clause) > 1:
        clause = clause[1:]
    return any(tuple(clause[:len(p)]) == p for p in FLOOR_OPENERS)


def interruption(text: str) -> Interruption:
    """What the words of someone who talked over the bot ask of it (one rule for the whole
    session): ``backchannel`` ("mm-hm", "right": nothing, go on), ``floor`` ("Wait, sorry, let
    me stop you there", "hold on", "actually, it's Monday": they take the floor, the bot yields
    and says nothing), ``permission`` ("Sorry, can I jump in?": the only reply is "Sure, go
    ahead."), or ``turn`` (anything else, a question first of all: "Wait, when is the demo?" is
    answered). A floor-taking clause followed by a real question is a question."""
    raw = text.strip()
    if not words(raw):
        return "backchannel"
    if is_backchannel(raw):
        return "backchannel"
    clauses = [c for c in (words(x) for x in _CLAUSES.split(raw.lower().replace("-", " "))) if c]
    permission = floor = False
    for i, clause in enumerate(clauses):
        joined = " ".join(clause)
        if PERMISSION.match(joined) and not (_WH & set(clause)):
            permission = True
        elif _opens_with_floor(clause):
            floor = True
        elif clause[0] in QUESTION_START or (_WH & set(clause[:3])) or (i == len(clauses) - 1 and raw.endswith("?")):
            return "turn"
    if permission:
        return "permission"
    return "floor" if floor else "turn"


def is_question(text: str) -> bool:
    w = words(text)
    return text.strip().endswith("?") or (bool(w) and w[0] in QUESTION_START)


def mentions_name(text: str, name: str) -> bool:
    """Is the bot named? Tolerates recognition spellings ("Alexa"/"Alexia") by fuzzy word match."""
    name_words = [x for x in words(name) if len(x) >= 3]
    if not name_words:
        return False
    said = words(text)
    for nw in name_words:
        for s in said:
            if s == nw or (len(s) >= 3 and difflib.SequenceMatcher(None, s, nw).ratio() >= 0.8):
                return True
    return False


@dataclass(slots=True)
class Addressing:
    """Decide whether an utterance is for the bot.

    Answer when: one-to-one (bot plus at most one person); the bot is named; or a direct
    question right after the bot spoke (a follow-up within ``followup_s``). Otherwise listen.
    """

    bot_name: str
    participants: int = 2  # everyone in the call, the bot included
    followup_s: float = 8.0

    def decide(self, text: str, *, t: float, last_bot_reply_end: float | None) -> tuple[bool, str]:
        if not words(text):
            return False, "empty"
        if mentions_name(text, self.bot_name):
            return True, "named"
        if self.participants <= 2:
            return True, "one-to-one"
        if last_bot_reply_end is not None and t - last_bot_reply_end <= self.followup_s and is_question(text):
            w = set(words(text))
            if w & {"you", "your", "you're", "youre"} or len(w) <= 8:
                return True, "follow-up"
        return False, "group chatter"
