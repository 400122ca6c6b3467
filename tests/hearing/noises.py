"""Sounds that are not speech, as a meeting's microphone picks them up: room tone, fan noise
(white and pink), music (a melody of decaying harmonic notes), a cough (a band-passed noise burst
with a sharp attack and a second, weaker expulsion) and typing (impulse trains of short decaying
clicks). 16 kHz float32 mono, seeded: the same sound every run."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, lfilter

from tests.hearing.speech import SR


def white(seconds: float, amp: float = 0.05, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * amp).astype(np.float32)


def pink(seconds: float, peak: float = 0.2, seed: int = 2) -> np.ndarray:
    """1/f noise (a fan, an air conditioner)."""
    n = int(seconds * SR)
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.arange(spec.size, dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return (x / np.abs(x).max() * peak).astype(np.float32)


def music(seconds: float, peak: float = 0.3) -> np.ndarray:
    """A plucked melody: quarter-second notes with two overtones, each decaying."""
    out = np.zeros(int(seconds * SR), np.float64)
    note = int(0.25 * SR)
    tt = np.arange(note) / SR
    melody = [262, 330, 392, 523, 440, 349, 294, 392]
    for k, i in enumerate(range(0, out.size, note)):
        f = melody[k % len(melody)]
        tone = (np.sin(2 * np.pi * f * tt) + 0.5 * np.sin(4 * np.pi * f * tt)
                + 0.25 * np.sin(6 * np.pi * f * tt)) * np.exp(-4 * tt)
        out[i:i + note] = tone[: out.size - i]
    return (out / np.abs(out).max() * peak).astype(np.float32)


def cough(peak: float = 0.5, seed: int = 3) -> np.ndarray:
    """0.45 s: a burst of 300-3000 Hz noise, 20 ms attack, a second weaker expulsion at 180 ms."""
    n = int(0.45 * SR)
    t = np.arange(n) / SR
    b, a = butter(2, [300 / (SR / 2), 3000 / (SR / 2)], "band")
    x = lfilter(b, a, np.random.default_rng(seed).standard_normal(n))
    env = (t / 0.02) * np.exp(1 - t / 0.02) + 0.6 * np.exp(-(((t - 0.18) / 0.05) ** 2))
    x = x * env
    return (x / np.abs(x).max() * peak).astype(np.float32)


def typing(seconds: float, peak: float = 0.4, seed: int = 4) -> np.ndarray:
    """Key clicks 80-250 ms apart, each a 12 ms decaying noise impulse."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n, np.float64)
    click = 200
    for p in (np.cumsum(rng.uniform(0.08, 0.25, size=int(seconds * 13))) * SR).astype(int):
        if p + click < n:
            out[p:p + click] += rng.standard_normal(click) * np.exp(-np.arange(click) / 30)
    return (out / max(1e-9, np.abs(out).max()) * peak).astype(np.float32)
