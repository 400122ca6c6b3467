"""Workspace Synthesis: condense the directory the owner works in into a reference card.

Sources: README/roadmap files (goals), git log/diff --stat/status (recent work), recently
modified files, shell history and terminal logs (recent errors, failing tests), memory files
(MEMORY.md, daily logs, identity files) and people (commit authors, memory). Every text, git
output and file name passes through ``redact(..., drop=True)`` *before* it is parsed (a line that
states a credential is dropped whole), every card item passes through it again, ``.env`` and key
files are never opened, binaries, vendored and git-ignored files are skipped, and the scan stops
at a time budget.

The card follows the original skill's prompt shape: vibe line, known facts (at most 10),
recent activity, right now, people; third person; only what the sources say.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from selfcast.brain.redact import MASK, is_secret_file, redact, redacted_logger
from selfcast.errors import BadInput

log = redacted_logger(__name__)

VENDORED = frozenset({
    ".git", "node_modules", ".venv", "venv", "env", "vendor", "third_party", "third-party", "dist", "build",
    "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "site-packages",
    ".next", ".cache", "target", "bower_components", ".idea", ".vscode", "Pods", ".gradle", "coverage",
})
GOAL_FILES = ("README", "ROADMAP", "TODO", "GOALS", "PLAN", "STATUS", "CHANGELOG")
MEMORY_FILES = ("MEMORY.md", "IDENTITY.md", "USER.md", "SOUL.md", "AGENTS.md", "NOTES.md")
MEMORY_DIRS = ("memory", "identity", "life", "notes", "daily")
MAX_READ = 200_000  # bytes read from any one file (logs: the tail)


def _split(words: str) -> list[str]:
    return words.split()


def approx_tokens(text: str) -> int:
    """~4 characters a token for English prose and code (good enough for budgeting)."""
    return max(1, (len(text) + 3) // 4) if text else 0


@dataclass
class ReferenceCard:
    """Third-person system-prompt card about the owner's current work."""

    subject: str
    vibe: str = ""
    sections: list[str] = field(default_factory=list)  # goal, status, roadmap ... carried whole
    facts: list[str] = field(default_factory=list)
    recent: list[str] = field(default_factory=list)
    right_now: list[str] = field(default_factory=list)
    people: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        parts = [f"Reference card: {self.subject}"]
        if self.vibe:
            parts.append(f"Vibe: {self.vibe}")
        for title, items in (("Goals and status", self.sections), ("Known facts", self.facts),
                             ("Recent activity", self.recent),
                             ("Right now", self.right_now), ("People", self.people)):
            if items:
                parts.append(f"\n{title}:\n" + "\n".join(f"- {x}" for x in items))
        return "\n".join(parts).strip() + "\n"

    @property
    def tokens(self) -> int:
        return approx_tokens(self.text)

    def lines(self) -> list[tuple[str, str]]:
        """(section, item) pairs, the unit the embedded brain retrieves over."""
        out = [("vibe", self.vibe)] if self.vibe else []
        for sec, items in (("facts", self.sections), ("facts", self.facts), ("recent", self.recent), ("now", self.right_now),
                           ("people", self.people)):
            out.extend((sec, x) for x in items)
        return out

    def to_dict(self) -> dict:
        return {"subject": self.subject, "vibe": self.vibe, "sections": self.sections, "facts": self.facts, "recent": self.recent,
                "right_now": self.right_now, "people": self.people, "sources": self.sources,
                "stats": self.stats, "text": self.text}


# ----------------------------------------------------------------------------- reading
class _Scan:
    def __init__(self, root: Path, deadline: float, max_files: int) -> None:
        self.root, self.deadline, self.max_files = root, deadline, max_files
        self.files_seen = 0
        self.truncated = False
        self.sources: list[str] = []

    def out_of_time(self) -> bool:
        if time.monotonic() > self.deadline:
            self.truncated = True
        return self.truncated


