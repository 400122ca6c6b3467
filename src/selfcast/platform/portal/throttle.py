"""Sign-in throttling: failures are counted per key (an email, a client address) in a sliding
window; past the limit every attempt (even a right password) waits until the oldest failure ages
out. Per app, in memory: a restart forgets, which is fine for slowing down guessing."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable


class SignInThrottle:
    def __init__(
        self, max_failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max(1, max_failures)
        self.window_s = window_s
        self._clock = clock
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            return deque()
        while q and now - q[0] >= self.window_s:
            q.popleft()
        if not q:
            del self._fails[key]
        return q

    def retry_after(self, keys: Iterable[str]) -> float:
        """Seconds to wait before trying again (0 when allowed)."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window_s - (now - q[-self.max_failures]))
        return wait

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now)
                self._fails.setdefault(key, deque()).append(now)
                if len(self._fails) > 100_000:  # bound memory under a spray of addresses
                    self._fails.pop(next(iter(self._fails)))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)
