"""Runs a real ``LiveSession`` on fakes and waits for what a test expects to see."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from selfcast.live.engines import Engines
from selfcast.live.session import LiveSession
from selfcast.settings import Settings
from tests.live import fakes


class SessionRun:
    def __init__(self, tmp_path: Path, *, ports: Sequence[fakes.FakeMeeting] | None = None,
                 eng: Engines | None = None, spec_kw: dict[str, Any] | None = None, **live: Any) -> None:
        self.reporter = fakes.MemoryReporter()
        self.ports = list(ports) if ports is not None else [fakes.FakeMeeting()]
        self.made: list[fakes.FakeMeeting] = []
        self.settings: Settings = fakes.fast_settings(tmp_path / "data", **live)
        self.engines = eng or fakes.engines()
        self.session = LiveSession(fakes.spec(**(spec_kw or {})), self.reporter, self.settings,
                                   engines=self.engines, make_port=self._make)
        self.task: asyncio.Task[None] | None = None

    def _make(self, spec: object, settings: object) -> fakes.FakeMeeting:
        port = self.ports.pop(0)
        self.made.append(port)
        return port

    @property
    def port(self) -> fakes.FakeMeeting:
        return self.made[-1]

    @property
    def hearing(self) -> fakes.ScriptedHearing:
        assert isinstance(self.engines.hearing, fakes.ScriptedHearing)
        return self.engines.hearing

    @property
    def brain(self) -> fakes.CannedBrain:
        assert isinstance(self.engines.brain, fakes.CannedBrain)
        return self.engines.brain

    def bot_lines(self) -> list[str]:
        return [ln.text for ln in self.reporter.lines if ln.bot]

    async def __aenter__(self) -> SessionRun:
        self.task = asyncio.create_task(self.session.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None and not self.task.done():
            self.reporter.cancelled.set()
            await asyncio.wait_for(asyncio.shield(self.task), 15)

    async def until(self, what: Callable[[], object], timeout_s: float = 5.0, why: str = "") -> None:
        deadline = time.monotonic() + timeout_s
        while not what():
            if self.task is not None and self.task.done():
                self.task.result()  # a session that died says why
                raise AssertionError(f"session ended before: {why} (events {self.reporter.kinds()})")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for: {why} (events {self.reporter.kinds()}, "
                                     f"states {self.reporter.states})")
            await asyncio.sleep(0.01)

    async def ready(self) -> None:
        await self.until(lambda: "ready" in self.reporter.states, why="ready")
        await self.until(lambda: "media_flowing" in self.reporter.kinds(), why="media_flowing")

    async def ended(self, timeout_s: float = 10.0) -> None:
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), timeout_s)

    def said_after(self, t: float) -> float:
        return self.port.spoken_s(after=t)
