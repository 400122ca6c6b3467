"""Speech -> mouth shapes: audio features every 10 ms, refined by phoneme timings when given.

The mouth follows a compressed loudness envelope (how far the jaw opens), and the spectrum says
which shape: energy high in the 1.8-3.2 kHz band relative to 300-900 Hz means a front vowel
(spread lips, i/e); energy piled low with a weak second formant means a back rounded vowel
(o/u); hiss above 4 kHz means a fricative (teeth near closed). Phoneme timings, when the speech
engine provides them, override the shape and force full closure for m/b/p. Everything is kept
per 10 ms with its session time, so a frame for time t can look a few tens of ms ahead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

HOP_S = 0.010
WIN_S = 0.032
LOOKAHEAD_S = 0.0  # measured: a look-ahead shows at receivers as the mouth moving before the sound
SMOOTH_S = 0.035  # half-width of the triangular smoothing kernel
PHONEME_LEAD_S = 0.015
CUT_FADE_S = 0.15
KEEP_S = 8.0  # how much past speech is kept for queries
FLOOR_HOPS = 200
WARMUP_HOPS = 50
PEAK_HOPS = 300

BILABIAL = {"m", "b", "p"}
LABIODENTAL = {"f", "v"}
ROUNDED = {"o", "u", "w", "ʊ", "ɔ", "oʊ", "uː", "ɒ", "əʊ", "ʊə", "ow", "uw", "ao", "oy", "ɔɪ", "ɔː"}
SPREAD = {"i", "iː", "ɪ", "e", "eɪ", "ɛ", "æ", "iy", "ih", "eh", "ey", "ae", "j", "y"}
OPEN = {"a", "ɑ", "ɑː", "ʌ", "aɪ", "aʊ", "aa", "ah", "ay", "aw", "ɐ", "ə", "ɜː", "ɚ", "er", "ax"}


@dataclass(slots=True)
class MouthShape:
    jaw: float = 0.0
    spread: float = 0.0
    round: float = 0.0
    press: float = 0.0
    level: float = 0.0  # 0..1 loudness, for head motion and brows


def phoneme_shape(ph: str) -> tuple[float, float, float, float] | None:
    """(jaw scale, spread, round, press) for a phoneme, or None to let the audio decide."""
    p = ph.strip().lower().strip("ˈˌː") or ph
    if p in BILABIAL:
        return 0.0, 0.0, 0.0, 1.0
    if p in LABIODENTAL:
        return 0.15, 0.1, 0.0, 0.35
    if p in ROUNDED or p[:1] in ("o", "u", "w") or p[:1] in ("ɔ", "ʊ"):
        return 0.7, 0.0, 1.0, 0.0
    if p in SPREAD or p[:1] in ("i", "e", "ɪ", "ɛ", "æ"):
        return 0.6, 0.9, 0.0, 0.0
    if p in OPEN or p[:1] in ("a", "ɑ", "ʌ"):
        return 1.0, 0.1, 0.0, 0.0
    return None


def _sliding(x: np.ndarray, n: int, kind: str) -> np.ndarray:
    """Noise floor (10th percentile) or peak (max) over the up-to-n values ending at each position."""
    pad = np.concatenate([np.full(n - 1, np.nan), x])
    win = np.lib.stride_tricks.sliding_window_view(pad, n)
    if kind == "peak":
        return np.nanmax(win, axis=1)
    # digital silence (and the padding) says nothing about the room's noise: sort it to the end
    valid = ~np.isnan(win) & (win >= -90)
    srt = np.sort(np.where(valid, win, np.inf), axis=1)
    m = valid.sum(1)
    idx = np.maximum(0, (0.1 * (m - 1)).astype(int))
    floor = np.take_along_axis(srt, idx[:, None], 1)[:, 0]
    floor[m == 0] = np.nan
    return np.where(np.isnan(floor), -90.0, floor)


class _Analyzer:
    """Incremental 10 ms features for one contiguous run of audio at one sample rate."""

    def __init__(self, sr: int, t0: float) -> None:
        self.sr = sr
        self.hop = max(1, round(sr * HOP_S))
        self.win = max(self.hop * 2, round(sr * WIN_S))
        self.t0 = t0  # session time of the first buffered sample
        self.buf = np.zeros(0, np.float32)
        self.window = np.hanning(self.win).astype(np.float32)
        freqs = np.fft.rfftfreq(self.win, 1 / sr)
        self.bands = [(freqs >= lo) & (freqs < hi) for lo, hi in ((80, 300), (300, 900), (900, 1800), (1800, 3200), (4000, 8000))]

    def push(self, pcm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Returns (times, features (n, 7)) for every complete hop now available."""
        self.buf = np.concatenate([self.buf, pcm])
        n = (len(self.buf) - self.win) // self.hop + 1 if len(self.buf) >= self.win else 0
        if n <= 0:
            return np.zeros(0), np.zeros((0, 7), np.float32)
        idx = np.arange(self.win)[None, :] + self.hop * np.arange(n)[:, None]
        frames = self.buf[idx] * self.window
        spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
        total = spec.sum(1)
        rms = np.sqrt(np.mean((self.buf[idx]) ** 2, axis=1))
        band = np.stack([spec[:, b].sum(1) for b in self.bands], 1)
        feats = np.concatenate([rms[:, None], band / total[:, None], np.log10(total)[:, None]], 1).astype(np.float32)
        times = self.t0 + (self.hop * np.arange(n) + self.win / 2) / self.sr
        used = self.hop * n
        self.buf = self.buf[used:]
        self.t0 += used / self.sr
        return times, feats

    def contiguous(self, sr: int, pts: float) -> bool:
        return sr == self.sr and abs(pts - (self.t0 + len(self.buf) / self.sr)) < 2e-3


