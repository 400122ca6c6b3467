"""Where text is cut into sentences: the units a voice speaks one at a time.

One rule for the brain, which cuts a reply as it streams in so the voice can start on the first
sentence, and for the voice, which cuts a whole utterance. ``split_sentences(text)`` is the same
splitter fed everything at once, so both always agree on a finished text.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) before
whitespace; at ``;`` or ``:`` before a capital or digit; at a blank line; and before a bulleted or
numbered line. It does not end after an abbreviation (Mr., e.g., etc.), an initial (J.), a list
number (1.), a decimal's point, or before a lower-case word. A sentence longer than ``max_chars``
is cut at its last comma, semicolon or colon (or last space) before that length.

Streaming is eager: when the text so far ends exactly at ``!``, ``?`` or at a period after an
ordinary word, that sentence is given out at once rather than after the next piece arrives. With
``first_clause_words``, the first piece given out may be a clause: the text up to a comma,
semicolon or dash once that many words precede it, so a voice can start before a long first
sentence is finished.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset({"vs", "etc", "e.g", "i.e", "inc", "ltd", "approx", "fig", "cf"})  # any case
TITLES = frozenset({"Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St"})  # capitalised ("ms" is milliseconds)
_END = re.compile(
    r"""(?P<punct>[.!?…]+|[;:])(?P<close>["'”’)\]*_]*)(?P<space>\s+|$)"""
    r"""|(?P<para>\n[ \t]*\n\s*)"""
    r"""|(?P<item>\n(?=[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]))"""
)
_ITEM = re.compile(r"[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]")
_NEXT_STARTS_SENTENCE = re.compile(r"""["'“‘(\[]?[A-Z0-9]""")
_BULLET = re.compile(r"^\s*[-*•]\s+")
_OPENERS = "\"'“‘(["


def _word_before(text: str, end: int) -> str:
    words = text[:end].split()
    return words[-1].lstrip(_OPENERS) if words else ""


def _decide(buf: str, m: re.Match[str], final: bool) -> bool | None:
    """Whether match ``m`` ends a sentence; None when the text after it has not arrived yet."""
    if m.group("para") is not None or m.group("item") is not None:
        return True
    punct, space = m.group("punct"), m.group("space")
    if "\n" in space and (space.count("\n") > 1 or _ITEM.match(buf[m.end():])):
        return True  # the line after a blank line or before a list item is a new sentence
    word = _word_before(buf, m.start())
    nxt = buf[m.end():m.end() + 2]
    at_end = m.end() == len(buf)
    if at_end and final:
        return True
    if punct in ";:":
        return None if at_end else bool(_NEXT_STARTS_SENTENCE.match(nxt))
    if punct == ".":
        bare = word.lower()
        if (bare in ABBREVIATIONS or word in TITLES or (len(word) == 1 and word.isalpha())
                or ("." in word and any(c.isalpha() for c in word))):
            return False  # Mr. / e.g. / J. / p.m.
        if word == "No":
            return None if at_end else not nxt[:1].isdigit()  # No. 5
        if re.fullmatch(r"\d{1,2}", word) and len(buf[:m.start()].split()) == 1:
            return False  # "1." opening a list item
        if at_end:
            # a bare number's "3." may be "3.5" once the next piece comes; "v2." ends a sentence now
            return None if word[-1:].isdigit() and not any(c.isalpha() for c in word) else True
    elif at_end:
        return None if punct[0] in ".…" else True  # an ellipsis may trail into more words
    return not nxt[:1].islower()


def _clean(sentence: str) -> str:
    return re.sub(r"\s+", " ", _BULLET.sub("", sentence)).strip()


class SentenceSplitter:
    """Accumulates streamed text; ``push`` returns the sentences it completed, ``flush`` the rest."""

    def __init__(self, max_chars: int = 220, *, first_clause_words: int = 0) -> None:
        if max_chars < 20:
            raise ValueError("max_chars must be at least 20")
        self.buf = ""
        self.max_chars = max_chars
        self.first_clause_words = first_clause_words
        self.given = 0

    def push(self, piece: str) -> list[str]:
        self.buf += piece
        return self._cut(final=False)

    def flush(self) -> list[str]:
        out = self._cut(final=True)
        rest, self.buf = _clean(self.buf), ""
        return out + ([rest] if re.search(r"\w", rest) else [])

    def _cut(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            end = self._next_end(final)
            if end is None or end > self.max_chars:
                end = self._long_cut() or end
            if end is None and not final and not self.given and not out:
                end = self._first_clause()
            if end is None:
                return [s for s in out if re.search(r"\w", s)]
            out.append(_clean(self.buf[:end]))
            self.given += 1
            self.buf = self.buf[end:].lstrip()

    def _next_end(self, final: bool) -> int | None:
        for m in _END.finditer(self.buf):
            if m.end() == 0:
                continue
            decided = _decide(self.buf, m, final)
            if decided is None:
                return None
            if decided and self.buf[:m.start()].strip():
                return m.end()
        return None

    def _first_clause(self) -> int | None:
        if self.first_clause_words <= 0:
            return None
        for m in re.finditer(r"[,;]\s|\s[-–—]\s", self.buf):
            if len(self.buf[:m.start()].split()) >= self.first_clause_words:
                return m.end()
        return None

    def _long_cut(self) -> int | None:
        """Where to cut a sentence longer than ``max_chars`` that has not ended yet."""
        n = self.max_chars
        if len(self.buf) <= n:
            return None
        cut = max(self.buf.rfind(", ", 0, n), self.buf.rfind("; ", 0, n), self.buf.rfind(": ", 0, n))
        if cut < n // 3:
            cut = self.buf.rfind(" ", 0, n)
        return cut + 1 if cut > 0 else None


def split_sentences(text: str, *, max_chars: int = 220) -> list[str]:
    """The sentences of a finished text (what the streamed splitter gives for the same text)."""
    splitter = SentenceSplitter(max_chars)
    return splitter.push(text) + splitter.flush()
