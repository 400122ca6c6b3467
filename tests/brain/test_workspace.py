import subprocess
import time
from pathlib import Path

import pytest

from selfcast.brain.workspace import build_card
from selfcast.errors import BadInput
from tests.brain.fixture import leaked


def test_card_has_the_skill_shape_and_the_workspace_facts(card):
    text = card.text
    for section in ("Vibe:", "Known facts:", "Recent activity:", "Right now:", "People:"):
        assert section in text
    assert "Maya Chen" in card.subject
    assert any("December 12" in f for f in card.facts)  # README goal
    assert any("orders endpoints moved to v2 (in progress)" in f for f in card.facts)  # roadmap state kept
    assert any("move orders endpoints to v2" in r for r in card.recent)  # git log
    assert any("test_orders_cursor_roundtrip" in n and "next_cursor" in n for n in card.right_now)  # terminal log
    assert any("api/v2/pagination.py" in n for n in card.right_now)  # git status
    assert card.people[0].startswith("Maya Chen (5 commits")
    assert any(p.startswith("Tom Okafor") for p in card.people)
    assert "API refactor" in card.vibe
    assert len(card.facts) <= 10
    assert "@orderdesk.dev" not in text  # people by name, never by address


def test_no_planted_secret_reaches_the_card(card):
    assert leaked(card.text) == []
    assert leaked(repr(card.to_dict())) == []


def test_ignored_vendored_binary_and_env_files_are_not_read(card):
    text = card.text
    for marker in ("IgnoredLogMarker", "VendoredMarker", "BinaryMarker", "envOnlyValue"):
        assert marker not in text
    assert "cache warmup skipped" in text  # a tracked-or-untracked, non-ignored log is read


def test_card_respects_a_small_token_budget_and_keeps_specific_facts(workspace):
    small = build_card(workspace["repo"], budget_tokens=200, extra_logs=[workspace["log"]],
                       history_files=[workspace["history"]])
    assert small.tokens <= 200
    assert small.facts, "specific facts are the last thing trimmed"


def test_bad_directory_and_budget_are_rejected_clearly(tmp_path):
    with pytest.raises(BadInput, match="not a directory"):
        build_card(tmp_path / "missing")
    with pytest.raises(BadInput, match="too small"):
        build_card(tmp_path, budget_tokens=10)


def test_plain_folder_without_git_still_gives_a_card(tmp_path, home):
    (tmp_path / "README.md").write_text("# Tiny\n\nA tiny tool that renames photos by date.\n")
    card = build_card(tmp_path, history_files=[])
    assert "renames photos by date" in card.text


@pytest.mark.slow
def test_huge_repository_is_scanned_in_bounded_time(tmp_path, home):
    repo = tmp_path / "huge"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "README.md").write_text("# Huge\n\nA monorepo with a very large number of files.\n")
    n = 0
    for d in range(150):  # 30,000 source files plus a vendored tree
        sub = repo / "pkg" / f"m{d:03d}"
        sub.mkdir(parents=True)
        for f in range(200):
            (sub / f"f{f:03d}.py").write_text("x = 1\n")
            n += 1
    vend = repo / "node_modules" / "big"
    vend.mkdir(parents=True)
    for f in range(2000):
        (vend / f"v{f}.js").write_text("module.exports = 1\n")
    t = time.monotonic()
    card = build_card(repo, time_budget_s=3.0, max_files=20_000, history_files=[])
    elapsed = time.monotonic() - t
    assert elapsed < 3.0 + 2.0, f"scan took {elapsed:.1f}s"
    assert card.stats["truncated"] is True
    assert card.stats["files_seen"] <= 20_000
    assert "very large number of files" in card.text
    Path(tmp_path / "huge_elapsed.txt").write_text(f"{elapsed:.2f}")