def _read_text(path: Path, *, tail: bool = False) -> str:
    """Redacted text of a small text file, or "" for binaries, secret files and failures (a
    README that links to ``.env`` is the ``.env``: the name the link resolves to decides)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return ""
    if is_secret_file(path.name) or is_secret_file(real.name):
        return ""
    try:
        with path.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if tail and size > MAX_READ:
                fh.seek(size - MAX_READ)
            data = fh.read(MAX_READ)
    except OSError:
        return ""
    if b"\x00" in data[:8192]:
        return ""
    return redact(data.decode("utf-8", errors="replace"), drop=True)


def _safe_name(rel: str) -> bool:
    """A file name the card may show: not a secret file, and stating no credential itself."""
    return not is_secret_file(Path(rel).name) and redact(rel, drop=True) == rel


def _git(root: Path, *args: str, timeout: float = 5.0, drop: bool = True) -> str:
    try:
        r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=timeout,
                           env={**os.environ, "GIT_PAGER": "cat", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return redact(r.stdout.decode("utf-8", errors="replace"), drop=drop) if r.returncode == 0 else ""


def _is_git(root: Path) -> bool:
    return bool(_git(root, "rev-parse", "--is-inside-work-tree").strip())


def _listed_files(root: Path, scan: _Scan, git: bool) -> list[Path]:
    """Tracked + untracked-not-ignored files (git), else a walk that skips vendored dirs."""
    out: list[Path] = []
    if git:
        try:
            proc = subprocess.Popen(["git", "-C", str(root), "ls-files", "-co", "--exclude-standard", "-z"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert proc.stdout is not None
            buf = b""
            while len(out) < scan.max_files and not scan.out_of_time():
                block = proc.stdout.read(65536)
                if not block:
                    break
                buf += block
                *names, buf = buf.split(b"\x00")
                for n in names:
                    rel = n.decode("utf-8", errors="replace")
                    if not any(part in VENDORED for part in rel.split("/")[:-1]):
                        out.append(root / rel)
            if len(out) >= scan.max_files:
                scan.truncated = True
            proc.kill()
            proc.wait()
        except OSError:
            pass
        return out[: scan.max_files]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in VENDORED and not d.startswith(".")]
        for f in filenames:
            out.append(Path(dirpath) / f)
        if len(out) >= scan.max_files or scan.out_of_time():
            scan.truncated = True
            break
    return out[: scan.max_files]


# ----------------------------------------------------------------------------- extracting
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s*)?(?P<item>.+)$")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")


def _clean(s: str, limit: int = 180) -> str:
    s = re.sub(r"`([^`]*)`", r"\1", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    s = re.sub(r"(?<!\w)[*_]{1,3}([^*_]+)[*_]{1,3}(?!\w)", r"\1", s)
    s = re.sub(r"\s+", " ", s).strip()
    return s if len(s) <= limit else s[: limit - 1].rsplit(" ", 1)[0] + "…"


def _doc_facts(text: str, source: str) -> tuple[str, list[str]]:
    """(title, facts) from a markdown/text document: title, first paragraph, bullets under
    goal/status/roadmap-like headings, or the first bullets of the document."""
    title = ""
    first_para: list[str] = []
    facts: list[str] = []
    heading = ""
    in_code = False
    para_done = False
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = _HEADING.match(line)
        if m:
            heading = m.group(1)
            if not title:
                title = _clean(heading, 80)
            elif first_para:
                para_done = True
            continue
        if not line.strip():
            if first_para:
                para_done = True
            continue
        b = _BULLET.match(line)
        if b:
            item = _clean(b.group("item"))
            box = b.group("box")
            if box is not None and "progress" not in item.lower():
                item += " (done)" if box in "xX" else " (to do)"
            if len(item) > 3:
                facts.append(f"{heading}: {item}" if heading and heading != title else item)
            if first_para:
                para_done = True
            continue
        if not para_done and not line.lstrip().startswith(("<", "!", "|", ">")):
            first_para.append(line.strip())
    out = []
    if first_para:
        out.append(_clean(" ".join(first_para), 240))
    return title, out + facts


#: README headings whose whole section says what matters now (carried in full, bounded)
_KEY_HEADING = re.compile(r"^(?:(?:current|project|our|the)\s+)?(?:goals?|objectives?|roadmap|status|milestones?|focus|"
                          r"now(?:\s*(?:/|and|&)\s*next)?|next(?:\s+up|\s+steps)?|blockers?|blocked|deadlines?|"
                          r"priorities|this\s+week|in\s+progress|what'?s\s+next|results(?:\s+so\s+far)?|progress|"
                          r"current\s+state|where\s+we\s+are|known\s+issues|open\s+issues|risks)\b", re.I)
SECTION_MAX_CHARS = 1200
#: a notes line that says what is being done now
_NOW_LABEL = re.compile(r"^(?:(?:working notes|notes|today|this week)\s*:\s*)?(?:right now|now|currently|current focus|"
                        r"focus|working on|today|this week|in progress|next|next up|blocked(?: on)?|blockers?)\s*:", re.I)


def _open_items(text: str) -> list[str]:
    """A to-do file's items still open: unchecked boxes, or plain bullets when it has no boxes."""
    bullets = [b for b in map(_BULLET.match, text.splitlines()) if b]
    boxed = [b for b in bullets if b.group("box") is not None]
    return [_clean(b.group("item"), 120) for b in (boxed or bullets) if b.group("box") in (None, " ")]


