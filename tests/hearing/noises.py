"""Sounds that are not speech, as a meeting's microphone picks them up: room tone, fan noise
(white and pink), music (a melody of decaying harmonic notes), a cough (a band-passed noise burst
with a sharp attack and a second, weaker expulsion), typing (impulse trains of short decaying
clicks), and the voiced sounds people make without saying anything (a cough's grunt, a hum).
16 kHz float32 mono, seeded: the same sound every run."""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, lfilter, sawtooth

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


def _formants(x: np.ndarray, formants: tuple[tuple[float, float], ...]) -> np.ndarray:
    """A source through parallel two-pole resonators (centre Hz, bandwidth Hz): a vocal tract."""
    y = np.zeros_like(x)
    for f, bw in formants:
        r = np.exp(-np.pi * bw / SR)
        y += lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / SR), r * r], x)
    return y


def _glottal(seconds: float, f0: float) -> np.ndarray:
    return sawtooth(2 * np.pi * f0 * np.arange(int(seconds * SR)) / SR)


def voiced_cough(peak: float = 0.6, seed: int = 5) -> np.ndarray:
    """0.5 s: the burst of ``cough`` plus the voiced grunt a real cough carries (110 Hz glottal
    pulses through an /a/-like tract, 120 ms in). Unlike the bare burst, this trips the VAD."""
    n = int(0.5 * SR)
    t = np.arange(n) / SR
    b, a = butter(2, [300 / (SR / 2), 4000 / (SR / 2)], "band")
    burst = lfilter(b, a, np.random.default_rng(seed).standard_normal(n)) * (t / 0.015) * np.exp(1 - t / 0.015)
    grunt = _formants(_glottal(0.5, 110), ((700, 110), (1220, 120), (2600, 160))) * np.exp(-(((t - 0.12) / 0.06) ** 2))
    x = burst + 0.8 * grunt
    return (x / np.abs(x).max() * peak).astype(np.float32)


def coughing_fit() -> np.ndarray:
    """Two voiced coughs 150 ms apart, the second weaker."""
    c = voiced_cough()
    return np.concatenate([c, np.zeros(int(0.15 * SR), np.float32), 0.8 * c])


def hum(seconds: float = 1.5, peak: float = 0.3) -> np.ndarray:
    """A closed-mouth "mmm": 140 Hz with a little vibrato through a nasal-ish tract."""
    t = np.arange(int(seconds * SR)) / SR
    f0 = 140 * (1 + 0.03 * np.sin(2 * np.pi * 5 * t))
    x = _formants(sawtooth(2 * np.pi * np.cumsum(f0) / SR), ((500, 80), (900, 90), (2500, 150)))
    x *= np.minimum(1, t / 0.05) * np.minimum(1, (seconds - t) / 0.05)
    return (x / np.abs(x).max() * peak).astype(np.float32)
