import os
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
    assert any("December 12" in f for f in card.sections)  # README goal
    assert any("orders endpoints moved to v2 (in progress)" in f for f in card.sections)  # roadmap state kept
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
    assert small.sections, "the goal and status sections are the last thing trimmed"
    assert any("Goals:" in x for x in small.sections)


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


# ----------------------------------------------------------------------------- what matters is kept
def _repo(root: Path, files: dict[str, str], commits: list[tuple[str, str, str]]) -> Path:
    """A git repository whose commits carry the given (ISO date, author, subject), oldest first."""
    import os

    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for i, (date, author, subject) in enumerate(commits):
        (root / "CHANGES.txt").write_text(f"change {i}\n")
        subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": author,
               "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": author,
               "GIT_COMMITTER_EMAIL": "a@example.org"}
        subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", subject], check=True, env=env)
    return root


_SETTLE_README = """# Ledgerline

Ledgerline settles card payments between merchants and banks.

## Install

Run make install, then make run. Requires Python 3.11 and PostgreSQL 15.

## Goal: ship v2 with multi-currency settlement by March 15

Every merchant can settle in EUR, GBP and USD; FX rates come from the treasury feed.

## Status

Currency conversion is done and reviewed. The settlement batch job still rounds per line instead of per
batch, which loses cents on large batches; Priya is rewriting the rounding this week. The bank file
export is blocked on the new SFTP credentials from Northbank.

## API reference

""" + "\n".join(f"- GET /v1/endpoint{i}: returns the thing number {i} with all of its fields" for i in range(60)) + "\n"


def test_an_unseen_workspace_keeps_its_goal_and_status_whole(tmp_path, home):
    repo = _repo(tmp_path / "ledger", {"README.md": _SETTLE_README},
                 [("2026-01-05T10:00:00", "Priya Nair", "Initial import"),
                  ("2026-02-20T10:00:00", "Priya Nair", "Add currency conversion"),
                  ("2026-02-27T10:00:00", "Priya Nair", "Start per-batch rounding in the settlement job")])
    card = build_card(repo, history_files=[])
    goal = next(x for x in card.sections if x.startswith("Goal: ship v2 with multi-currency settlement by March 15"))
    assert "EUR, GBP and USD" in goal
    status = next(x for x in card.sections if x.startswith("Status:"))
    assert "rounds per line instead of per batch" in status and "blocked on the new SFTP credentials" in status
    assert "Goal: ship v2" in card.text and "Priya is rewriting the rounding" in card.text
    assert len(card.text) <= 2_800 + 200 and card.tokens <= 700  # compact: prefilled into a small model
    assert "endpoint59" not in card.text  # reference material is what gets trimmed


def test_a_long_section_is_bounded(tmp_path, home):
    body = " ".join(f"Milestone step {i} is planned for later in the year." for i in range(80))
    (tmp_path / "README.md").write_text(f"# Big\n\n## Milestones\n\n{body}\n\n## Deadline\n\nJune 30.\n")
    card = build_card(tmp_path, history_files=[], budget_tokens=2_000)
    milestones = next(x for x in card.sections if x.startswith("Milestones:"))
    assert len(milestones) <= 1_200
    assert "Deadline: June 30." in card.sections


def test_what_i_am_working_on_is_the_latest_work(tmp_path, home):
    repo = _repo(tmp_path / "gauge", {"README.md": "# Rain gauge\n\nFirmware for a tipping-bucket rain gauge.\n",
                                      "TODO.md": "# TODO\n\n- [x] debounce the reed switch\n"
                                                 "- [ ] calibrate the bucket volume\n- [ ] low-battery alarm\n"},
                 [("2025-06-01T09:00:00", "Ada Quinn", "Bootstrap the sensor driver from the vendor sample"),
                  ("2025-09-10T09:00:00", "Ada Quinn", "Add the LoRa uplink"),
                  ("2025-11-28T09:00:00", "Ada Quinn", "Fix the rain gauge overcounting in heavy rain")])
    (repo / "src").mkdir()
    old = repo / "src" / "driver.c"
    old.write_text("int x;\n")
    os.utime(old, (1_700_000_000, 1_700_000_000))
    (repo / "src" / "calibrate.c").write_text("int y;\n")  # edited just now, not committed
    card = build_card(repo, history_files=[])
    assert card.recent[0].endswith("Fix the rain gauge overcounting in heavy rain")
    assert "Bootstrap" not in " ".join(card.recent[:2])
    edited = next(x for x in card.recent if x.startswith("recently edited"))
    assert edited.index("calibrate.c") < edited.index("driver.c") if "driver.c" in edited else "calibrate.c" in edited
    assert any("calibrate the bucket volume" in x and "low-battery alarm" in x for x in card.right_now)
    assert any("uncommitted changes" in x and "src/calibrate.c" in x for x in card.right_now)
    assert not any("debounce" in x for x in card.right_now)  # done items are not "next"