Shape = tuple[float, float, float, float]  # (jaw scale, spread, round, press)


@dataclass(slots=True)
class Analysed:
    """One chunk of speech, analysed: mouth targets per 10 ms hop and phoneme shapes, session clock."""

    pts: float
    end: float
    times: np.ndarray
    targets: np.ndarray  # (n, 5): jaw, spread, round, press, level
    phonemes: list[tuple[float, float, Shape]]


class SpeechAnalyser:
    """Speech audio -> mouth targets: the costly part (FFTs), kept apart from the targets that
    frames read (``SpeechTrack``), so drawing a frame never waits for an analysis. One caller at a
    time; contiguous chunks continue one analysis run."""

    def __init__(self) -> None:
        self._an: _Analyzer | None = None
        self._hist_db = np.zeros(0)  # recent loudness (dBFS per hop) for floor and reference
        self._end = 0.0  # session time up to which this run has been analysed

    def analyse(self, pcm: np.ndarray, sr: int, pts: float, phonemes: list | None = None) -> Analysed:
        pcm = np.asarray(pcm, np.float32).reshape(-1)
        if self._an is None or not self._an.contiguous(sr, pts):
            self._an = _Analyzer(sr, pts)
        shapes: list[tuple[float, float, Shape]] = []
        for ph in phonemes or ():
            try:
                name, s, e = ph[0], float(ph[1]), float(ph[2])
            except (TypeError, ValueError, IndexError):
                continue
            shape = phoneme_shape(str(name))
            if shape is not None and e > s:
                shapes.append((pts + s, pts + e, shape))
        times, feats = self._an.push(pcm)
        self._end = pts + len(pcm) / sr
        targets = self._targets(feats) if len(times) else np.zeros((0, 5), np.float32)
        return Analysed(pts, self._end, times, targets, shapes)

    def flush(self) -> Analysed | None:
        """End of a segment: analyse the last partial window (padded with silence)."""
        an = self._an
        if an is None or not len(an.buf):
            return None
        times, feats = an.push(np.zeros(an.win, np.float32))
        self._an = None
        keep = times <= self._end + 1e-6
        if not keep.any():
            return None
        return Analysed(self._end, self._end, times[keep], self._targets(feats[keep]), [])

    def restart(self) -> None:
        """The next chunk starts a new run (after a barge-in), even if it looks contiguous."""
        self._an = None

    def _targets(self, f: np.ndarray) -> np.ndarray:
        rms = f[:, 0]
        out = np.zeros((len(f), 5), np.float32)
        db = 20 * np.log10(np.maximum(rms, 1e-6))
        full = np.concatenate([self._hist_db, db])
        k = len(self._hist_db)
        # noise floor: the 10th percentile of the last 2 s; loudness reference: the loudest in 3 s
        floor = _sliding(full, FLOOR_HOPS, "floor")[k:]
        real = full[full > -90]
        if 0 < len(real) < WARMUP_HOPS and np.median(real) < -35:
            # the first half second is room noise, not speech: trust its median, not its tail
            floor = np.maximum(floor, float(np.median(real)) - 3.0)
        peak = np.maximum(_sliding(full, PEAK_HOPS, "peak")[k:], -50.0)
        self._hist_db = full[-PEAK_HOPS:]
        thr = np.maximum(np.maximum(floor + 8.0, peak - 30.0), -55.0)
        # with a real signal present, sound within 15 dB of the loudest always counts (sustained vowels)
        thr = np.where(peak > -35.0, np.minimum(thr, peak - 15.0), thr)
        gate = np.clip((db - thr) / 8.0, 0, 1)
        out[:, 4] = np.clip(10 ** ((db - peak) / 20 * 0.7) * gate, 0, 1)
        low, mid1, mid2, f2, hiss = f[:, 1], f[:, 2], f[:, 3], f[:, 4], f[:, 5]
        voiced = (low + mid1 + mid2) / (low + mid1 + mid2 + f2 + hiss + 1e-6)
        front = f2 / (mid1 + f2 + 1e-6)
        back = mid1 / (mid1 + mid2 + f2 + 1e-6)
        level = out[:, 4]
        jaw_scale = np.clip(0.35 + 0.65 * voiced, 0.3, 1.0)
        out[:, 0] = np.clip(level * jaw_scale * 1.05, 0, 1)
        out[:, 1] = np.clip((front - 0.25) * 2.2, 0, 1) * np.minimum(1, level * 3)
        out[:, 2] = np.clip((back - 0.55) * 2.5, 0, 1) * np.minimum(1, level * 3) * (1 - out[:, 1])
        out[:, 3] = 0.0
        return out


