"""The bot's Chromium is given an explicit, minimal environment: none of the worker's secrets
reach the browser or any process it starts (issue 14, item 7)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from selfcast.meeting.browser import BrowserSession, LaunchOptions, browser_env
from selfcast.settings import MeetingSettings
from tests.meeting.conftest import CHROMIUM

SECRETS = {
    "SELFCAST_WORKER_SETTINGS": '{"brain": {"key": "sk-proj-browserLeakProbe0123456789"}}',
    "OPENAI_API_KEY": "sk-proj-browserEnvProbe0123456789ab",
    "SELFCAST_SECRET_KEY": "browser-env-signing-probe-4471",
    "AWS_SECRET_ACCESS_KEY": "browser-env-aws-probe-99812",
}


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def test_browser_env_is_an_allow_list() -> None:
    env = browser_env({"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "DISPLAY": ":9", **SECRETS})
    assert env == {"PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "DISPLAY": ":9"}


@pytest.mark.e2e
def test_no_worker_secret_reaches_chromium_or_its_children(monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)

    async def run() -> list[bytes]:
        session = BrowserSession(MeetingSettings(chromium_path=CHROMIUM), LaunchOptions(headless=True))
        await session.start()
        try:
            page = await session.context.new_page()
            await page.goto("about:blank")
            pid = session.pid
            assert pid is not None
            envs = []
            for p in _tree(pid):
                try:
                    envs.append(Path(f"/proc/{p}/environ").read_bytes())
                except OSError:
                    continue
            return envs
        finally:
            await session.close()

    envs = asyncio.run(run())
    assert envs, "no Chromium process was found"
    blob = b"\n".join(envs)
    assert [k for k, v in SECRETS.items() if v.encode() in blob or k.encode() + b"=" in blob] == []
    assert b"PATH=" in envs[0]
