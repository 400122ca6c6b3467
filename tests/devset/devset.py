"""The mind's dev set, loaded from the files beside this module.

Workspaces (``workspaces/<name>/``): ``tree/`` is the first commit, ``workspace.json`` lists the
later commits (dated relative to now, by several authors), the files left uncommitted (a
``.env``, a terminal log) and the secrets planted in them, and ``questions.json`` the questions
with the key facts a right answer holds. Meetings (``meetings/<name>.json``): a transcript with
its known decisions, action items with owners and due dates, open questions and traps. The data
lives in files so that nobody tunes the scorer and the answers together by accident.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from selfcast.transcript import TranscriptLine

HERE = Path(__file__).resolve().parent
KINDS = frozenset({"direct", "paraphrase", "status", "people", "date", "unanswerable"})

Facts = tuple[tuple[str, ...], ...]  # all of the groups, any keyword of each group


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    facts: Facts = ()
    unanswerable: bool = False


@dataclass(frozen=True)
class Commit:
    days_ago: float
    author: str  # "Name <email>"
    message: str
    files: dict[str, str]


@dataclass(frozen=True)
class Workspace:
    name: str
    kind: str
    owner: str
    email: str
    source: Path
    initial_days_ago: float
    initial_message: str
    gitignore: str
    commits: tuple[Commit, ...]
    untracked: dict[str, str]
    secrets: tuple[str, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class ExpectedAction:
    owner: str
    task: Facts
    due: Facts = ()


@dataclass(frozen=True)
class Meeting:
    name: str
    bot_name: str
    attendees: tuple[str, ...]
    lines: tuple[TranscriptLine, ...]
    decisions: tuple[Facts, ...]
    stale_decisions: tuple[Facts, ...]  # reversed later: a decision saying this (and not the new one) is wrong
    actions: tuple[ExpectedAction, ...]
    reporters: tuple[str, ...]  # only reported what they did: no action item for them
    open_questions: tuple[Facts, ...]
    secrets: tuple[str, ...] = ()


def _facts(raw: object, where: str) -> Facts:
    if not isinstance(raw, list) or not all(isinstance(g, list) and g and all(isinstance(k, str) and k for k in g)
                                            for g in raw):
        raise ValueError(f"{where}: facts must be a list of non-empty lists of keywords, got {raw!r}")
    return tuple(tuple(k.lower() for k in g) for g in raw)


def _question(raw: dict, where: str) -> Question:
    kind = raw.get("kind", "")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
    unanswerable = bool(raw.get("unanswerable", False))
    if unanswerable == ("all" in raw):
        raise ValueError(f"{where}: a question has either key facts ('all') or 'unanswerable': true")
    return Question(raw["q"], kind, () if unanswerable else _facts(raw["all"], where), unanswerable)


def load_workspaces(root: Path = HERE / "workspaces") -> list[Workspace]:
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((d / "workspace.json").read_text(encoding="utf-8"))
        qs = json.loads((d / "questions.json").read_text(encoding="utf-8"))
        questions = tuple(_question(q, f"{d.name}/questions.json #{i + 1}") for i, q in enumerate(qs))
        commits = tuple(Commit(c["days_ago"], c["author"], c["message"], dict(c["files"])) for c in meta["commits"])
        out.append(Workspace(d.name, meta["kind"], meta["owner"], meta["email"], d / "tree",
                             meta["initial"]["days_ago"], meta["initial"]["message"], meta.get("gitignore", ""),
                             commits, dict(meta.get("untracked", {})), tuple(meta.get("secrets", [])), questions))
    return out


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, **(env or {})})


def _author(spec: str) -> tuple[str, str]:
    name, _, email = spec.partition("<")
    return name.strip(), email.rstrip(">").strip()


def build_workspace(ws: Workspace, parent: Path) -> Path:
    """A git repository under ``parent``: the tree as the first commit, then every commit at its
    date, files touched last modified at their commit's time, and the uncommitted files."""
    repo = parent / ws.name
    shutil.copytree(ws.source, repo)
    now = time.time()
    env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    _git(repo, "init", "-q", "-b", "main", env=env)
    _git(repo, "config", "user.name", ws.owner)
    _git(repo, "config", "user.email", ws.email)
    _git(repo, "config", "commit.gpgsign", "false")
    if ws.gitignore:
        (repo / ".gitignore").write_text(ws.gitignore, encoding="utf-8")

    def commit(when: float, author: str, message: str, paths: list[Path]) -> None:
        name, email = _author(author)
        for p in paths:
            os.utime(p, (when, when))
        _git(repo, "add", "-A")
        stamp = f"@{int(when)} +0000"
        _git(repo, "commit", "-q", "-m", message, env={**env, "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email,
                                                         "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
                                                         "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})

    commit(now - ws.initial_days_ago * 86400, f"{ws.owner} <{ws.email}>", ws.initial_message,
           [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts])
    for c in sorted(ws.commits, key=lambda c: -c.days_ago):
        paths = []
        for rel, text in c.files.items():
            p = repo / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        commit(now - c.days_ago * 86400, c.author, c.message, paths)
    for rel, text in ws.untracked.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        os.utime(p, (now - 3600, now - 3600))
    return repo


def load_meetings(root: Path = HERE / "meetings") -> list[Meeting]:
    out = []
    for f in sorted(root.glob("*.json")):
        raw = json.loads(f.read_text(encoding="utf-8"))
        where = f"meetings/{f.name}"
        lines, t = [], 0.0
        for i, ln in enumerate(raw["lines"]):
            if not ln.get("speaker") or not ln.get("text"):
                raise ValueError(f"{where} line {i + 1}: needs a speaker and a text")
            dur = round(0.35 * len(ln["text"].split()) + 0.8, 2)  # about the pace people speak at
            lines.append(TranscriptLine(ln["speaker"], ln["text"], round(t, 2), round(t + dur, 2),
                                        bot=ln["speaker"] == raw["bot_name"]))
            t += dur + 0.6
        speakers = {ln.speaker for ln in lines} | set(raw.get("attendees", []))
        actions = tuple(ExpectedAction(a["owner"], _facts(a["task"], where), _facts(a.get("due", []), where))
                        for a in raw.get("actions", []))
        for name in [a.owner for a in actions] + list(raw.get("reporters", [])):
            if name not in speakers:
                raise ValueError(f"{where}: {name!r} is neither a speaker nor an attendee")
        out.append(Meeting(f.stem, raw["bot_name"], tuple(raw.get("attendees", [])), tuple(lines),
                           tuple(_facts(d, where) for d in raw.get("decisions", [])),
                           tuple(_facts(d, where) for d in raw.get("stale_decisions", [])),
                           actions, tuple(raw.get("reporters", [])),
                           tuple(_facts(q, where) for q in raw.get("open_questions", [])),
                           tuple(raw.get("secrets", []))))
    return out
