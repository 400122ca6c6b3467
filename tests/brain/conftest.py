from __future__ import annotations

from pathlib import Path

import pytest

from selfcast.brain.workspace import ReferenceCard, build_card
from tests.brain.fixture import build_workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return build_workspace(tmp_path_factory.mktemp("ws"))


@pytest.fixture(scope="module")
def card(workspace: dict) -> ReferenceCard:
    return build_card(workspace["repo"], extra_logs=[workspace["log"]], history_files=[workspace["history"]])


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME so the owner's real shell history never enters a test."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("HISTFILE", raising=False)
    return tmp_path
