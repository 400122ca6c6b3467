"""``run_session``: the entry point the worker process calls (see
``selfcast.platform.sessions.protocol``). One event loop per session, in the worker's main thread."""

from __future__ import annotations

import asyncio
import logging

from selfcast.live.session import LiveSession
from selfcast.settings import Settings

log = logging.getLogger(__name__)


def run_session(spec, reporter, settings: Settings) -> None:
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(LiveSession(spec, reporter, settings).run())
