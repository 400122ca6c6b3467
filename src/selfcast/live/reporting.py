"""The session's side of the worker contract, made safe for the event loop.

Every call into the platform's reporter touches the database, so it runs on a thread; events and
stored lines are best effort (a lost event must not end a meeting), state changes are not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from selfcast.live.contract import Command, Directive, SessionReporter
from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)


class Reporting:
    def __init__(self, reporter: SessionReporter) -> None:
        self.reporter = reporter
        self.state = "created"
        self.timings: dict[str, float] = {}  # seconds from the session's start to each state
        self._t0 = time.monotonic()
        self._lines: asyncio.Queue[TranscriptLine | None] | None = None
        self._writer: asyncio.Task[None] | None = None

    @property
    def cancelled(self) -> bool:
        return self.reporter.cancelled.is_set()

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    async def set_state(self, state: str, **flags: Any) -> None:
        if state == self.state and not flags:
            return
        self.state = state
        self.timings.setdefault(state, round(self.elapsed(), 3))
        await asyncio.to_thread(self.reporter.set_state, state, **flags)

    async def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        try:
            await asyncio.to_thread(self.reporter.event, kind, data or {})
        except Exception:
            log.warning("event %s not recorded", kind, exc_info=True)

    def store_line(self, line: TranscriptLine) -> None:
        """Queue a line; one writer stores them in spoken order, and ``close`` waits for the last."""
        if self._lines is None:
            self._lines = asyncio.Queue()
            self._writer = asyncio.create_task(self._write_lines(self._lines), name="transcript-writer")
        self._lines.put_nowait(line)

    async def _write_lines(self, q: asyncio.Queue[TranscriptLine | None]) -> None:
        done = False
        while not done:
            batch: list[TranscriptLine] = []
            item = await q.get()
            while True:
                if item is None:
                    done = True
                    break
                batch.append(item)
                if q.empty():
                    break
                item = q.get_nowait()
            if batch:
                try:
                    await asyncio.to_thread(self.reporter.store_transcript, batch)
                except Exception:
                    log.exception("%d transcript line(s) not stored", len(batch))

    async def close(self, timeout_s: float = 10.0) -> None:
        """Store every line still queued (the goodbye is said just before this)."""
        if self._lines is None or self._writer is None:
            return
        self._lines.put_nowait(None)
        try:
            await asyncio.wait_for(self._writer, timeout_s)
        except TimeoutError:
            log.error("transcript lines still unstored after %.0f s; dropped", timeout_s)

    async def store_notes(self, data: dict[str, Any], markdown: str) -> None:
        await asyncio.to_thread(self.reporter.store_notes, data, markdown)

    def directive(self) -> Directive:
        return self.reporter.directive()

    async def commands_after(self, seq: int) -> list[Command]:
        return await asyncio.to_thread(self.reporter.commands_after, seq)
