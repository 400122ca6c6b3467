"""``run_session``: the entry point the worker process calls (the contract is ``live.contract``).
One event loop per session, in the worker's main thread."""

from __future__ import annotations

import asyncio

from selfcast.live.contract import SessionReporter, SessionSpec
from selfcast.live.session import LiveSession
from selfcast.settings import Settings


def run_session(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None:
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(LiveSession(spec, reporter, settings).run())
