"""Runs the skill's script the way an agent does: a subprocess, a clean environment, JSON lines out."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKILL_DIR = REPO / "skills" / "pikastream-video-meeting"
SCRIPT = SKILL_DIR / "scripts" / "pikastreaming_videomeeting.py"
_OUR_ENV = ("PIKA_DEV_KEY", "PIKA_API_BASE_URL", "PIKA_VIDEO_API_BASE_URL", "SELFCAST_DEV_KEY", "SELFCAST_API_URL")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[dict]:
        """Every stdout line must be one JSON object (the contract's JSON Lines)."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _OUR_ENV and not k.startswith("SELFCAST_")}
    env.update(HOME=str(home), PIKA_POLL_INTERVAL_SEC="0.2", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    w = tmp_path / "workspace"
    w.mkdir()
    return w


@pytest.fixture
def run_skill(home: Path, workspace: Path) -> Callable[..., Run]:
    def run(*args: str, env: dict[str, str] | None = None, python: str = sys.executable,
            timeout: float = 60, cwd: Path | None = None) -> Run:
        proc = subprocess.run([python, str(SCRIPT), *args], env=clean_env(home, **(env or {})),
                              cwd=cwd or workspace, capture_output=True, text=True, timeout=timeout)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


class ConnectionCounter:
    """A listening socket that counts connections: proves a command made no network call."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.count += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def counter() -> Iterator[ConnectionCounter]:
    c = ConnectionCounter()
    yield c
    c.close()


@pytest.fixture(scope="session")
def speech_wav(librivox_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 25 s of one public-domain reader (five LibriVox clips joined): a real voice sample."""
    import wave

    out = tmp_path_factory.mktemp("voice") / "my voice.wav"
    clips = sorted(librivox_dir.glob("*.wav"))
    with wave.open(str(out), "wb") as dst:
        for i, clip in enumerate(clips):
            with wave.open(str(clip), "rb") as src:
                if i == 0:
                    dst.setparams(src.getparams())
                dst.writeframes(src.readframes(src.getnframes()))
    return out
