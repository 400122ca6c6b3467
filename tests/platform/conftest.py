"""Platform fixtures: a migrated store per test on SQLite and, when SELFCAST_TEST_PG_URL is set,
on PostgreSQL (a fresh database per run, a fresh schema per test)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from selfcast.platform.store import Store
from selfcast.settings import Settings


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'selfcast.db'}"
    base = request.getfixturevalue("pg_database")
    schema = f"t_{secrets.token_hex(4)}"
    eng = create_engine(base)
    with eng.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    return (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.dispose()


@pytest.fixture
def psettings(settings: Settings, db_url: str) -> Settings:
    """Settings pointing at the parametrised database."""
    return settings.model_copy(update={"database_url": db_url})


from tests.platform.helpers import LiveServer, scripted_executor, start_server, stop_server  # noqa: E402


@pytest.fixture
def live_server(psettings: Settings) -> Iterator[LiveServer]:
    """uvicorn on 127.0.0.1:<free port> with workers running the scripted session runner."""
    settings = psettings.model_copy(update={"host": "127.0.0.1"})
    live = start_server(
        settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0
    )
    yield live
    stop_server(live)


@pytest.fixture
def browserless_server(settings: Settings) -> Iterator[LiveServer]:
    """uvicorn on a machine whose configured Chromium is missing: no meeting can be joined."""
    from selfcast.platform.sessions.executor import LocalExecutor

    settings = settings.model_copy(update={"meeting": settings.meeting.model_copy(
        update={"chromium_path": "/nonexistent/chromium"})})
    live = start_server(settings, executor=LocalExecutor(settings))
    yield live
    stop_server(live)


@pytest.fixture
def sqlite_server(settings: Settings) -> Iterator[LiveServer]:
    """Like ``live_server`` but on SQLite only, for checks the database does not change."""
    settings = settings.model_copy(update={"host": "127.0.0.1"})
    live = start_server(
        settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0
    )
    yield live
    stop_server(live)
