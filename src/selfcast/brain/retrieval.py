"""Small lexical retrieval (BM25 over light stems and a few synonyms): enough to ground answers
in a card of a few dozen lines, a memory of past meetings, and a transcript, with no model."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass


def _split(words: str) -> list[str]:
    return words.split()


STOPWORDS = frozenset(_split(
    "a an the and or but if of to in on at by for with about from into over under as is are was were be been "
    "being am do does did doing have has had having it its it's this that these those there here what what's "
    "whats which who whom whose when where why how can could would should will shall may might must i me my "
    "we us our you your he him his she her they them their so than then too very just also any some all "
    "tell say said know let lets let's please hey hi hello ok okay right now currently current "
    "on up thing things stuff much many get got give us"
))
SYNONYMS = {
    "fail": "error", "failing": "error", "failure": "error", "broken": "error", "break": "error",
    "bug": "error", "crash": "error", "exception": "error", "errors": "error", "red": "error",
    "test": "test", "tests": "test", "testing": "test",
    "refactoring": "refactor", "refactored": "refactor", "rewrite": "refactor", "restructure": "refactor",
    "people": "person", "team": "person", "who": "person", "colleague": "person", "working": "work",
    "commit": "change", "commits": "change", "changed": "change", "changes": "change", "recent": "change",
    "lately": "change", "did": "change", "status": "status", "progress": "status", "update": "status",
    "updates": "status", "doing": "status", "done": "status", "going": "status", "stand": "status",
    "goal": "goal", "goals": "goal", "aim": "goal", "purpose": "goal", "roadmap": "goal", "plan": "goal",
    "planned": "goal", "next": "goal", "todo": "goal", "milestone": "goal",
    "ship": "release", "shipping": "release", "launch": "release", "deadline": "release", "release": "release",
    "endpoints": "endpoint", "apis": "api", "deploy": "release", "deployment": "release",
    "decide": "decide", "decided": "decide", "decides": "decide", "decision": "decide", "decisions": "decide",
    "agreed": "decide", "agree": "decide",
}



def stem(word: str) -> str:
    w = word.lower().strip("'")
    if w in SYNONYMS:
        return SYNONYMS[w]
    for suf in ("ations", "ation", "ings", "ing", "edly", "ed", "ies", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            w = w[: -len(suf)] + ("y" if suf == "ies" else "")
            break
    return SYNONYMS.get(w, w)


_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_]*|\d+")


def terms(text: str) -> list[str]:
    out = []
    for tok in _TOKEN.findall(text):
        parts = re.split(r"_|(?<=[a-z])(?=[A-Z])", tok)  # split snake_case and camelCase too
        for p in [tok, *parts] if len(parts) > 1 else [tok]:
            low = p.lower()
            if low in STOPWORDS and low not in SYNONYMS:
                continue
            if len(low) < 2:
                continue
            out.append(stem(low))
    return out


@dataclass(slots=True)
class Doc:
    text: str
    source: str  # facts | recent | now | people | vibe | memory | transcript
    meta: dict | None = None
    tags: str = ""  # extra words indexed with the text (what kind of line this is)


@dataclass(slots=True)
class Hit:
    doc: Doc
    score: float
    matched: frozenset[str]


class Index:
    """BM25 (k1=1.2, b=0.75) over short documents."""

    def __init__(self, docs: list[Doc], b: float = 0.5) -> None:
        self.b = b
        self.docs = docs
        self._tf = [Counter(terms(f"{d.text} {d.tags}")) for d in docs]
        self._len = [sum(tf.values()) or 1 for tf in self._tf]
        self._avg = sum(self._len) / max(1, len(self._len))
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(docs)
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

    def search(self, query: str, k: int = 5) -> list[Hit]:
        q = set(terms(query))
        hits = []
        for d, tf, ln in zip(self.docs, self._tf, self._len, strict=True):
            s = 0.0
            matched = set()
            for t in q:
                f = tf.get(t, 0)
                if f:
                    matched.add(t)
                    s += self._idf[t] * f * 2.2 / (f + 1.2 * (1 - self.b + self.b * ln / self._avg))
            if s > 0:
                hits.append(Hit(d, s, frozenset(matched)))
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def idf(self, term: str) -> float:
        return self._idf.get(term, 0.0)

    def max_idf(self) -> float:
        return max(self._idf.values(), default=0.0)
