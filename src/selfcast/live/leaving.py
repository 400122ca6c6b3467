"""Why and how the session leaves: one leave signal, the platform watch, the goodbye.

``LeavePolicy`` (``policy``) makes the pure decisions; this module feeds it the platform's
directives and the clock, and carries a decision to the session as a ``LeaveSignal``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from selfcast.live.policy import Leave, LeavePolicy, Warn
from selfcast.live.reporting import Reporting

WATCH_S = 0.2  # the platform's cancel flag and directive are read this often (memory, not the database)


class LeaveSignal:
    """The first reason to leave wins; the session waits on it."""

    def __init__(self) -> None:
        self.leave: Leave | None = None
        self._event = asyncio.Event()

    def request(self, leave: Leave) -> None:
        if self.leave is None:
            self.leave = leave
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    async def wait(self) -> Leave:
        await self._event.wait()
        assert self.leave is not None
        return self.leave

    def reset(self) -> None:
        """After a rejoin: the crash that set it is handled."""
        self.leave = None
        self._event.clear()


async def watch_platform(reporting: Reporting, policy: LeavePolicy, signal: LeaveSignal,
                         warn: Callable[[Warn, float], None]) -> None:
    """Leave requests, credits and the duration backstop, from the worker's latest heartbeat."""
    while True:
        d = reporting.directive()
        if reporting.cancelled or d.cancel:
            signal.request(policy.cancelled(d.reason if d.cancel else ""))
        else:
            warning = policy.low_balance(d.low_balance)
            if warning is not None:
                warn(warning, d.credits_left)
        leave = policy.tick(time.monotonic())
        if leave is not None:
            signal.request(leave)
        await asyncio.sleep(WATCH_S)