def _key_sections(text: str) -> list[str]:
    """Goal/Status/Roadmap/... sections of a document, each as one line: "Heading: body" with its
    paragraphs and bullets in order (checkbox state kept), at most ``SECTION_MAX_CHARS``."""
    out: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    level = 0
    in_code = False
    for raw in text.splitlines():
        if raw.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"^\s*(#{1,6})\s+(.+?)\s*#*\s*$", raw)
        if m:
            depth, heading = len(m.group(1)), _clean(m.group(2), 200)
            if current is not None and depth > level:  # a subheading stays inside its section
                current[1].append(heading + ":")
                continue
            current = None
            if _KEY_HEADING.match(heading):
                current, level = (heading, []), depth
                out.append(current)
            continue
        if current is None or not raw.strip() or raw.lstrip().startswith(("<", "!", "|")):
            continue
        b = _BULLET.match(raw)
        if b:
            item = _clean(b.group("item"), SECTION_MAX_CHARS)
            box = b.group("box")
            state = "" if box is None or "progress" in item.lower() else " (done)" if box in "xX" else " (to do)"
            item = item + state
            current[1].append(item if item.endswith((".", "!", "?", ":", ";")) else item + ";")
        else:
            current[1].append(_clean(raw, SECTION_MAX_CHARS))
    lines = []
    for heading, body in out:
        joined = re.sub(r";$", ".", " ".join(body).strip()).rstrip(":")
        line = f"{heading}: {joined}" if joined else heading
        lines.append(_clean(line, SECTION_MAX_CHARS))
    return [x for x in lines if len(x) > 3]


_PYTEST_FAIL = re.compile(r"^(?:FAILED|ERROR)\s+(\S+?)(?:\s+-\s+(.+))?$")
_PYTEST_SUMMARY = re.compile(r"^=+\s*(.*\b(?:failed|error|errors)\b.*?)\s+in\s+[\d.]+s")
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Failure|Interrupt|Exit)):?\s*(.*)$")
_GENERIC_ERR = re.compile(r"(?:^|\s)(?:error|ERR!|fatal):\s+(.+)$", re.I)


def _ran(source: str) -> str:
    """What a log recorded, said plainly: build.log → "the last build", train.log → "the last
    training run" (a small model links "does it build?" to a failure only when it is named so)."""
    stem = Path(source).stem.lower()
    for key, what in (("build", "the last build"), ("train", "the last training run"), ("test", "the last test run"),
                      ("deploy", "the last deploy"), ("install", "the last install"), ("lint", "the last lint run")):
        if key in stem:
            return what
    return f"the last run in {Path(source).name}" if source else "the last run"


