"""Per-bot memory across meetings: what was discussed, decided, promised, and who was there.

One JSON-lines file per bot (``<root>/<bot_id>/memory.jsonl``), appended whole lines at a time.
Each sentence that states a credential is dropped before anything is written (``redact(drop=True)``),
and again when the file is read (a file written before a redaction rule existed is not trusted). Retrieval is by relevance (BM25) with a small bonus
for recency, so the brain sees the few memories that bear on the question.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from selfcast.brain.redact import MASK, redact
from selfcast.brain.retrieval import Doc, Index
from selfcast.errors import BadInput
from selfcast.sentences import split_sentences

if TYPE_CHECKING:
    from selfcast.brain.notes import MeetingNotes

KINDS = ("discussed", "decision", "action", "question", "person", "fact")
_BOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(slots=True)
class MemoryItem:
    text: str
    kind: str = "fact"
    meeting_id: str = ""
    at: float = 0.0
    id: str = ""


class MemoryStore:
    def __init__(self, root: Path, bot_id: str) -> None:
        if not _BOT_ID.match(bot_id or ""):
            raise BadInput(f"bot_id {bot_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        self.dir = Path(root) / bot_id
        self.path = self.dir / "memory.jsonl"
        self._lock = threading.Lock()
        self._cache: tuple[float, list[MemoryItem], Index] | None = None

    def add(self, text: str, *, kind: str = "fact", meeting_id: str = "", at: float | None = None) -> MemoryItem | None:
        """Store ``text``; None (nothing written) when every sentence of it stated a credential."""
        if kind not in KINDS:
            raise BadInput(f"memory kind {kind!r} is not one of {', '.join(KINDS)}")
        if not str(text).strip():
            raise BadInput("memory text is empty")
        clean = _clean(str(text))
        if not clean:
            return None
        item = MemoryItem(clean, kind, meeting_id, at if at is not None else time.time(), uuid.uuid4().hex[:12])
        line = json.dumps(asdict(item), ensure_ascii=False) + "\n"
        with self._lock:
            self.dir.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            self._cache = None
        return item

    def remember(self, notes: MeetingNotes, *, meeting_id: str) -> int:
        """Store a finished meeting's notes; returns how many memories were written."""
        todo: list[tuple[str, str]] = []
        if notes.summary:
            todo.append((notes.summary, "discussed"))
        todo += [(f"Decided: {d}", "decision") for d in notes.decisions]
        todo += [(f"{a.owner} will {a.task}" if a.owner else a.task, "action") for a in notes.action_items]
        todo += [(f"Open question: {q}", "question") for q in notes.open_questions]
        if notes.attendees:
            todo.append(("Attendees: " + ", ".join(notes.attendees), "person"))
        return sum(self.add(text, kind=kind, meeting_id=meeting_id) is not None for text, kind in todo if text.strip())

    def items(self) -> list[MemoryItem]:
        return self._load()[0]

    def _load(self) -> tuple[list[MemoryItem], Index]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return [], Index([])
        if self._cache and self._cache[0] == mtime:
            return self._cache[1], self._cache[2]
        items = []
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    d = json.loads(line)
                    item = MemoryItem(**{k: d[k] for k in ("text", "kind", "meeting_id", "at", "id") if k in d})
                except (ValueError, TypeError):
                    continue  # a torn last line from a crash: skip it, keep the rest
                item.text = _clean(str(item.text))
                if item.text:
                    items.append(item)
        index = Index([Doc(i.text, "memory", {"i": n}) for n, i in enumerate(items)])
        self._cache = (mtime, items, index)
        return items, index

    def search(self, query: str, k: int = 5) -> list[MemoryItem]:
        items, index = self._load()
        if not items:
            return []
        hits = index.search(query, k=max(k * 3, 10))
        newest = max(i.at for i in items) or 1.0
        scored = []
        for h in hits:
            item = items[h.doc.meta["i"]]
            age_days = max(0.0, (newest - item.at) / 86400.0)
            scored.append((h.score * (1.0 + 0.2 / (1.0 + age_days)), item))
        scored.sort(key=lambda x: -x[0])
        return [i for _, i in scored[:k]]


def _clean(text: str) -> str:
    """``text`` on one line, without the sentences that state a credential."""
    flat = redact(" ".join(text.split()))
    return " ".join(s for s in split_sentences(flat) if MASK not in s).strip() if MASK in flat else flat
