"""Hostile workspaces, transcripts and memory for the secret redactor (issue 14, item 3): the
``selfcast context build`` and ``selfcast notes make`` CLIs and the memory store, fed planted
secrets and bad input. A secret never reaches stdout, stderr or a written file; bad input is a
distinct exit code (2, bad_input) naming what is wrong, and nothing is half-written."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from selfcast.brain.memory import MemoryStore
from selfcast.cli.main import main
from selfcast.errors import BadInput
from tests.brain.secrets_corpus import PLANTS, build, chunks, leaks


@dataclass
class Case:
    name: str
    setup: Callable[[Path], list[str]]  # builds files under tmp, returns CLI argv
    code: int
    says: str = ""  # in stderr when the exit code is not 0


def _ws(tmp: Path) -> list[str]:
    ws = build(tmp / "w", chunks()[0])
    return ["context", "build", str(ws["repo"]), "--log", str(ws["log"]), "--json"]


def _ws_out(tmp: Path) -> list[str]:
    ws = build(tmp / "w", chunks()[1])
    return ["context", "build", str(ws["repo"]), "--log", str(ws["log"]), "--out", str(tmp / "out" / "card.md")]


def _log_only(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    (tmp / "t.log").write_text("\n".join(p.line for p in PLANTS if p.place in ("log", "history")) + "\n")
    return ["context", "build", str(tmp / "d"), "--log", str(tmp / "t.log")]


def _readme_links_to_env(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    (tmp / "secret.env").write_text("# EnvOnlyMarker the deploy notes\n\nEnvOnlyMarker plain line\n")
    os.symlink(tmp / "secret.env", tmp / "d" / "README.md")
    return ["context", "build", str(tmp / "d")]


def _secret_file_names(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    for p in PLANTS:
        if p.place == "filename":
            (tmp / "d" / p.line).write_text("x\n")
    (tmp / "d" / "README.md").write_text("# Names\n\nA folder.\n")
    return ["context", "build", str(tmp / "d")]


def _commit_subject(tmp: Path) -> list[str]:
    repo = tmp / "r"
    repo.mkdir()
    subjects = [p.line for p in PLANTS if p.place == "commit"]
    for args in (["init", "-q", "-b", "main"], ["config", "user.name", "Tom Okafor"], ["config", "user.email", "t@x.io"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    for i, subj in enumerate(subjects):
        (repo / f"f{i}").write_text(str(i))
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", subj], check=True)
    return ["context", "build", str(repo)]


def _log_is_a_dir(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    return ["context", "build", str(tmp / "d"), "--log", str(tmp / "d"), "--out", str(tmp / "out" / "card.md")]


def _workspace_is_env_file(tmp: Path) -> list[str]:
    (tmp / ".env").write_text("API_TOKEN=should-never-be-read-8812\n")
    return ["context", "build", str(tmp / ".env"), "--out", str(tmp / "out" / "card.md")]


def _budget_too_small(tmp: Path) -> list[str]:
    (tmp / "d").mkdir()
    return ["context", "build", str(tmp / "d"), "--budget", "10", "--out", str(tmp / "out" / "card.md")]


def _talk(tmp: Path) -> list[str]:
    segs = [{"speaker": "Tom", "start": i * 3.0, "end": i * 3.0 + 2, "text": part}
            for i, part in enumerate(x for p in PLANTS if p.place in ("talk", "memory") for x in p.line.split("\n"))]
    (tmp / "t.json").write_text(json.dumps(segs))
    return ["notes", "make", str(tmp / "t.json"), "--format", "json", "--out", str(tmp / "out" / "notes.json")]


def _talk_markdown(tmp: Path) -> list[str]:
    _talk(tmp)
    return ["notes", "make", str(tmp / "t.json")]


def _notes_not_json(tmp: Path) -> list[str]:
    (tmp / "t.json").write_text("password=Hunter-77 and not json")
    return ["notes", "make", str(tmp / "t.json"), "--out", str(tmp / "out" / "notes.md")]


def _notes_wrong_shape(tmp: Path) -> list[str]:
    (tmp / "t.json").write_text(json.dumps([{"speaker": "Tom", "words": "token=abc123XYZ"}]))
    return ["notes", "make", str(tmp / "t.json"), "--out", str(tmp / "out" / "notes.md")]


def _notes_bad_format(tmp: Path) -> list[str]:
    _talk(tmp)
    return ["notes", "make", str(tmp / "t.json"), "--format", "yaml", "--out", str(tmp / "out" / "notes.md")]


CASES = [
    Case("workspace full of secrets, as JSON", _ws, 0),
    Case("workspace full of secrets, written to a file", _ws_out, 0),
    Case("terminal log of secrets and tracebacks", _log_only, 0),
    Case("README linked to an env file is never read", _readme_links_to_env, 0),
    Case("file names that carry secrets", _secret_file_names, 0),
    Case("commit subjects that carry secrets", _commit_subject, 0),
    Case("meeting talk of secrets, notes as JSON", _talk, 0),
    Case("meeting talk of secrets, notes as markdown", _talk_markdown, 0),
    Case("--log is a directory", _log_is_a_dir, 2, "is not a file"),
    Case("the workspace is an env file", _workspace_is_env_file, 2, "is not a directory"),
    Case("budget too small", _budget_too_small, 2, "too small"),
    Case("transcript is not JSON", _notes_not_json, 2, "is not JSON"),
    Case("transcript without text", _notes_wrong_shape, 2, "speaker, start, end and text"),
    Case("unknown notes format", _notes_bad_format, 2, "use markdown or json"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_secret_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = case.setup(tmp_path)
    code = main(argv)
    out, err = capsys.readouterr()
    written = "".join(p.read_text() for p in (tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else ""
    assert code == case.code, (out, err)
    assert [p.kind for p in leaks(out + err + written)] == []
    for marker in ("EnvOnlyMarker", "should-never-be-read", "Hunter-77", "abc123XYZ"):
        assert marker not in out + err + written
    if case.code:
        assert case.says in err and "error [bad_input]" in err
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-written
    else:  # it did its job: a card or notes came out
        assert any(w in out + written for w in ("Reference card", '"subject"', '"summary"', "# Meeting notes")), out


def test_memory_refuses_a_bad_bot_id_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="bot_id"):
        MemoryStore(tmp_path, "../escape")
    assert list(tmp_path.iterdir()) == []


def test_memory_that_only_states_a_credential_writes_nothing(tmp_path: Path) -> None:
    mem = MemoryStore(tmp_path, "bot")
    assert mem.add("The password for the staging box is Tango-Lima-42.") is None
    assert not mem.path.exists()
    with pytest.raises(BadInput, match="empty"):
        mem.add("   ")