def _errors_from_log(text: str, source: str) -> list[str]:
    """Recent failures in a terminal log: failing tests, the last line of tracebacks, errors."""
    found: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        m = _PYTEST_FAIL.match(s)
        if m:
            what = m.group(1)
            why = m.group(2) or ""
            found.append(_clean(f"failing test {what}" + (f" ({why})" if why else ""), 200))
            continue
        m = _PYTEST_SUMMARY.match(s)
        if m:
            found.append(_clean(f"last test run: {m.group(1)}", 160))
            continue
        if s.startswith("Traceback (most recent call last)"):
            where = ""
            for j in range(i + 1, min(i + 80, len(lines))):
                t = lines[j].strip()
                fm = re.match(r'File "([^"]+)", line (\d+), in (\S+)', t)
                if fm:
                    where = f"{Path(fm.group(1)).name}:{fm.group(2)} in {fm.group(3)}"
                    continue
                em = _EXC_LINE.match(t)
                if em and not t.startswith("File "):  # said as a failure of what the log ran
                    found.append(_clean(f"{_ran(source)} failed with {em.group(1)}: {em.group(2)}"
                                        + (f" at {where}" if where else ""), 200))
                    break
            continue
        m = _GENERIC_ERR.search(s)
        if m and "[REDACTED]" not in s and len(s) < 300:
            found.append(_clean(f"{_ran(source)} failed: error: {m.group(1)}", 160))
    # newest last, deduplicated keeping the newest occurrence
    seen: dict[str, None] = {}
    for f in reversed(found):
        seen.setdefault(f, None)
    return list(reversed(list(seen)))


_INTERESTING_CMD = re.compile(r"^(?:pytest|python|make|npm|pnpm|yarn|cargo|go|git (?:push|merge|rebase|checkout)|docker|"
                              r"kubectl|terraform|uv|poetry|tox|ruff|mypy)\b")


def _history_commands(text: str, n: int = 4) -> list[str]:
    cmds = []
    for raw in text.splitlines():
        line = raw.split(";", 1)[1] if raw.startswith(": ") and ";" in raw else raw  # zsh extended history
        line = line.strip()
        if _INTERESTING_CMD.match(line) and "[REDACTED]" not in line:
            cmds.append(_clean(line, 100))
    dedup: dict[str, None] = {}
    for c in reversed(cmds):
        dedup.setdefault(c, None)
    return list(reversed(list(dedup)))[-n:]


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _when(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso.strip()).timestamp()
    except ValueError:
        return 0.0


def _pretty_date(iso: str) -> str:
    try:
        d = datetime.strptime(iso[:10], "%Y-%m-%d")
    except ValueError:
        return iso
    return d.strftime("%b %d").replace(" 0", " ")


