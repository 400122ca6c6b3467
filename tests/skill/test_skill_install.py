"""`selfcast skill install` puts the skill where each agent looks, and the wheel carries it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from selfcast.cli.main import main
from selfcast.cli.skill import Agent, bundled_skill_dir, default_skills_root, install_skill
from tests.skill.conftest import REPO, SKILL_DIR, clean_env


@pytest.fixture
def fake_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def test_the_bundled_skill_is_the_source_tree_copy_in_a_checkout() -> None:
    assert bundled_skill_dir() == SKILL_DIR


@pytest.mark.parametrize(("agent", "where"), [("claude", ".claude/skills"), ("openclaw", ".openclaw/skills"),
                                              ("codex", ".agents/skills")])
def test_install_puts_the_skill_where_each_agent_looks(fake_home: Path, agent: str, where: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skill", "install", "--agent", agent]) == 0
    dest = fake_home / where / "pikastream-video-meeting"
    assert (dest / "SKILL.md").read_bytes() == (SKILL_DIR / "SKILL.md").read_bytes()
    script = dest / "scripts" / "pikastreaming_videomeeting.py"
    assert os.access(script, os.X_OK)
    assert (dest / "assets" / "placeholder-avatar.jpg").stat().st_size > 10_000
    assert f"installed: {dest}" in capsys.readouterr().out
    assert [p.name for p in dest.parent.iterdir()] == ["pikastream-video-meeting"]  # no staging left behind


def test_openclaw_workspace_and_explicit_dest(fake_home: Path, tmp_path: Path) -> None:
    assert default_skills_root(Agent.openclaw, tmp_path / "ws") == tmp_path / "ws" / "skills"
    assert main(["skill", "install", "--agent", "openclaw", "--workspace", str(tmp_path / "ws")]) == 0
    assert (tmp_path / "ws" / "skills" / "pikastream-video-meeting" / "SKILL.md").is_file()
    assert main(["skill", "install", "--dest", str(tmp_path / "proj" / ".claude" / "skills")]) == 0
    assert (tmp_path / "proj" / ".claude" / "skills" / "pikastream-video-meeting" / "SKILL.md").is_file()


def test_reinstall_is_a_no_op_and_local_edits_need_force(fake_home: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "skills"
    assert install_skill(root).changed
    assert not install_skill(root).changed
    edited = root / "pikastream-video-meeting" / "SKILL.md"
    edited.write_text(edited.read_text() + "\nmy own note\n")
    assert main(["skill", "install", "--dest", str(root)]) == 3
    assert "pass --force" in capsys.readouterr().err
    assert edited.read_text().endswith("my own note\n")  # untouched
    assert main(["skill", "install", "--dest", str(root), "--force"]) == 0
    assert edited.read_bytes() == (SKILL_DIR / "SKILL.md").read_bytes()


def test_a_file_where_the_skills_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "skills").write_text("oops")
    assert main(["skill", "install", "--dest", str(tmp_path / "skills")]) == 2


def test_the_installed_copy_runs_from_any_directory(fake_home: Path, tmp_path: Path) -> None:
    install_skill(tmp_path / "skills")
    script = tmp_path / "skills" / "pikastream-video-meeting" / "scripts" / "pikastreaming_videomeeting.py"
    # the default image is found relative to the script itself: validation passes it and stops at the key
    out = subprocess.run([sys.executable, str(script), "join", "--meet-url", "https://meet.google.com/a-b-c",
                          "--bot-name", "X"], env=clean_env(fake_home, PIKA_API_BASE_URL="http://127.0.0.1:9"),
                         cwd="/", capture_output=True, text=True, timeout=60)
    assert out.returncode == 6 and '"no_devkey"' in out.stdout


@pytest.mark.slow
def test_the_wheel_ships_the_skill_as_data_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "pyproject.toml", "README.md", "src", "skills"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    for rel in tracked:
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("selfcast-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    prefix = next(n for n in names if n.endswith(".data/data/share/selfcast/skills/pikastream-video-meeting/SKILL.md"))
    base = prefix[: -len("SKILL.md")]
    for rel in ("SKILL.md", "requirements.txt", "scripts/pikastreaming_videomeeting.py", "assets/placeholder-avatar.jpg"):
        assert base + rel in names
        assert zipfile.ZipFile(wheel).read(base + rel) == (SKILL_DIR / rel).read_bytes()
    assert "selfcast/cli/skill.py" in names


def test_skill_path_prints_the_bundled_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["skill", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(SKILL_DIR)
