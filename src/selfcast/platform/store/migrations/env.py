"""Alembic environment: runs on the connection ``Store.upgrade`` hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from selfcast.platform.store.models import Base

target_metadata = Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("selfcast migrations run through selfcast.platform.store.Store.upgrade()")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