# ----------------------------------------------------------------------------- the card
def build_card(path: Path, *, budget_tokens: int = 700, extra_logs: list[Path] | tuple = (),
               history_files: list[Path] | None = None, time_budget_s: float = 8.0,
               max_files: int = 20_000, days: int = 14, subject: str = "") -> ReferenceCard:
    """Scan ``path`` and return its reference card within ``budget_tokens``.

    ``history_files`` defaults to ``$HISTFILE``, ``~/.bash_history`` and ``~/.zsh_history``.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise BadInput(f"workspace {str(root)!r} is not a directory; pass the folder you work in")
    if budget_tokens < 100:
        raise BadInput(f"budget_tokens={budget_tokens} is too small for a useful card; use at least 100")
    t0 = time.monotonic()
    scan = _Scan(root.resolve(), t0 + time_budget_s, max_files)
    git = _is_git(root)

    facts: list[str] = []
    sections: list[str] = []
    notes_now: list[str] = []
    right_now: list[str] = []
    recent: list[str] = []
    people: Counter[str] = Counter()
    last_seen: dict[str, str] = {}
    title = ""
    identity_lines: list[str] = []

    # goals: README / roadmap-like files at the top level and in docs/
    candidates = []
    for d in (root, root / "docs"):
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.name.upper().split(".")[0] in GOAL_FILES and p.suffix.lower() in (".md", ".txt", ".rst", ""):
                    candidates.append(p)
    candidates.sort(key=lambda p: (p.name.upper().split(".")[0] != "README", p.name))
    for p in candidates:
        text = _read_text(p)
        if not text:
            continue
        t, items = _doc_facts(text, p.name)
        scan.sources.append(str(p.relative_to(root)))
        if not title and t:
            title = t
        kind = p.name.upper().split(".")[0]
        found = _key_sections(text)
        sections.extend(found)
        items = [it for it in items if not any(it.split(": ", 1)[-1].lower()[:80] in k.lower() for k in found)]
        if kind == "TODO":
            open_items = _open_items(text)
            if open_items:
                right_now.append(_clean("next on the to-do list: " + "; ".join(open_items[:3]), 240))
                shown = [o[:60].lower() for o in open_items[:3]]  # said once, under "right now"
                items = [it for it in items if not any(o in it.lower() for o in shown)]
        limit = 5 if kind == "README" else 4
        facts.extend(items[:limit] if kind != "CHANGELOG" else items[:2])

    # memory and identity files
    wanted = {n.upper() for n in MEMORY_FILES}
    mem_files = sorted((p for p in root.iterdir() if p.is_file() and p.name.upper() in wanted), key=_mtime, reverse=True)
    for d in MEMORY_DIRS:
        if (root / d).is_dir():  # daily logs and notes: the newest first (by name, then by edit time)
            mem_files.extend(sorted((root / d).glob("*.md"), key=lambda p: (p.name, _mtime(p)), reverse=True)[:5])
    for p in mem_files:
        text = _read_text(p)
        if not text:
            continue
        scan.sources.append(str(p.relative_to(root)))
        t, items = _doc_facts(text, p.name)
        is_identity = p.name.upper().startswith(("IDENTITY", "SOUL", "USER")) or "identity" in p.parts
        if is_identity:
            identity_lines.extend(items[:3])
        else:
            for it in items[:6]:
                low = it.lower()
                if low.startswith("people:") or "people" in low.split(":")[0]:
                    name = it.split(":", 1)[-1].strip()
                    people[name] += 0
                    last_seen.setdefault(name, "")
                elif _NOW_LABEL.match(it):
                    notes_now.append(it)  # "Right now: fixing the rain gauge" says what the owner is doing
                else:
                    facts.append(it)

    # git: log, diff --stat, status
    owner = ""
    latest_commits: list[list[str]] = []
    if git:
        owner = _git(root, "config", "user.name").strip()
        # masked, not dropped: a commit whose subject states a credential still counts for its
        # author, and only its subject stays off the card
        log_txt = _git(root, "log", f"--since={days}.days", "-n", "60", "--no-merges",
                       "--pretty=format:%aI%x1f%an%x1f%s", drop=False)
        if not log_txt.strip():  # an old repository: its latest commits still say what happened last
            log_txt = _git(root, "log", "-n", "15", "--no-merges", "--pretty=format:%aI%x1f%an%x1f%s", drop=False)
        # newest work first, by when it was written (a rebase or a replayed history keeps author dates)
        entries = sorted((ln.split("\x1f") for ln in log_txt.splitlines() if ln.count("\x1f") == 2),
                         key=lambda e: _when(e[0]), reverse=True)
        entries = [[e[0][:10], e[1], e[2]] for e in entries]
        entries = [e for e in entries if MASK not in e[0] + e[1]]
        for date, author, _subj in entries:
            people[author] += 1
            last_seen[author] = max(last_seen.get(author, ""), date)
        latest_commits = [e for e in entries if MASK not in e[2]]
        for date, author, subj in latest_commits[:14]:
            recent.append(_clean(f"{_pretty_date(date)}, {author.split()[0] if author else 'someone'}: {subj}", 160))
        if entries:
            scan.sources.append("git log")
            n = min(len(entries), 20)
            stat = _git(root, "diff", "--shortstat", f"HEAD~{n}", "HEAD") if n < int(
                _git(root, "rev-list", "--count", "HEAD").strip() or 0) else _git(
                root, "diff", "--shortstat", "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "HEAD")
            if stat.strip():
                recent.append(_clean(f"over the last {n} commits: {stat.strip()}", 160))
            files = Counter(ln for ln in _git(root, "log", f"-n{n}", "--name-only", "--pretty=format:").splitlines()
                            if ln and _safe_name(ln))
            if files:
                top = ", ".join(f for f, _ in files.most_common(4))
                recent.append(_clean(f"most-changed files lately: {top}", 200))
        branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD").strip()
        status = [ln for ln in _git(root, "status", "--porcelain", "--untracked-files=all").splitlines() if ln.strip()]
        if status:
            changed = [ln[3:] for ln in status if _safe_name(ln[3:])]
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            if changed:
                right_now.append(_clean(f"uncommitted changes on branch {branch}: {shown}", 220))
        elif branch:
            right_now.append(f"on branch {branch}, working tree clean")

    # recently modified files (tracked or untracked, not ignored, not vendored)
    files = _listed_files(root, scan, git)
    scan.files_seen = len(files)
    mtimes: list[tuple[float, Path]] = []
    log_files: list[Path] = []
    for p in files:
        if scan.out_of_time():
            break
        try:
            st = p.stat()
        except OSError:
            continue
        if not _safe_name(str(p.relative_to(root))):
            continue
        mtimes.append((st.st_mtime, p))
        if p.suffix in (".log", ".out") and st.st_size < 50_000_000:
            log_files.append(p)
    mtimes.sort(reverse=True)
    mtimes = [(m, p) for m, p in mtimes if p.suffix not in (".log", ".out")]
    if mtimes:
        names = [str(p.relative_to(root)) for _, p in mtimes[:5]]
        recent.append("recently edited: " + ", ".join(names))

    # terminal logs and shell history: recent errors, failing tests, commands
    logs = [Path(p).expanduser() for p in extra_logs] + log_files[:10]
    errors: list[str] = []
    for p in logs:
        text = _read_text(p, tail=True)
        if text:
            errs = _errors_from_log(text, p.name)
            if errs:
                scan.sources.append(str(p))
                errors.extend(errs[-4:])
    if history_files is None:
        home = Path(os.path.expanduser("~"))
        history_files = [Path(os.environ["HISTFILE"])] if os.environ.get("HISTFILE") else []
        history_files += [home / ".bash_history", home / ".zsh_history"]
    cmds: list[str] = []
    for p in history_files:
        p = Path(p)
        if p.is_file():
            cmds.extend(_history_commands(_read_text(p, tail=True)))
    right_now = notes_now[:3] + [e for e in errors[-5:]] + right_now
    if cmds:
        right_now.append("recent commands: " + "; ".join(cmds[-3:]))

    # people
    if owner:
        people[owner] += 0
    people_lines = []
    for name, n in people.most_common(6):
        if not name:
            continue
        line = name
        if n:
            line += f" ({n} commit{'s' if n != 1 else ''} lately, last {_pretty_date(last_seen.get(name, ''))})"
        people_lines.append(line)

    subject_name = subject or owner or (people.most_common(1)[0][0] if people else "the owner")
    project = title or root.resolve().name
    focus = _focus(recent[:6], facts)
    mine = [e for e in latest_commits if e[1] == subject_name] or latest_commits  # the subject's own work
    latest = next((e[2] for e in mine), "").rstrip(".")
    if focus and latest.lower().startswith(focus.lower() + ": "):
        latest = latest[len(focus) + 2:]
    doing = next((x.split(":", 1)[1].strip().rstrip(".") for x in notes_now
                  if not re.match(r"^(?:next|next up|blocked|blockers?)", x, re.I)), "")
    vibe = " ".join(identity_lines[:1]) or (
        f"{subject_name} is working on {project}" + (f", lately mostly on {focus}" if focus else "")
        + (f"; right now {doing}" if doing else f"; latest: {latest}" if latest else "") + ".")
    card = ReferenceCard(subject=_scrub(f"{subject_name}, {project}") or "the owner", vibe=_scrub(_clean(vibe, 200)),
                         sections=_scrubbed(_dedup(sections)), facts=_scrubbed(_dedup(facts)), recent=_scrubbed(_dedup(recent)),
                         right_now=_scrubbed(_dedup(right_now)), people=_scrubbed(people_lines),
                         sources=_scrubbed(scan.sources))
    _fit(card, budget_tokens)
    card.stats = {"files_seen": scan.files_seen, "elapsed_s": round(time.monotonic() - t0, 3),
                  "truncated": scan.truncated, "tokens": card.tokens, "budget_tokens": budget_tokens}
    log.info("workspace card: %d facts, %d recent, %d now, %d people, %d tokens in %.2fs",
             len(card.facts), len(card.recent), len(card.right_now), len(card.people), card.tokens,
             card.stats["elapsed_s"])
    return card


_STOP = frozenset(_split(
"the a an and or of to for in on with from by add fix update use move make wip merge into "
                  "tests test readme md py js ts more less new old is are be it this that lately"
))


def _focus(recent: list[str], facts: list[str]) -> str:
    """The topic the newest commits share: the newest commit's "Area: ..." label when it recurs,
    else a recurring two-word phrase."""
    labels = [b.split(": ", 1)[0] for b in (r.split(": ", 1)[-1] for r in recent)
              if ": " in b and 0 < len(b.split(": ", 1)[0].split()) <= 4]
    counts = Counter(x.lower() for x in labels)
    for label in labels:  # newest first
        if counts[label.lower()] >= 2:
            return label if label.isupper() or re.search(r"[A-Z].*[A-Z]", label) else label.lower()
    bigrams: Counter[str] = Counter()
    for r in recent:
        body = r.split(": ", 1)[-1].lower()
        w = [x for x in re.findall(r"[a-z][a-z0-9-]+", body)]
        for a, b in itertools.pairwise(w):
            if a not in _STOP and b not in _STOP:
                bigrams[f"{a} {b}"] += 1
    if bigrams:
        phrase, n = bigrams.most_common(1)[0]
        if n >= 2:
            return phrase.replace("api", "API")
    return ""


def _scrub(item: str) -> str:
    """One card line through the redactor once more (parsing can join pieces of text): a line
    that states a credential is left out, never shown masked."""
    return redact(item, drop=True).strip()


def _scrubbed(items: list[str]) -> list[str]:
    return [x for x in map(_scrub, items) if x]


def _dedup(items: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for x in items:
        if x and x.lower() not in (k.lower() for k in seen):
            seen[x] = None
    return list(seen)


def _fit(card: ReferenceCard, budget: int) -> None:
    """Keep at most 10 facts, then trim to the token budget in reverse priority: people, then
    recent activity, then right-now, then facts, and only then the goal/status sections (what
    matters most), which are shortened, longest first, rather than dropped."""
    card.facts = card.facts[:10]
    for attr, keep in (("people", 2), ("recent", 3), ("right_now", 2), ("facts", 3),
                       ("people", 1), ("recent", 1), ("right_now", 1), ("facts", 0),
                       ("people", 0), ("recent", 0), ("right_now", 0)):
        items = getattr(card, attr)
        while card.tokens > budget and len(items) > keep:
            items.pop()
        if card.tokens <= budget:
            return
    while card.tokens > budget and card.sections:
        i = max(range(len(card.sections)), key=lambda k: len(card.sections[k]))
        if len(card.sections[i]) <= 80:
            card.sections.pop()
            continue
        card.sections[i] = _clean(card.sections[i], max(80, len(card.sections[i]) * 3 // 4))
    if card.tokens <= budget:
        return
    while card.tokens > budget and len(card.vibe) > 20:
        card.vibe = card.vibe[: len(card.vibe) // 2]
