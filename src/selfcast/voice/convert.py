"""Voice conversion with WORLD: learn from parallel speech, apply to the base voice in chunks.

Why this shape (no neural model can ship here, see models.md): the sample is transcribed, the
base voice says the same words, and each base-voice frame is aligned to the owner's frame that
says the same thing. At synthesis every base-voice frame looks up its nearest base-voice frames
from that parallel set (same speaker, so the distance is phonetic) and takes the owner's
spectral envelope and aperiodicity from the frames they were aligned to: a frame-level
codebook (k-nearest-neighbour exemplars), which carries the owner's real formants and timbre
instead of a smoothed average. Pitch is mapped in log-F0 (mean and spread), the loudness
contour and timing stay the base voice's, and the speaking rate is set through the base
voice's own length scale. Bands the sample never had (8 kHz phone audio) keep the base voice's
envelope, level-matched at the edge.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np

from selfcast.voice.world import pyworld as pw

FRAME_PERIOD_MS = 10.0  # measured: as similar and as intelligible as 5 ms, 27 % less conversion time
KEY_DIMS = 24  # coded-envelope dimensions used for matching (1..KEY_DIMS, level excluded)
CONTEXT = 2  # keys stack the frames CONTEXT before and after (±20 ms): matches phones in context
VALUE_DIMS = 60  # coded-envelope dimensions stored for the owner's frames
F0_FLOOR, F0_CEIL = 55.0, 600.0


@dataclass(slots=True)
class WorldFeatures:
    f0: np.ndarray  # (T,) Hz, 0 = unvoiced
    sp: np.ndarray  # (T, fft/2+1) power spectral envelope
    ap: np.ndarray | None  # (T, fft/2+1) aperiodicity or None when not analysed


def analyze(pcm: np.ndarray, fs: int, *, with_ap: bool = True, f0_floor: float = F0_FLOOR,
            f0_ceil: float = F0_CEIL, frame_period: float = FRAME_PERIOD_MS) -> WorldFeatures:
    x = np.ascontiguousarray(pcm, dtype=np.float64)
    f0, t = pw.dio(x, fs, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=frame_period)
    f0 = pw.stonemask(x, f0, t, fs)
    fft = pw.get_cheaptrick_fft_size(fs, 71.0)  # one FFT size for envelope and aperiodicity
    sp = pw.cheaptrick(x, f0, t, fs, f0_floor=71.0, fft_size=fft)
    ap = pw.d4c(x, f0, t, fs, fft_size=fft) if with_ap else None
    return WorldFeatures(f0, sp, ap)


def code_envelope(sp: np.ndarray, fs: int, dims: int) -> np.ndarray:
    return pw.code_spectral_envelope(np.ascontiguousarray(sp), fs, dims)


def context_keys(coded: np.ndarray, offset: int = CONTEXT) -> np.ndarray:
    """[c(t - offset), c(t), c(t + offset)] per frame, edges repeated."""
    n = len(coded)
    idx = np.arange(n)
    before = coded[np.clip(idx - offset, 0, n - 1)]
    after = coded[np.clip(idx + offset, 0, n - 1)]
    return np.concatenate([before, coded, after], axis=1)


def frame_level_db(sp: np.ndarray, upto_bin: int) -> np.ndarray:
    return 10.0 * np.log10(np.sum(sp[:, :upto_bin], axis=1) + 1e-12)


def dtw_path(a: np.ndarray, b: np.ndarray, *, max_slope: int = 3) -> np.ndarray:
    """Maps every row of ``a`` to a row of ``b`` (monotonic; each step advances b by 0..max_slope).

    Each row's cost depends only on the previous row, so the recursion is vectorised over ``b``:
    about 20 ms for 2,000 x 2,000 frames, no compilation step.
    """
    n, m = len(a), len(b)
    aa = (a * a).sum(1)[:, None]
    bb = (b * b).sum(1)[None, :]
    cost = np.sqrt(np.maximum(aa + bb - 2.0 * a @ b.T, 0.0))
    acc = np.full((n, m), np.inf)
    back = np.zeros((n, m), dtype=np.int8)
    acc[0, 0] = cost[0, 0]
    for i in range(1, n):
        prev = acc[i - 1]
        best = prev.copy()
        arg = np.zeros(m, dtype=np.int8)
        for s in range(1, max_slope + 1):
            shifted = np.full(m, np.inf)
            shifted[s:] = prev[:-s]
            better = shifted < best
            best[better] = shifted[better]
            arg[better] = s
        acc[i] = cost[i] + best
        back[i] = arg
    j = int(m - 1) if np.isfinite(acc[-1, -1]) else int(np.argmin(acc[-1]))
    path = np.zeros(n, dtype=np.int64)
    for i in range(n - 1, -1, -1):
        path[i] = j
        j -= int(back[i, j])
    return path


@dataclass(slots=True)
class VoiceModel:
    """Everything needed to turn base-voice speech into the owner's voice (saved as .npz)."""

    fs: int
    src_logf0_mean: float
    src_logf0_std: float
    tgt_logf0_mean: float
    tgt_logf0_std: float
    length_scale: float = 1.0
    bandwidth_hz: float = 0.0  # highest frequency the owner's sample carries; 0 = none learned
    keys: np.ndarray = field(default_factory=lambda: np.zeros((0, 3 * KEY_DIMS), np.float32))
    key_mean: np.ndarray = field(default_factory=lambda: np.zeros(3 * KEY_DIMS, np.float32))
    key_std: np.ndarray = field(default_factory=lambda: np.ones(3 * KEY_DIMS, np.float32))
    values: np.ndarray = field(default_factory=lambda: np.zeros((0, VALUE_DIMS), np.float32))
    ap_values: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), np.float32))
    warp: float = 1.0  # global frequency warp of the base envelope (stock voices, upper band)
    tilt_db: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))  # per-bin EQ, stock voices
    k: int = 4
    frame_period_ms: float = FRAME_PERIOD_MS
    base_ap: bool = True  # aperiodicity from the base voice (clearer) rather than the owner's exemplars
    alpha: float = 1.0  # weight of the exemplar envelope against the warped, equalised base envelope
    breathiness: float = 0.0  # extra aperiodicity for stock voices without exemplars

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, **{f: np.asarray(getattr(self, f)) for f in self.__slots__})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> VoiceModel:
        z = np.load(io.BytesIO(data))
        kw = {}
        for f in cls.__slots__:
            if f not in z:
                continue
            v = z[f]
            kw[f] = v.item() if v.ndim == 0 else v
        kw["fs"] = int(kw["fs"])
        kw["k"] = int(kw.get("k", 4))
        kw.setdefault("frame_period_ms", 5.0)  # profiles saved before the field existed
        return cls(**kw)

    @property
    def has_exemplars(self) -> bool:
        return len(self.keys) > 0