class SpeechTrack:
    """Mouth targets on the session clock, as frames read them; bounded memory (KEEP_S of past).
    Filled with ``SpeechAnalyser`` results; every method is cheap."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[np.ndarray, np.ndarray]] = deque()  # (times, targets (n, 5))
        self._phonemes: deque[tuple[float, float, Shape]] = deque()
        self.cut_at: float | None = None  # barge-in: speech after this time is dropped and faded
        self._cut_shape = MouthShape()
        self.end = 0.0  # session time up to which speech has been pushed

    def add(self, a: Analysed) -> None:
        if self.cut_at is not None and a.pts >= self.cut_at:
            self.cut_at = None  # new speech after a barge-in
        self._phonemes.extend(a.phonemes)
        self.end = max(self.end, a.end)
        if len(a.times):
            self._blocks.append((a.times, a.targets))

    def clear(self, now: float) -> None:
        """Barge-in: drop what comes after ``now`` and let the mouth close from there."""
        self._cut_shape = self.shape_at(now)
        self.cut_at = now
        while self._blocks and self._blocks[-1][0][0] > now:
            self._blocks.pop()
        if self._blocks:
            t, v = self._blocks[-1]
            keep = t <= now
            self._blocks[-1] = (t[keep], v[keep])
        self._phonemes = deque(p for p in self._phonemes if p[0] <= now)
        self.end = min(self.end, now)

    def prune(self, now: float) -> None:
        while self._blocks and len(self._blocks[0][0]) and self._blocks[0][0][-1] < now - KEEP_S:
            self._blocks.popleft()
        while self._blocks and not len(self._blocks[0][0]):
            self._blocks.popleft()
        while self._phonemes and self._phonemes[0][1] < now - KEEP_S:
            self._phonemes.popleft()

    def shape_at(self, t: float) -> MouthShape:
        """Mouth shape for audio time ``t``: smoothed targets around t + look-ahead."""
        c = t + LOOKAHEAD_S
        lo, hi = c - SMOOTH_S, c + SMOOTH_S
        acc = np.zeros(5, np.float64)
        wsum = 0.0
        for times, vals in self._blocks:
            if not len(times) or times[-1] < lo or times[0] > hi:
                continue
            sel = (times >= lo) & (times <= hi)
            if not sel.any():
                continue
            w = 1 - np.abs(times[sel] - c) / SMOOTH_S
            acc += (vals[sel] * w[:, None]).sum(0)
            wsum += float(w.sum())
        # missing hops (no speech pushed there) count as silence
        expected = SMOOTH_S / HOP_S
        v = acc / max(wsum, expected)
        jaw, spread, rnd, press, level = (float(x) for x in v)
        tp = t + PHONEME_LEAD_S
        for s, e, (js, sp, ro, pr) in self._phonemes:
            if not (s - 0.05 <= tp <= e + 0.04):
                continue
            # full weight inside the phoneme, ramping in 50 ms before it and out 40 ms after
            k = 1.0 if s <= tp <= e else (1 - (s - tp) / 0.05 if tp < s else 1 - (tp - e) / 0.04)
            loud = min(1.0, level * 3)
            if pr >= 1.0:  # m, b, p: lips together whatever the audio says
                jaw *= 1 - k
                spread *= 1 - k
                rnd *= 1 - k
            else:
                jaw = jaw * (1 - k) + jaw * js * k
                spread = spread * (1 - k) + sp * k * loud
                rnd = rnd * (1 - k) + ro * k * loud
            press = max(press, pr * k)
        if self.cut_at is not None and t > self.cut_at:
            # barge-in: from the shape at the cut, close smoothly within CUT_FADE_S
            x = min(1.0, (t - self.cut_at) / CUT_FADE_S)
            fade = 1 - x * x * (3 - 2 * x)
            cs = self._cut_shape
            return MouthShape(cs.jaw * fade, cs.spread * fade, cs.round * fade, cs.press * fade, cs.level * fade)
        return MouthShape(jaw, spread, rnd, press, level)