def test_author_dates_decide_what_is_newest(tmp_path, home):
    """A replayed or rebased history: commit order and committer dates say nothing about when the
    work was done; the author dates do."""
    import os as _os

    repo = _repo(tmp_path / "replayed", {"README.md": "# R\n\nA tool.\n"},
                 [("2026-01-10T09:00:00", "Ada Quinn", "Newest work: the export screen")])
    (repo / "b.txt").write_text("b\n")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    env = {**_os.environ, "GIT_AUTHOR_DATE": "2025-03-01T09:00:00", "GIT_COMMITTER_DATE": "2026-02-01T09:00:00",
           "GIT_AUTHOR_NAME": "Ada Quinn", "GIT_AUTHOR_EMAIL": "a@example.org", "GIT_COMMITTER_NAME": "Ada Quinn",
           "GIT_COMMITTER_EMAIL": "a@example.org"}
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "Old work replayed on top"], check=True, env=env)
    card = build_card(repo, history_files=[])
    assert card.recent[0].endswith("Newest work: the export screen")


def test_notes_file_in_any_case_is_read_newest_first(tmp_path, home):
    (tmp_path / "README.md").write_text("# Gauge\n\nA rain gauge.\n")
    (tmp_path / "notes.md").write_text("# Notes\n\n- fixing the rain gauge overcount before Friday's demo\n")
    card = build_card(tmp_path, history_files=[])
    assert any("fixing the rain gauge overcount" in f for f in card.facts)


def test_secrets_in_a_status_section_stay_off_the_card(tmp_path, home):
    (tmp_path / "README.md").write_text(
        "# S\n\n## Status\n\nDeploys are green.\nThe staging password is hunter2-Secr3t-Value\n"
        "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789\n")
    card = build_card(tmp_path, history_files=[])
    status = next(x for x in card.sections if x.startswith("Status:"))
    assert "Deploys are green." in status
    assert "hunter2" not in card.text and "ghp_" not in card.text


def test_notes_that_say_what_is_happening_now_lead_the_card(tmp_path, home):
    (tmp_path / "README.md").write_text("# Lighthouse\n\nA weather-station dashboard.\n\n## Goals\n\n"
                                        "- The first public release is planned for Friday.\n")
    (tmp_path / "NOTES.md").write_text("# Working notes\n\n- Right now: fixing the rain gauge, which reports double.\n"
                                       "- Next: a dark mode.\n- Decided: charts are plain SVG.\n")
    card = build_card(tmp_path, history_files=[])
    assert card.right_now[0] == "Right now: fixing the rain gauge, which reports double."
    assert "right now fixing the rain gauge" in card.vibe
    assert card.sections == ["Goals: The first public release is planned for Friday."]
    assert any("charts are plain SVG" in f for f in card.facts)


def test_the_vibe_names_the_area_and_the_latest_commit_of_the_owner(tmp_path, home):
    repo = _repo(tmp_path / "ledger", {"README.md": "# Ledgerline\n\nPayments backend.\n"},
                 [("2026-01-05T10:00:00", "Priya Raman", "Refunds: move refunds to v2"),
                  ("2026-02-20T10:00:00", "Priya Raman", "Settlement: group payments per currency"),
                  ("2026-02-25T10:00:00", "Priya Raman", "Settlement: round GBP batches half-even"),
                  ("2026-02-26T10:00:00", "Wei Zhang", "FX: hourly rate cache")])
    card = build_card(repo, history_files=[], subject="Priya Raman")
    assert card.vibe == ("Priya Raman is working on Ledgerline, lately mostly on settlement; "
                         "latest: round GBP batches half-even.")
