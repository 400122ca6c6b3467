"""Shared fixtures: an isolated data dir per test and the public-domain media in ``testdata``."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from selfcast.settings import Settings
from tests import testdata

# Models ship inside pip packages (setup installs them); a test that reaches for the Hugging Face
# hub fails at once instead of downloading. Subprocesses (workers, the CLI) inherit this.
os.environ["HF_HUB_OFFLINE"] = "1"


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


PG_URL = os.environ.get("SELFCAST_TEST_PG_URL", "").strip()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database created for this test run and dropped after it."""
    if not PG_URL:
        pytest.skip("SELFCAST_TEST_PG_URL is empty: PostgreSQL variants skipped (make test sets it)")
    name = f"selfcast_test_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
