"""Is a sentence of a model's reply backed by what the bot was given?

A 1.5B model asked something its card does not hold will sometimes answer anyway, and what it
makes up is the kind of thing a listener acts on: a price, a date, a version, a product or a
company. So before a model's sentence is spoken, its numbers and its proper names must appear in
the sources (the card, the memories, what was said in the meeting); a sentence with one that
does not is not said. This is deliberately narrow: it cannot tell a wrong "yes" from a right one,
but it stops the invented figure and the invented name, which are the costly ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# words that are capitalised in a reply without naming anything the sources must hold
_COMMON = frozenset(["i", "i'm", "i've", "i'll", "i'd", "it's", "that's", "there's", "we", "we're", "you", "you're", "he", "she", "they", "sure", "yes", "no", "yeah", "okay", "ok", "hi", "hello", "hey", "thanks", "thank", "sorry", "well", "so", "and", "but", "or", "also", "right", "now", "today", "tomorrow", "yesterday", "the", "a", "an", "this", "that", "these", "those", "my", "our", "your", "his", "her", "their", "its", "as", "at", "in", "on", "for", "of", "to", "from", "by", "with", "about", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])
_WORD = re.compile(r"[^\W\d_][\w'’.+-]*[\w+]|[^\W\d_]")
_POSSESSIVE = re.compile(r"['’]s$")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _bare(word: str) -> str:
    return _POSSESSIVE.sub("", word.strip(".'’"))


def _norm_number(n: str) -> str:
    return n.replace(",", "").rstrip(".").lstrip("0") or "0"


@dataclass
class Sources:
    """The words and numbers the bot may state, from everything it was given."""

    words: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, *texts: str) -> Sources:
        s = cls()
        for text in texts:
            s.add(text)
        return s

    def add(self, text: str) -> None:
        self.words.update(_bare(w).lower() for w in _WORD.findall(text))
        for n in _NUMBER.findall(text):
            self.numbers.add(_norm_number(n))
            self.numbers.update(_norm_number(p) for p in re.split(r"[.,]", n) if p)


def unbacked(sentence: str, sources: Sources) -> list[str]:
    """The numbers and proper names of ``sentence`` that no source holds (empty: it may be said)."""
    missing = [n for n in _NUMBER.findall(sentence) if _norm_number(n) not in sources.numbers]
    words = _WORD.findall(sentence)
    for i, w in enumerate(words):
        bare = _bare(w)
        if not bare[:1].isupper() or bare.lower() in _COMMON:
            continue
        if i == 0 and bare.lower() in sources.words:
            continue
        if i == 0 and not any(c.isupper() for c in bare[1:]) and len(words) > 1:
            continue  # a sentence's first word is capitalised anyway ("Settlement is …")
        if bare.lower() not in sources.words:
            missing.append(bare)
    return missing
