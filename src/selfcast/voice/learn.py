"""Learns a ``VoiceModel`` from the owner's sample and its transcript (parallel with the base voice)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selfcast.errors import BadInput
from selfcast.speakable import speakable
from selfcast.voice.convert import (
    FRAME_PERIOD_MS,
    KEY_DIMS,
    VALUE_DIMS,
    VoiceModel,
    _warp_envelope,
    analyze,
    code_envelope,
    context_keys,
    dtw_path,
    frame_level_db,
    logf0_stats,
    pw,
)
from selfcast.voice.phonemize import EspeakPhonemizer
from selfcast.voice.piper import PiperScales, PiperVoice
from selfcast.voice.transcribe import Segment


@dataclass(frozen=True, slots=True)
class LearnReport:
    aligned_frames: int
    target_speech_s: float
    base_speech_s: float
    length_scale: float
    target_f0_hz: float
    base_f0_hz: float


def _active(level_db: np.ndarray, below_peak_db: float = 35.0) -> np.ndarray:
    if level_db.size == 0:
        return np.zeros(0, bool)
    return level_db > (np.percentile(level_db, 98) - below_peak_db)


def _trim(active: np.ndarray) -> tuple[int, int]:
    idx = np.nonzero(active)[0]
    return (int(idx[0]), int(idx[-1]) + 1) if idx.size else (0, 0)


def learn_voice(target: np.ndarray, fs: int, segments: Sequence[Segment], voice: PiperVoice,
                phonemizer: EspeakPhonemizer, *, source_rate: int, k: int = 4, alpha: float = 0.5) -> tuple[VoiceModel, LearnReport]:
    """``target`` is the owner's (validated, optionally denoised) speech at ``fs`` = the base voice's rate."""
    if fs != voice.sample_rate:
        raise ValueError("target must be at the base voice's sample rate")
    tf = analyze(target, fs, with_ap=True)
    bins = tf.sp.shape[1]
    bandwidth = min(source_rate / 2.0, fs / 2.0) * 0.96
    edge = min(bins - 1, int(bandwidth / (fs / 2) * (bins - 1)))
    t_level = frame_level_db(tf.sp, edge)
    t_active = _active(t_level)
    t_keys = code_envelope(tf.sp, fs, KEY_DIMS + 1)[:, 1:]
    t_values = code_envelope(tf.sp, fs, VALUE_DIMS)
    t_ap = pw.code_aperiodicity(np.ascontiguousarray(tf.ap), fs)

    hop = FRAME_PERIOD_MS / 1000.0
    keys, values, aps, src_f0, b_sp, t_sp = [], [], [], [], [], []
    t_speech = b_speech = 0
    for seg in segments:
        text = speakable(seg.text)
        if not any(c.isalpha() for c in text):
            continue
        base = voice.synthesize_phonemes(phonemizer.phonemize(text), PiperScales(0.667, 1.0, 0.8))
        if base.size < fs // 5:
            continue
        bf = analyze(base, fs, with_ap=False)
        b_active = _active(frame_level_db(bf.sp, edge))
        b0, b1 = _trim(b_active)
        s0 = max(0, int(seg.start / hop) - 10)
        s1 = min(len(t_level), int(seg.end / hop) + 10)
        t0, t1 = _trim(t_active[s0:s1])
        t0, t1 = s0 + t0, s0 + t1
        if b1 - b0 < 20 or t1 - t0 < 20:
            continue
        b_coded = code_envelope(bf.sp, fs, KEY_DIMS + 1)[:, 1:]
        b_keys = b_coded[b0:b1]
        b_ctx = context_keys(b_coded)[b0:b1]
        a = (b_keys - b_keys.mean(0)) / (b_keys.std(0) + 1e-6)
        tk = t_keys[t0:t1]
        b = (tk - tk.mean(0)) / (tk.std(0) + 1e-6)
        path = t0 + dtw_path(a, b, max_slope=3)
        use = b_active[b0:b1] & t_active[path]
        keys.append(b_ctx[use])
        values.append(t_values[path[use]])
        b_sp.append(bf.sp[b0:b1][use][::4])
        t_sp.append(tf.sp[path[use]][::4])
        aps.append(t_ap[path[use]])
        src_f0.append(bf.f0[b0:b1])
        t_speech += int(t_active[t0:t1].sum())
        b_speech += int(b_active[b0:b1].sum())
    if not keys or sum(len(k_) for k_ in keys) < int(1.0 / hop):  # at least 1 s of aligned speech
        raise BadInput("could not align the sample with its transcript: too little clear speech was recognised; "
                       "record 15 s or more of one person speaking clearly")
    keys_a = np.concatenate(keys).astype(np.float32)
    src_mean, src_std = logf0_stats(np.concatenate(src_f0))
    tgt_mean, tgt_std = logf0_stats(tf.f0[t_active])
    rate = float(np.clip(t_speech / max(b_speech, 1), 0.6, 1.6))
    warp, tilt = _fit_warp(np.concatenate(b_sp), np.concatenate(t_sp), fs, edge)
    model = VoiceModel(
        fs=fs, src_logf0_mean=src_mean, src_logf0_std=src_std, tgt_logf0_mean=tgt_mean, tgt_logf0_std=tgt_std,
        length_scale=rate, bandwidth_hz=bandwidth, keys=keys_a, key_mean=keys_a.mean(0),
        key_std=keys_a.std(0) + 1e-6, values=np.concatenate(values).astype(np.float32),
        ap_values=np.concatenate(aps).astype(np.float32), k=k, warp=warp, tilt_db=tilt, alpha=alpha,
    )
    report = LearnReport(len(keys_a), t_speech * hop, b_speech * hop, rate, float(np.exp(tgt_mean)),
                         float(np.exp(src_mean)))
    return model, report


def _fit_warp(base_sp: np.ndarray, target_sp: np.ndarray, fs: int, edge: int) -> tuple[float, np.ndarray]:
    """Frequency warp and per-bin equalisation that best turn aligned base frames into the owner's.

    Grid search over warps (0.80-1.30) of the log-spectral distance left after removing each
    bin's mean difference; that mean difference (dB, smoothed) becomes the equaliser.
    """
    lt = 10 * np.log10(target_sp[:, :edge] + 1e-16)
    best = (np.inf, 1.0, np.zeros(base_sp.shape[1]))
    for w in np.arange(0.80, 1.301, 0.05):
        lb = 10 * np.log10(_warp_envelope(base_sp, fs, float(w))[:, :edge] + 1e-16)
        diff = lt - lb
        diff -= diff.mean(1, keepdims=True)  # level is the base voice's own, frame by frame
        tilt = diff.mean(0)
        err = float(np.mean((diff - tilt) ** 2))
        if err < best[0]:
            best = (err, float(w), tilt)
    _, warp, tilt = best
    kernel = np.ones(9) / 9
    tilt = np.convolve(np.pad(tilt, 4, mode="edge"), kernel, mode="valid")
    full = np.concatenate([tilt, np.full(base_sp.shape[1] - edge, tilt[-1])])
    return warp, full.astype(np.float32)
