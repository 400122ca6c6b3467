"""The database: one ``Store`` per process, migrations applied on open.

SQLite (WAL) is the embedded default. Writers there take the lock up front (``BEGIN IMMEDIATE``)
so two concurrent read-then-write transactions never deadlock into "database is locked"; readers
use a separate engine with plain deferred transactions and never wait in WAL mode. On PostgreSQL
the two engines are one and ledger writers lock the account row (``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from selfcast.datadir import create_private_file
from selfcast.errors import Unavailable
from selfcast.platform.diskspace import disk_full, is_disk_full
from selfcast.platform.store import models

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS_DIR", "Store", "models"]


def _sqlite_engine(url: str, begin_sql: str) -> Engine:
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=16, max_overflow=16
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(begin_sql)

    return engine


def _db_full(exc: OperationalError) -> bool:
    """SQLite's SQLITE_FULL / an OS no-space error, or PostgreSQL's disk_full (SQLSTATE 53100)."""
    orig = exc.orig
    if isinstance(orig, OSError) and is_disk_full(orig):
        return True
    if getattr(orig, "sqlstate", None) == "53100" or getattr(orig, "pgcode", None) == "53100":
        return True
    return "disk is full" in str(orig).lower() or "no space left" in str(orig).lower()


class Store:
    """Engines and session factories for one database URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                create_private_file(Path(path))  # 0600 before SQLite creates it 0644
            self.engine = _sqlite_engine(url, "BEGIN")
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE")
        else:
            self.engine = create_engine(url, pool_size=16, max_overflow=16, pool_recycle=1800)  # no pre-ping: it doubles the round trips of the status poll
            self.write_engine = self.engine
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        store = cls(url)
        if migrate:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        """Apply Alembic migrations shipped inside the package up to head."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self.write_engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except Exception as exc:
            if type(exc).__module__.startswith(("sqlalchemy", "psycopg", "sqlite3")):
                raise Unavailable(
                    f"cannot open the database {self.safe_url}: {exc.__class__.__name__}: {exc}. "
                    "Check SELFCAST_DATABASE_URL (or the data dir permissions)."
                ) from exc
            raise

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._read() as db, db.begin():
            yield db

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on any exception; a full disk is
        ``DiskFull`` (507) naming the database, not an opaque 500."""
        try:
            with self._write() as db, db.begin():
                yield db
        except OperationalError as exc:
            if _db_full(exc):
                raise disk_full(self.safe_url) from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()
