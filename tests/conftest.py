"""Shared fixtures: an isolated data dir per test and the public-domain media in ``testdata``."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfcast.settings import Settings
from tests import testdata


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SELFCAST_CONFIG", raising=False)
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def jfk_wav() -> Path:
    return testdata.jfk_wav()


@pytest.fixture(scope="session")
def librivox_dir() -> Path:
    return testdata.librivox_dir()


@pytest.fixture(scope="session")
def astronaut_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return testdata.astronaut_png(tmp_path_factory.mktemp("faces"))
