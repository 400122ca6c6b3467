"""Sign-in throttling: failures are counted per key in a sliding window; past the limit every
attempt with that key (even a right password) waits until the oldest failure ages out. Per app, in
memory: a restart forgets, which is fine for slowing down guessing.

Keys are sources, never a bare account: failures from one address throttle that address (and that
address for that email), so a stranger who knows an email cannot lock its owner out from
elsewhere. An account as a whole is slowed only when failures on it come from many distinct
addresses in one window (``SourceSpread``), the shape of a distributed guess."""

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


class SourceSpread:
    """Counts the distinct sources that failed on a key (an account) in a sliding window.

    One source failing a thousand times counts once, so a single stranger cannot lock an account;
    ``max_sources`` distinct sources in a window do (0 turns the per-account lock off)."""

    def __init__(
        self, max_sources: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_sources = max(0, max_sources)
        self.window_s = window_s
        self._clock = clock
        self._seen: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> dict[str, float]:
        seen = self._seen.get(key, {})
        for source in [s for s, t in seen.items() if now - t >= self.window_s]:
            del seen[source]
        if not seen:
            self._seen.pop(key, None)
        return seen

    def failed(self, key: str, source: str) -> None:
        if not self.max_sources:
            return
        now = self._clock()
        with self._lock:
            self._recent(key, now)
            self._seen.setdefault(key, {})[source] = now
            if len(self._seen) > 100_000:  # bound memory under a spray of emails
                self._seen.pop(next(iter(self._seen)))

    def retry_after(self, key: str) -> float:
        if not self.max_sources:
            return 0.0
        now = self._clock()
        with self._lock:
            seen = self._recent(key, now)
            if len(seen) < self.max_sources:
                return 0.0
            times = sorted(seen.values())
            return self.window_s - (now - times[-self.max_sources])
