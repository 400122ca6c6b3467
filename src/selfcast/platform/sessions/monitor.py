"""A background thread that ends sessions whose worker died (see ``SessionRegistry.reap``)."""

from __future__ import annotations

import logging
import threading

from selfcast.platform.sessions.executor import Executor
from selfcast.platform.sessions.registry import SessionRegistry

log = logging.getLogger("selfcast.platform.monitor")


class SessionMonitor:
    def __init__(self, registry: SessionRegistry, executor: Executor, *, interval_s: float = 1.0) -> None:
        self.registry = registry
        self.executor = executor
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self) -> list[str]:
        ended = self.registry.reap(self.executor.is_alive)
        for sid in ended:
            log.warning("session %s: worker gone; session ended and its hold released", sid)
        return ended

    def start(self) -> None:
        self.sweep()  # at start-up: sessions left behind by a previous server run
        self._thread = threading.Thread(target=self._loop, name="session-monitor", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep()
            except Exception:
                log.exception("session monitor sweep failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
