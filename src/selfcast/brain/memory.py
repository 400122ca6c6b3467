"""Memory across meetings: what people told and asked the bot, what was decided and who took what on.

Layout: one JSON-lines file per account and bot, ``<data_dir>/memory/<account>/<bot>/memory.jsonl``.
Files, not a database table, because the live worker writes it without importing the platform
(``live`` never does) and the API reads the same ``data_dir`` the worker already shares for avatars
and session folders. Every writer (append) and deleter (rewrite + atomic replace) holds an
``flock`` on the folder's lock file, so the worker and the API process never lose each other's lines.

Scope: an account's bot sees its own memories, and when a session carries a workspace (the
reference card in its prompt), only that workspace's. Each sentence that states a credential is
dropped before anything is written and again when the file is read (a file written before a
redaction rule existed is not trusted). Retrieval is BM25 with a small bonus for recency; a
question about "last time" / "yesterday" puts the latest meeting first.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from selfcast.brain.redact import MASK, redact
from selfcast.brain.retrieval import Doc, Index, terms
from selfcast.errors import BadInput
from selfcast.sentences import split_sentences

if TYPE_CHECKING:
    from selfcast.brain.notes import MeetingNotes

KINDS = ("discussed", "decision", "action", "question", "asked", "told", "person", "fact")
_BOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_ITEM_ID = re.compile(r"^[0-9a-f]{12}$")
_CARD = re.compile(r"^\s*Reference card:\s*(.+?)\s*$", re.M)
# a question about the previous meeting wants that meeting's items first, whatever their score
_LAST_TIME = re.compile(r"\b(last (time|meeting|call|session|sync|stand-?up)|previous (meeting|call|session)|"
                        r"yesterday|other day|earlier meeting)\b", re.I)
# words of a "last time" question that name no topic of their own
_GENERIC = frozenset(terms("last time meeting call session sync standup yesterday previous earlier other day "
                           "decide decided agree agreed talk talked discuss discussed say promise promised plan did"))
MAX_EXCHANGES = 20  # what people told / asked the bot in one meeting, at most
MAX_ITEMS = 5000  # per bot: the oldest go first (a prompt only ever sees the few best matches)


@dataclass(frozen=True, slots=True)
class Workspace:
    """Which workspace a memory belongs to: ``key`` scopes, ``name`` is shown to people."""

    key: str
    name: str

    @classmethod
    def of_prompt(cls, prompt: str) -> Workspace | None:
        """The workspace of a session whose prompt carries a reference card (``build_card``'s
        "Reference card: <owner>, <project>" line); None for a plain prompt."""
        m = _CARD.search(prompt or "")
        if not m:
            return None
        name = _clean(m.group(1))[:120]
        return cls(workspace_key(name), name) if name else None


def workspace_key(name_or_path: str) -> str:
    """A stable short id for a workspace (its card subject or its resolved path)."""
    return "ws-" + hashlib.sha256(name_or_path.strip().encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class MeetingInfo:
    """What is known of the meeting a memory comes from."""

    meeting_id: str
    at: float | None = None  # when it ended (epoch seconds); now when None
    platform: str = ""
    title: str = ""


@dataclass(slots=True)
class MemoryItem:
    text: str
    kind: str = "fact"
    meeting_id: str = ""
    at: float = 0.0
    id: str = ""
    bot: str = ""
    workspace: str = ""  # workspace key; "" = remembered outside any workspace
    workspace_name: str = ""
    platform: str = ""
    title: str = ""
    owner: str = ""  # who took an action item on

    def to_dict(self) -> dict[str, str | float]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class MemoryPage:
    items: list[MemoryItem]
    total: int
    offset: int
    limit: int


_FIELDS = tuple(f.name for f in dataclasses.fields(MemoryItem))


def _parse(line: str) -> MemoryItem | None:
    try:
        d = json.loads(line)
        item = MemoryItem(**{k: d[k] for k in _FIELDS if k in d})
    except (ValueError, TypeError):
        return None  # a torn last line from a crash: skip it, keep the rest
    item.text = _clean(str(item.text))
    item.owner, item.title = _clean(str(item.owner)), _clean(str(item.title))
    return item if item.text else None


class _File:
    """One bot's JSONL file, locked across processes for every write."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.path = folder / "memory.jsonl"

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def stamp(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def read(self) -> list[MemoryItem]:
        try:
            with self.path.open(encoding="utf-8") as fh:
                return [i for line in fh if (i := _parse(line)) is not None]
        except FileNotFoundError:
            return []

    def append(self, items: Sequence[MemoryItem]) -> None:
        data = "".join(json.dumps(asdict(i), ensure_ascii=False) + "\n" for i in items)
        with self.locked(), self.path.open("a+b") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell():
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":  # a torn line from a crash: do not glue the next one to it
                    data = "\n" + data
            fh.write(data.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())

    def remove(self, item_id: str) -> MemoryItem | None:
        """Rewrite the file without ``item_id`` (atomic replace): gone from disk, not just hidden."""
        with self.locked():
            lines = self._lines()
            gone = next((i for _, i in lines if i.id == item_id), None)
            if gone is not None:
                self._rewrite([line for line, i in lines if i.id != item_id])
            return gone

    def trim(self, keep: int) -> int:
        """Drop the oldest lines beyond ``keep``; how many were dropped."""
        with self.locked():
            lines = self._lines()
            if len(lines) <= keep:
                return 0
            oldest = set(sorted(range(len(lines)), key=lambda n: lines[n][1].at)[:len(lines) - keep])
            self._rewrite([line for n, (line, _) in enumerate(lines) if n not in oldest])
            return len(oldest)

    def _lines(self) -> list[tuple[str, MemoryItem]]:
        try:
            raw = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [(line + "\n", i) for line in raw if (i := _parse(line)) is not None]

    def _rewrite(self, lines: list[str]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(lines)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


class MemoryStore:
    """One bot's memory as one session sees it: its workspace's items (all of them without one)."""

    def __init__(self, root: Path, bot_id: str, *, workspace: Workspace | None = None) -> None:
        if not _BOT_ID.match(bot_id or ""):
            raise BadInput(f"bot_id {bot_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
        self.bot_id, self.workspace = bot_id, workspace
        self._file = _File(Path(root) / bot_id)
        self.dir, self.path = self._file.dir, self._file.path
        self._lock = threading.Lock()
        self._cache: tuple[tuple[int, int, int], list[MemoryItem], Index] | None = None

    def _item(self, text: str, kind: str, meeting: MeetingInfo, owner: str = "") -> MemoryItem | None:
        if kind not in KINDS:
            raise BadInput(f"memory kind {kind!r} is not one of {', '.join(KINDS)}")
        if not str(text).strip():
            raise BadInput("memory text is empty")
        clean = _clean(str(text))
        if not clean:
            return None
        ws = self.workspace
        return MemoryItem(clean, kind, meeting.meeting_id, meeting.at if meeting.at is not None else time.time(),
                          uuid.uuid4().hex[:12], self.bot_id, ws.key if ws else "", ws.name if ws else "",
                          meeting.platform, _clean(meeting.title), _clean(owner))

    def add(self, text: str, *, kind: str = "fact", meeting_id: str = "", at: float | None = None) -> MemoryItem | None:
        """Store ``text``; None (nothing written) when every sentence of it stated a credential."""
        item = self._item(text, kind, MeetingInfo(meeting_id, at))
        if item is not None:
            with self._lock:
                self._file.append([item])
                self._cache = None
        return item

    def remember(self, notes: MeetingNotes, *, meeting_id: str = "", meeting: MeetingInfo | None = None,
                 exchanges: Sequence[tuple[str, str]] = ()) -> int:
        """Store a finished meeting: its summary, decisions, action items (with owners), open
        questions, attendees and what people told or asked the bot (``(speaker, said)`` pairs).
        Returns how many memories were written (one append, so a crash loses none or all)."""
        info = meeting or MeetingInfo(meeting_id)
        todo: list[tuple[str, str, str]] = []
        if notes.summary:
            todo.append((notes.summary, "discussed", ""))
        todo += [(d if re.search(r"\b(decid|agree)", d, re.I) else f"Decided: {d}", "decision", "")
                 for d in notes.decisions]
        for a in notes.action_items:
            mine = bool(a.owner) and bot_slug(a.owner).lower() == self.bot_id.lower()  # the bot's own promise
            todo.append((f"I said I would {a.task}" if mine else f"{a.owner} will {a.task}" if a.owner else a.task,
                         "action", a.owner))
        todo += [(f"Open question: {q}", "question", "") for q in notes.open_questions]
        for speaker, raw in list(exchanges)[:MAX_EXCHANGES]:
            said = _clean(raw)  # before the framing: "Bob told me:" alone is not a memory
            if not said:
                continue
            asked = said.rstrip().endswith("?")
            todo.append((f"{speaker} {'asked' if asked else 'told'} me: {said}", "asked" if asked else "told", ""))
        people = [a for a in notes.attendees if bot_slug(a).lower() != self.bot_id.lower()]  # not the bot itself
        if people:
            todo.append(("Attendees: " + ", ".join(people), "person", ""))
        # a decision, action or question already remembered is not new: the bot recalling last
        # meeting's decision aloud must not make it a decision of this meeting too
        known = {_norm(i.text) for i in self.items() if i.kind in _ONCE}
        items = []
        for text, kind, owner in todo:
            item = self._item(text, kind, info, owner) if text.strip() else None
            if item is None or (kind in _ONCE and _norm(item.text) in known):
                continue
            if kind in _ONCE:
                known.add(_norm(item.text))
            items.append(item)
        if items:
            with self._lock:
                self._file.append(items)
                self._cache = None
                if len(self._file.read()) > MAX_ITEMS:
                    self._file.trim(MAX_ITEMS)
        return len(items)

    def items(self) -> list[MemoryItem]:
        return self._load()[0]

    def forget(self, item_id: str) -> MemoryItem | None:
        """Delete one memory of this bot (any workspace); the deleted item, or None when none has that id."""
        with self._lock:
            self._cache = None
            return self._file.remove(item_id)

    def _load(self) -> tuple[list[MemoryItem], Index]:
        stamp = self._file.stamp()
        if stamp is None:
            return [], Index([])
        with self._lock:
            if self._cache and self._cache[0] == stamp:
                return self._cache[1], self._cache[2]
        key = self.workspace.key if self.workspace else None
        items = [i for i in self._file.read() if key is None or i.workspace == key]
        index = Index([Doc(i.text, "memory", {"i": n}) for n, i in enumerate(items)])
        with self._lock:
            self._cache = (stamp, items, index)
        return items, index

    def search(self, query: str, k: int = 5) -> list[MemoryItem]:
        """The ``k`` memories that bear on ``query``, phrased for the brain with when they were
        said ("Last time (1 December): ..."). A "last time" question puts the latest meeting's
        items first (a "yesterday" one, yesterday's meeting when there was one): those on its topic ("... about the checkout"), or, when it names none ("what
        did we decide last time?"), its decisions, actions and summary."""
        items, index = self._load()
        if not items:
            return []
        newest = max(i.at for i in items) or 1.0
        latest = max(items, key=lambda i: i.at).meeting_id
        yesterday = _yesterdays(items) if re.search(r"\byesterday\b", query, re.I) else None
        focus = yesterday or latest  # "yesterday" is yesterday's meeting when there was one
        scored: dict[int, float] = {}
        matched: dict[int, frozenset[str]] = {}
        for h in index.search(query, k=len(items) if _LAST_TIME.search(query) else max(k * 3, 10)):
            n = h.doc.meta["i"]
            age_days = max(0.0, (newest - items[n].at) / 86400.0)
            scored[n], matched[n] = h.score * (1.0 + 0.2 / (1.0 + age_days)), h.matched
        if _LAST_TIME.search(query):
            topic = set(terms(query)) - _GENERIC
            weight = {"decision": 1.5, "action": 1.3, "question": 1.0, "asked": 0.9, "told": 0.9, "discussed": 0.8}
            for n, i in enumerate(items):
                on_topic = not topic or bool(matched.get(n, frozenset()) & topic)
                if i.meeting_id == focus and on_topic:
                    scored[n] = 1000.0 + (scored.get(n, 0.0) + 1.0) * weight.get(i.kind, 0.5)
                elif topic and not on_topic:
                    scored.pop(n, None)  # "decided" alone is no match for "what did we decide about the budget?"
        best = sorted(scored, key=lambda n: -scored[n])[:k]
        return [dataclasses.replace(items[n], text=_when(items[n], latest, yesterday) + items[n].text) for n in best]


def _yesterdays(items: Sequence[MemoryItem]) -> str | None:
    """The latest meeting held yesterday (UTC), if any."""
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    held = [i for i in items if datetime.fromtimestamp(i.at, tz=UTC).date() == yesterday]
    return max(held, key=lambda i: i.at).meeting_id if held else None


def _when(item: MemoryItem, latest: str, yesterday: str | None) -> str:
    day = datetime.fromtimestamp(item.at, tz=UTC).strftime("%-d %B")
    if item.meeting_id == yesterday:
        return f"Yesterday ({day}): "
    return f"Last time ({day}): " if item.meeting_id == latest else f"At the meeting of {day}: "


# ---------------------------------------------------------------- an account's memory, for people


def account_root(data_dir: Path, account_id: str) -> Path:
    """Where an account's memories live (one folder per bot inside)."""
    account = re.sub(r"[^A-Za-z0-9_-]+", "-", account_id)[:64] or "local"
    return Path(data_dir) / "memory" / account


def bot_slug(bot_name: str) -> str:
    """The bot's folder name: "Ada (AI)" and "Ada" are the same self."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", bot_name.split("(")[0].strip()).strip("-.")[:64] or "bot"


class AccountMemory:
    """Everything one account's bots remember: listed and deleted by the account's owner."""

    def __init__(self, data_dir: Path, account_id: str) -> None:
        self.root = account_root(data_dir, account_id)

    def bots(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if _BOT_ID.match(p.name) and (p / "memory.jsonl").is_file())

    def list(self, *, bot: str = "", workspace: str = "", q: str = "", offset: int = 0, limit: int = 50) -> MemoryPage:
        """Newest first; ``bot`` (name or folder), ``workspace`` (key or name) and ``q`` (words
        the text must contain) narrow it."""
        if offset < 0 or not 1 <= limit <= 200:
            raise BadInput("offset must be >= 0 and limit 1-200")
        bots = self.bots()
        if bot:
            want = bot_slug(bot)
            bots = [b for b in bots if b.lower() == want.lower()]
        items = []
        for b in bots:
            for i in _File(self.root / b).read():
                i.bot = i.bot or b  # lines written before items named their bot
                items.append(i)
        if workspace:
            items = [i for i in items if workspace in (i.workspace, i.workspace_name)]
        if q.strip():
            words = [w.lower() for w in q.split()]
            items = [i for i in items if all(w in i.text.lower() for w in words)]
        items.sort(key=lambda i: (-i.at, i.id))
        return MemoryPage(items[offset:offset + limit], len(items), offset, limit)

    def forget(self, item_id: str) -> MemoryItem | None:
        """Delete the memory ``item_id`` from disk; None when this account has none with that id."""
        if not _ITEM_ID.match(item_id or ""):
            return None
        for b in self.bots():
            gone = _File(self.root / b).remove(item_id)
            if gone is not None:
                return gone
        return None


_ONCE = ("decision", "action", "question")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _clean(text: str) -> str:
    """``text`` on one line, without the sentences that state a credential."""
    flat = redact(" ".join(text.split()))
    return " ".join(s for s in split_sentences(flat) if MASK not in s).strip() if MASK in flat else flat
