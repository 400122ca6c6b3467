"""Measures on rendered frames: re-detected mouth opening, lids, landmarks; speech envelope."""

from __future__ import annotations

import numpy as np

from selfcast.avatar import landmarks as L
from selfcast.avatar.stream import AvatarStream
from selfcast.media.frames import AudioChunk


def head_crop(stream: AvatarStream, rgb: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    x0, y0, x1, y1 = stream.renderer.roi
    return np.ascontiguousarray(rgb[y0:y1, x0:x1]), (x0, y0)


def detect(landmarker, stream: AvatarStream, rgb: np.ndarray) -> np.ndarray | None:
    crop, (x0, y0) = head_crop(stream, rgb)
    lm = landmarker.mesh(crop)
    if lm is None:
        return None
    lm[:, 0] += x0
    lm[:, 1] += y0
    return lm


def speak(stream: AvatarStream, pcm: np.ndarray, sr: int, phonemes=None, chunk_s: float = 0.2,
          timing: str = "") -> None:
    """Push speech the way the live session does: in chunks on the session clock."""
    n = int(sr * chunk_s)
    for i in range(0, len(pcm), n):
        meta = {}
        if phonemes is not None:
            t0, t1 = i / sr, (i + n) / sr
            meta["phonemes"] = [(p, s - t0, e - t0) for p, s, e in phonemes if t0 <= s < t1]
            if timing:
                meta["phoneme_timing"] = timing
        stream.push_audio(AudioChunk(pcm[i:i + n], sr, pts=i / sr, meta=meta))


def envelope(pcm: np.ndarray, sr: int, fps: int, n: int) -> np.ndarray:
    """RMS of the audio under each video frame."""
    out = np.zeros(n)
    for k in range(n):
        a, b = int(k / fps * sr), int((k + 1) / fps * sr)
        seg = pcm[a:b]
        out[k] = float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0
    return out


def pearson_at_lags(x: np.ndarray, y: np.ndarray, lags: range) -> dict[int, float]:
    """Pearson r between x[k] and y[k - lag] (positive lag: x follows y)."""
    out = {}
    for lag in lags:
        if lag >= 0:
            a, b = x[lag:], y[: len(y) - lag]
        else:
            a, b = x[:lag], y[-lag:]
        ok = ~(np.isnan(a) | np.isnan(b))
        out[lag] = float(np.corrcoef(a[ok], b[ok])[0, 1])
    return out


def mar(lm: np.ndarray | None) -> float:
    return L.mouth_aspect_ratio(lm) if lm is not None else float("nan")