def _warp_envelope(sp: np.ndarray, fs: int, warp: float) -> np.ndarray:
    """Moves formants up by ``warp`` (> 1 raises them: a shorter vocal tract)."""
    if abs(warp - 1.0) < 1e-3:
        return sp
    bins = sp.shape[1]
    src = np.clip(np.arange(bins) / warp, 0, bins - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, bins - 1)
    frac = src - lo
    logsp = np.log(sp + 1e-16)
    return np.exp(logsp[:, lo] * (1 - frac) + logsp[:, hi] * frac)


class VoiceConverter:
    """Applies a ``VoiceModel`` to one chunk (a sentence) of base-voice audio at ``model.fs``."""

    def __init__(self, model: VoiceModel) -> None:
        self.model = model
        if model.has_exemplars:
            self._keys = ((model.keys - model.key_mean) / model.key_std).astype(np.float32)
            self._key_sq = (self._keys * self._keys).sum(1)

    def map_f0(self, f0: np.ndarray) -> np.ndarray:
        m = self.model
        out = np.zeros_like(f0)
        v = f0 > 0
        if np.any(v):
            from scipy.signal import medfilt

            smooth = medfilt(f0, 5)  # removes single-frame octave jumps of the F0 tracker
            f = np.where(v & (smooth > 0), smooth, f0)[v]
            z = np.clip((np.log(f) - m.src_logf0_mean) / max(m.src_logf0_std, 1e-3), -2.5, 2.5)
            out[v] = np.exp(m.tgt_logf0_mean + z * m.tgt_logf0_std)
        return out

    def _exemplar_envelope(self, sp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.model
        keys = context_keys(code_envelope(sp, m.fs, KEY_DIMS + 1)[:, 1:]).astype(np.float32)
        q = (keys - m.key_mean) / m.key_std
        d = self._key_sq[None, :] - 2.0 * q @ self._keys.T
        k = min(m.k, len(self._keys))
        idx = np.argpartition(d, k - 1, axis=1)[:, :k]
        coded = m.values[idx].mean(axis=1).astype(np.float64)
        ap_coded = m.ap_values[idx].mean(axis=1).astype(np.float64)
        fft = (sp.shape[1] - 1) * 2
        return pw.decode_spectral_envelope(np.ascontiguousarray(coded), m.fs, fft), \
            pw.decode_aperiodicity(np.ascontiguousarray(ap_coded), m.fs, fft)

    def convert(self, pcm: np.ndarray, features: WorldFeatures | None = None) -> np.ndarray:
        m = self.model
        feats = features or analyze(pcm, m.fs, with_ap=m.base_ap or not m.has_exemplars,
                                    frame_period=m.frame_period_ms)
        f0 = self.map_f0(feats.f0)
        bins = feats.sp.shape[1]
        base = _warp_envelope(feats.sp, m.fs, m.warp)
        if len(m.tilt_db) == bins:
            base = base * (10.0 ** (m.tilt_db[None, :] / 10.0))
        if m.has_exemplars:
            sp, ap = self._exemplar_envelope(feats.sp)
            edge = bins - 1 if m.bandwidth_hz <= 0 else min(bins - 1, int(m.bandwidth_hz / (m.fs / 2) * (bins - 1)))
            # follow the base voice's loudness contour frame by frame
            gain = feats.sp[:, :edge].sum(1) / (sp[:, :edge].sum(1) + 1e-16)
            sp = sp * gain[:, None]
            if m.alpha < 1.0:
                base_gain = feats.sp[:, :edge].sum(1) / (base[:, :edge].sum(1) + 1e-16)
                sp = np.exp(m.alpha * np.log(sp + 1e-16) + (1 - m.alpha) * np.log(base * base_gain[:, None] + 1e-16))
            if edge < bins - 1:  # fill bands the sample lacked from the base voice, level-matched
                lo = max(1, edge - max(4, bins // 32))
                ratio = np.exp(np.mean(np.log(sp[:, lo:edge] + 1e-16) - np.log(base[:, lo:edge] + 1e-16), axis=1))
                fade = np.clip((np.arange(bins) - lo) / max(1, edge - lo), 0.0, 1.0)[None, :]
                sp = np.exp(np.log(sp + 1e-16) * (1 - fade) + np.log(base * ratio[:, None] + 1e-16) * fade)
            if m.base_ap and feats.ap is not None:
                ap = feats.ap
            ap = np.where(f0[:, None] > 0, np.clip(ap, 0.001, 1.0), 1.0)
        else:
            sp = base
            ap = feats.ap if feats.ap is not None else np.where(feats.f0[:, None] > 0, 0.05, 1.0) * np.ones_like(sp)
            if m.breathiness > 0:
                ap = np.clip(ap + m.breathiness * (np.linspace(0, 1, bins)[None, :] ** 2), 0, 1)
        out = pw.synthesize(np.ascontiguousarray(f0), np.ascontiguousarray(sp), np.ascontiguousarray(ap),
                            m.fs, m.frame_period_ms)
        out = out[: len(pcm)] if len(out) >= len(pcm) else np.pad(out, (0, len(pcm) - len(out)))
        return _match_rms(out, pcm).astype(np.float32)


def _match_rms(y: np.ndarray, ref: np.ndarray) -> np.ndarray:
    ry, rr = float(np.sqrt(np.mean(y * y)) + 1e-9), float(np.sqrt(np.mean(ref * ref)))
    y = y * (rr / ry) if rr > 0 else y
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    return y * (0.97 / peak) if peak > 0.97 else y


def logf0_stats(f0: np.ndarray) -> tuple[float, float]:
    """Robust (centre, spread) of log-F0: the median and the 10th-90th percentile span / 2.563.

    Percentiles, not mean and standard deviation, because F0 trackers make octave errors and
    those outliers would widen the mapped pitch range.
    """
    v = f0[f0 > 0]
    if len(v) < 10:
        return float(np.log(120.0)), 0.15
    lf = np.log(v)
    p10, p50, p90 = np.percentile(lf, [10, 50, 90])
    return float(p50), float(max((p90 - p10) / 2.563, 0.02))
