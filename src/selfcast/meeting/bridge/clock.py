"""The session media clock, and the page's clock measured against it rather than assumed.

Media time counts integer nanoseconds on Python's monotonic clock from the session's origin, so a
wall-clock step (NTP) never moves it. One reading of the wall clock taken together with the
monotonic one turns it into epoch time: the origin is given and reported as epoch seconds (a
rejoining session keeps its clock), and the page is sent epoch milliseconds.

The page stamps with its own clock (``performance.timeOrigin + performance.now()``), which need
not agree with ours. ``PageClock`` measures the difference over the control socket's ping/pong:
each round trip brackets the page's reading between our send and receive times; the sample with
the shortest round trip among the recent ones bounds the error by half that trip (well under a
millisecond on loopback). Incoming audio is stamped by ``SampleStamper`` from the page's integer
sample index, so consecutive chunks are exactly contiguous.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass

NS = 1_000_000_000


class MediaClock:
    """Seconds since the session origin on a monotonic clock, with an epoch mapping."""

    def __init__(self) -> None:
        self._mono_anchor = time.monotonic_ns()
        self._epoch_anchor = time.time_ns()  # the wall clock at _mono_anchor
        self._origin = self._mono_anchor  # monotonic ns of media time 0

    def now_ns(self) -> int:
        """Media time now, integer nanoseconds."""
        return time.monotonic_ns() - self._origin

    def media_time(self) -> float:
        return self.now_ns() / NS

    @property
    def origin_epoch(self) -> float:
        """Epoch seconds of media time 0."""
        return (self._epoch_anchor + self._origin - self._mono_anchor) / NS

    def set_origin_epoch(self, epoch_s: float) -> None:
        self._origin = self._mono_anchor + round(epoch_s * NS) - self._epoch_anchor

    def epoch_ns(self, media_s: float) -> int:
        """Epoch nanoseconds of a media time (on our clock)."""
        return self._epoch_anchor + self._origin - self._mono_anchor + round(media_s * NS)

    def now_epoch_ns(self) -> int:
        return self.epoch_ns(0.0) + self.now_ns()

    def media_of_epoch_ns(self, epoch_ns: int) -> float:
        return (epoch_ns - self.epoch_ns(0.0)) / NS


@dataclass(frozen=True, slots=True)
class ClockSample:
    rtt_ns: int
    offset_ns: int  # page clock - ours


class PageClock:
    """The page clock's offset from ours, from ping/pong round trips (see the module doc)."""

    def __init__(self, window: int = 30, max_pending: int = 64) -> None:
        self._samples: deque[ClockSample] = deque(maxlen=window)
        self._pending: dict[int, int] = {}  # ping id -> our epoch ns when sent
        self._ids = itertools.count(1)
        self._max_pending = max_pending

    def ping(self, sent_epoch_ns: int) -> int:
        """Record a ping sent now; returns its id (the page echoes it)."""
        if len(self._pending) >= self._max_pending:  # pongs that never came (a page gone)
            self._pending.pop(next(iter(self._pending)))
        pid = next(self._ids)
        self._pending[pid] = sent_epoch_ns
        return pid

    def pong(self, pid: int, page_epoch_ms: float, received_epoch_ns: int) -> ClockSample | None:
        """The page's answer to ping ``pid``: its clock reading, and when we received it."""
        sent = self._pending.pop(pid, None)
        if sent is None or received_epoch_ns < sent:
            return None
        mid = (sent + received_epoch_ns) // 2
        sample = ClockSample(received_epoch_ns - sent, round(page_epoch_ms * 1_000_000) - mid)
        self._samples.append(sample)
        return sample

    def reset(self) -> None:
        """A new page (navigation, reconnect): its clock may differ; measure afresh."""
        self._samples.clear()
        self._pending.clear()

    @property
    def best(self) -> ClockSample | None:
        return min(self._samples, key=lambda s: s.rtt_ns) if self._samples else None

    @property
    def offset_ns(self) -> int | None:
        b = self.best
        return None if b is None else b.offset_ns

    def to_page_ms(self, epoch_ns: int) -> float:
        """Our epoch time as the page's clock reads it (offset 0 until measured)."""
        return (epoch_ns + (self.offset_ns or 0)) / 1_000_000

    def from_page_ms(self, page_ms: float) -> int:
        """A page clock reading as our epoch nanoseconds."""
        return round(page_ms * 1_000_000) - (self.offset_ns or 0)


class SampleStamper:
    """Stamps incoming audio from the page's integer sample index: pts = anchor + index / rate.

    The anchor is the measured time of the first chunk; it moves only when the measured times
    and the sample count disagree by more than ``tolerance_s`` (a glitch in the page's audio),
    and never so that a chunk would start before the previous one ended.
    """

    def __init__(self, tolerance_s: float = 0.04) -> None:
        self.tolerance_s = tolerance_s
        self._rate = 0
        self._anchor_index = 0
        self._anchor_s = 0.0
        self._end: float | None = None
        self.reanchors = 0  # times an established anchor had to move

    def stamp(self, index: int, rate: int, measured_s: float, samples: int) -> float:
        pts = self._anchor_s + (index - self._anchor_index) / rate if rate == self._rate else None
        if pts is None or abs(pts - measured_s) > self.tolerance_s:
            if pts is not None:
                self.reanchors += 1
            pts = measured_s if self._end is None else max(measured_s, self._end)
            self._rate, self._anchor_index, self._anchor_s = rate, index, pts
        self._end = pts + samples / rate
        return pts

    def reset(self) -> None:
        self._rate = 0
        self._end = None
