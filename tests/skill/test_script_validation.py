"""Bad input is refused before any network call, with exit 2 (validation) or 1 (no key)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.skill.conftest import SCRIPT, ConnectionCounter

KEY = {"PIKA_DEV_KEY": "dk_" + "a" * 43}


def _join(*extra: str) -> list[str]:
    return ["join", "--meet-url", "https://meet.google.com/abc-defg-hij", "--bot-name", "Ada's AI", *extra]


@pytest.mark.parametrize(("args", "says"), [
    (["join", "--meet-url", "not a url", "--bot-name", "A"], "--meet-url must be an http(s) meeting link"),
    (["join", "--meet-url", "ftp://meet.google.com/x", "--bot-name", "A"], "--meet-url must be an http(s)"),
    (["join", "--meet-url", "https://example.com/call/7", "--bot-name", "A"], "pass --platform"),
    (_join("--image", "/nonexistent/face.png"), "--image not found: /nonexistent/face.png"),
    (_join("--system-prompt-file", "/nonexistent/card.md"), "system prompt file not found"),
    (_join("--bot-name", "   "), "--bot-name must not be empty"),
    (["clone-voice", "--audio", "/nonexistent/me.wav", "--name", "me"], "audio file not found"),
    (["generate-avatar", "--output", "."], "--output names a directory"),
])
def test_bad_input_exits_2_with_a_clear_message_and_no_network(run_skill, counter: ConnectionCounter,
                                                               args: list[str], says: str) -> None:
    r = run_skill(*args, env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2, r.stderr
    assert says in r.stderr
    assert r.stdout == ""
    assert counter.count == 0


@pytest.mark.parametrize(("flag", "value"), [("--timeout-sec", "0"), ("--timeout-sec", "-5"),
                                             ("--timeout-sec", "soon"), ("--max-duration-sec", "0"),
                                             ("--platform", "skype")])
def test_bad_numbers_and_choices_exit_2(run_skill, counter: ConnectionCounter, flag: str, value: str) -> None:
    r = run_skill(*_join(flag, value), env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2
    assert flag in r.stderr
    assert counter.count == 0


def test_a_text_file_posing_as_an_image_is_refused(run_skill, counter: ConnectionCounter, workspace: Path) -> None:
    (workspace / "face.jpg").write_text("this is not a photo")
    r = run_skill(*_join("--image", "face.jpg"), env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2 and "not a JPEG, PNG, GIF or WebP image" in r.stderr
    assert counter.count == 0


def test_an_empty_voice_name_is_refused(run_skill, counter: ConnectionCounter, speech_wav: Path) -> None:
    r = run_skill("clone-voice", "--audio", str(speech_wav), "--name", "!!!", env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2 and "--name needs at least one letter" in r.stderr
    r = run_skill("clone-voice", "--audio", str(speech_wav), "--name", "me", "--sample-rate", "1000",
                  env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2 and "--sample-rate must be between 8000 and 48000" in r.stderr
    assert counter.count == 0


@pytest.mark.parametrize("args", [["leave", "--session-id", "s1"], ["status", "--session-id", "s1"],
                                  ["notes", "--session-id", "s1"], ["generate-avatar", "--output", "a.png"]])
def test_no_key_exits_1_and_says_where_keys_come_from(run_skill, counter: ConnectionCounter, args: list[str]) -> None:
    r = run_skill(*args, env={"PIKA_API_BASE_URL": counter.url})
    assert r.code == 1
    assert "PIKA_DEV_KEY" in r.stderr and "~/.pika/devkey" in r.stderr
    assert counter.count == 0


def test_join_without_a_key_prints_the_no_devkey_line_and_exits_6(run_skill, counter: ConnectionCounter) -> None:
    r = run_skill(*_join(), env={"PIKA_API_BASE_URL": counter.url})
    assert r.code == 6
    (line,) = r.lines
    assert line["status"] == "no_devkey"
    assert line["signup_url"].startswith(counter.url)
    assert "PIKA_DEV_KEY" in line["message"]
    assert counter.count == 0


def test_the_key_file_in_home_is_used(run_skill, home: Path, counter: ConnectionCounter) -> None:
    (home / ".pika").mkdir()
    (home / ".pika" / "devkey").write_text("dk_" + "b" * 43 + "\n")
    r = run_skill("leave", "--session-id", "s1", env={"PIKA_API_BASE_URL": counter.url})
    assert r.code == 3  # it got past the key check and reached the (silent) server
    assert counter.count >= 1
    assert "b" * 43 not in r.stderr  # the key never appears in diagnostics


def test_an_unreachable_server_is_exit_3_naming_the_url(run_skill, counter: ConnectionCounter) -> None:
    url = counter.url
    counter.close()  # nothing listens there any more
    r = run_skill("status", "--session-id", "s1", env={**KEY, "PIKA_API_BASE_URL": url})
    assert r.code == 3
    assert url in r.stderr and "PIKA_API_BASE_URL" in r.stderr
    assert KEY["PIKA_DEV_KEY"] not in r.stderr


def test_help_lists_every_subcommand(run_skill) -> None:
    r = run_skill("--help")
    assert r.code == 0
    for cmd in ("join", "leave", "status", "notes", "generate-avatar", "clone-voice"):
        assert cmd in r.stdout
    r = run_skill("join", "--help")
    for flag in ("--meet-url", "--platform", "--bot-name", "--voice-id", "--meeting-password", "--system-prompt",
                 "--system-prompt-file", "--image", "--timeout-sec", "--monitor", "--max-duration-sec",
                 "--no-wait-for-payment"):
        assert flag in r.stdout
    assert "--sample-rate" in run_skill("clone-voice", "--help").stdout
    assert "--style" in run_skill("generate-avatar", "--help").stdout


def _python39() -> str | None:
    """SELFCAST_TEST_PY39 names one (e.g. a venv with requests); else python3.9 on PATH or pyenv's."""
    for cand in (os.environ.get("SELFCAST_TEST_PY39"), shutil.which("python3.9"),
                 "/root/.pyenv/versions/3.9.18/bin/python3.9"):
        if cand and Path(cand).exists():
            try:
                out = subprocess.run([cand, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                                     text=True, timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                continue
            if out.returncode == 0 and "(3, 9)" in out.stdout:
                return cand
    return None


def test_the_script_runs_on_python_3_9(run_skill, counter: ConnectionCounter) -> None:
    py39 = _python39()
    if py39 is None:
        pytest.skip("no Python 3.9 interpreter on this machine")
    subprocess.run([py39, "-m", "py_compile", str(SCRIPT)], check=True)
    r = run_skill("join", "--help", python=py39)
    assert r.code == 0 and "--meet-url" in r.stdout
    r = run_skill(*_join("--image", "/nonexistent.png"), python=py39, env={**KEY, "PIKA_API_BASE_URL": counter.url})
    assert r.code == 2 and "--image not found" in r.stderr
    if subprocess.run([py39, "-c", "import requests"], capture_output=True).returncode != 0:
        return  # no requests for 3.9 here: the network paths are covered on the main interpreter
    from tests.skill.standin import PikaStandin

    with PikaStandin() as s:
        r = run_skill(*_join(), python=py39, env={**KEY, "PIKA_API_BASE_URL": s.url})
        assert r.code == 0, r.stderr
        assert r.lines[-1]["status"] == "ready"
        r = run_skill("generate-avatar", "--output", "a.png", python=py39, env={**KEY, "PIKA_API_BASE_URL": s.url})
        assert r.code == 0, r.stderr
