"""Idle life and speech -> pose: blinks, saccades, breathing, head sway, listening nods.

Every behaviour is a function of time drawn from schedules seeded once, so the same seed gives
the same face for the same audio, frames can be asked for in any order, and the pose at time t
never depends on how often it was asked for before.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from selfcast.avatar.pose import Pose
from selfcast.avatar.visemes import MouthShape

BLINK_MEAN_GAP_S = 3.6  # about 16-17 blinks a minute
BLINK_MIN_GAP_S = 1.2
BLINK_MAX_GAP_S = 9.0


@dataclass(frozen=True, slots=True)
class Blink:
    start: float
    close: float  # seconds to close
    hold: float
    open: float  # seconds to reopen

    @property
    def end(self) -> float:
        return self.start + self.close + self.hold + self.open

    def amount(self, t: float) -> float:
        dt = t - self.start
        if dt < 0 or t > self.end:
            return 0.0
        if dt < self.close:
            x = dt / self.close
            return x * x * (3 - 2 * x)
        dt -= self.close
        if dt < self.hold:
            return 1.0
        x = 1 - (dt - self.hold) / self.open
        return x * x * (3 - 2 * x)


class _Schedule:
    """A lazily extended, seeded sequence of events ordered in time."""

    def __init__(self, rng: np.random.Generator, make) -> None:
        self._rng = rng
        self._make = make
        self.events: list = []
        self._next = 0.0

    def upto(self, t: float) -> list:
        while self._next <= t + 1.0:
            evs, self._next = self._make(self._rng, self._next)
            self.events.extend(evs)
        return self.events

    def near(self, t: float, before: float, after: float) -> list:
        """Events starting within [t - before, t + after]."""
        evs = self.upto(t + after)
        lo = bisect.bisect_left(evs, t - before, key=_start)
        hi = bisect.bisect_right(evs, t + after, key=_start)
        return evs[lo:hi]


def _start(e) -> float:
    return e[0] if isinstance(e, tuple) else e.start


def _make_blinks(rng: np.random.Generator, t: float):
    gap = float(np.clip(rng.gamma(4.0, BLINK_MEAN_GAP_S / 4.0), BLINK_MIN_GAP_S, BLINK_MAX_GAP_S))
    start = t + gap
    evs = [Blink(start, float(rng.uniform(0.07, 0.095)), float(rng.uniform(0.02, 0.06)), float(rng.uniform(0.11, 0.16)))]
    if rng.random() < 0.1:  # an occasional double blink
        evs.append(Blink(evs[0].end + 0.12, 0.075, 0.02, 0.12))
    return evs, evs[-1].end


def _make_saccades(rng: np.random.Generator, t: float):
    start = t + float(rng.uniform(0.6, 3.0))
    if rng.random() < 0.55:
        gx, gy = float(rng.normal(0, 0.12)), float(rng.normal(0, 0.08))
    else:
        gx, gy = float(rng.uniform(-0.6, 0.6)), float(rng.uniform(-0.35, 0.3))
    return [(start, gx, gy)], start


def _make_nods(rng: np.random.Generator, t: float):
    start = t + float(rng.uniform(2.5, 7.0))
    depth = float(rng.uniform(0.025, 0.05))
    double = rng.random() < 0.35
    return [(start, depth, double)], start + 1.4


class Motion:
    """Turns (time, mouth shape, listening) into a Pose. Deterministic under ``seed``."""

    def __init__(self, seed: int = 0) -> None:
        root = np.random.default_rng(seed)
        self.blinks = _Schedule(np.random.default_rng(root.integers(1 << 62)), _make_blinks)
        self.saccades = _Schedule(np.random.default_rng(root.integers(1 << 62)), _make_saccades)
        self.nods = _Schedule(np.random.default_rng(root.integers(1 << 62)), _make_nods)
        r = np.random.default_rng(root.integers(1 << 62))
        # head sway: sums of slow sines with seeded frequencies and phases (no repeating loop)
        self._sway = [(r.uniform(0.05, 0.31, 3), r.uniform(0, 2 * math.pi, 3)) for _ in range(5)]
        self._breath_period = float(r.uniform(3.6, 4.6))
        self._listening: list[tuple[float, float]] = []  # [start, end) intervals

    # -- listening ---------------------------------------------------------------------------

    def set_listening(self, on: bool, t: float) -> None:
        if on and (not self._listening or self._listening[-1][1] < math.inf):
            self._listening.append((t, math.inf))
        elif not on and self._listening and self._listening[-1][1] == math.inf:
            self._listening[-1] = (self._listening[-1][0], t)

    def listening(self, t: float) -> bool:
        return any(s <= t < e for s, e in self._listening[-8:])

    # -- pose --------------------------------------------------------------------------------

    def blink_amount(self, t: float) -> float:
        return max((b.amount(t) for b in self.blinks.near(t, 0.6, 0.0)), default=0.0)

    def _noise(self, k: int, t: float) -> float:
        f, ph = self._sway[k]
        return float(np.sum(np.sin(2 * math.pi * f * t + ph))) / 3.0

    def _gaze(self, t: float) -> tuple[float, float]:
        evs = self.saccades.near(t, 6.0, 0.0)
        if not evs:
            return 0.0, 0.0
        gx, gy = evs[-1][1], evs[-1][2]
        dt = t - evs[-1][0]
        if dt < 0.05 and len(evs) > 1:  # a saccade takes about 40-50 ms
            a = dt / 0.05
            gx = evs[-2][1] * (1 - a) + gx * a
            gy = evs[-2][2] * (1 - a) + gy * a
        return gx, gy

    def _nod(self, t: float) -> float:
        out = 0.0
        for start, depth, double in self.nods.near(t, 1.5, 0.0):
            if not self.listening(start):
                continue
            dt = t - start
            for k in range(2 if double else 1):
                x = (dt - k * 0.55) / 0.55
                if 0 <= x <= 1:
                    out += depth * (1.0 if k == 0 else 0.6) * math.sin(math.pi * x) ** 2
        return out

    def pose_at(self, t: float, mouth: MouthShape) -> Pose:
        lvl = mouth.level
        blink = self.blink_amount(t)
        gx, gy = self._gaze(t)
        if lvl > 0.05:  # a speaker looks at the audience more
            gx, gy = gx * 0.6, gy * 0.6
        breath = math.sin(2 * math.pi * t / self._breath_period)
        yaw = 0.018 * self._noise(0, t) + 0.01 * lvl * self._noise(3, 1.7 * t)
        pitch = 0.012 * self._noise(1, t) + 0.012 * lvl + self._nod(t) - 0.003 * breath
        roll = 0.01 * self._noise(2, t)
        return Pose(
            jaw=mouth.jaw, spread=mouth.spread, round=mouth.round, press=mouth.press,
            smile=0.0, blink_a=blink, blink_b=blink,
            brow=0.35 * max(0.0, lvl - 0.45) + 0.08 * self._noise(4, 0.7 * t),
            gaze_x=gx, gaze_y=gy + 0.25 * blink,
            yaw=yaw, pitch=pitch, roll=roll,
            tx=0.002 * self._noise(3, t), ty=-0.0025 * breath,
        )
