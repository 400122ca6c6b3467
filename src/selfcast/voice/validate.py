"""Checks a voice sample before anything is learned or saved, and says exactly what is wrong.

Rules (from the product brief): at least 15 s of speech after voice-activity trimming, at most
5 minutes in all, not clipped, one dominant speaker. The signal-to-noise estimate is reported,
not enforced (noise reduction is the user's choice). Voice activity comes from the Silero VAD
model that faster-whisper ships (ONNX). The speaker check clusters 1.5 s windows by median pitch
and spectral shape: two people talking form two clusters far apart in both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from selfcast.errors import BadInput, TooLarge
from selfcast.voice.world import pyworld as pw

MIN_SPEECH_S = 15.0
MAX_TOTAL_S = 300.0
RATE = 16000


@dataclass(frozen=True, slots=True)
class SampleReport:
    duration_s: float
    speech_s: float
    snr_db: float
    clipped_fraction: float
    peak_dbfs: float
    speaker_clusters: int
    minority_speaker_share: float
    source_rate: int

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def speech_spans(pcm16k: np.ndarray) -> list[tuple[int, int]]:
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    opts = VadOptions(threshold=0.5, min_speech_duration_ms=250, min_silence_duration_ms=300, speech_pad_ms=60)
    return [(int(s["start"]), int(s["end"])) for s in get_speech_timestamps(pcm16k, opts, sampling_rate=RATE)]


def clipped_fraction(pcm: np.ndarray) -> float:
    """Share of samples inside runs of >= 3 consecutive samples stuck at the peak (>= 0.98 full scale)."""
    a = np.abs(pcm)
    peak = float(a.max()) if a.size else 0.0
    if peak < 0.98:
        return 0.0
    hot = a >= 0.98 * peak
    if not hot.any():
        return 0.0
    edges = np.diff(np.concatenate([[0], hot.view(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    lengths = ends - starts
    return float(lengths[lengths >= 3].sum()) / len(pcm)


def snr_estimate(pcm16k: np.ndarray, spans: list[tuple[int, int]]) -> float:
    frame = RATE // 50
    n = len(pcm16k) // frame
    if n == 0:
        return 0.0
    power = np.mean(pcm16k[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12
    is_speech = np.zeros(n, bool)
    for s, e in spans:
        is_speech[s // frame: (e + frame - 1) // frame] = True
    speech = power[is_speech]
    noise = power[~is_speech]
    if speech.size == 0:
        return 0.0
    floor = float(np.percentile(noise, 50)) if noise.size >= 10 else float(np.percentile(power, 5))
    return float(10 * np.log10(max(float(np.mean(speech)) - floor, 1e-12) / floor))


def speaker_clusters(pcm16k: np.ndarray, spans: list[tuple[int, int]]) -> tuple[int, float]:
    """(1 or 2, share of speech in the smaller cluster).

    Windows of 1.5 s of speech are described by median log-F0 and the first 12 cepstral
    coefficients; two speakers are declared only when a 2-means split is both big (minority
    >= 20 %) and far apart in pitch (> 4 semitones) and in spectral shape.
    """
    speech = np.concatenate([pcm16k[s:e] for s, e in spans]) if spans else np.zeros(0, np.float32)
    win = int(1.5 * RATE)
    nwin = len(speech) // win
    if nwin < 4:
        return 1, 0.0
    feats, f0s = [], []
    x = speech.astype(np.float64)
    f0, _ = pw.dio(x, RATE, f0_floor=60.0, f0_ceil=500.0, frame_period=10.0)
    frames_per_win = win // (RATE // 100)
    n_fft = 512
    window = np.hanning(n_fft)
    mel = _mel_matrix(n_fft, RATE, 24)
    for w in range(nwin):
        seg = x[w * win:(w + 1) * win]
        frames = np.lib.stride_tricks.sliding_window_view(seg, n_fft)[::160] * window
        spec = np.abs(np.fft.rfft(frames, axis=1)) ** 2
        logmel = np.log(spec @ mel.T + 1e-10)
        cep = _dct(logmel)[:, 1:13].mean(0)
        fw = f0[w * frames_per_win:(w + 1) * frames_per_win]
        fw = fw[fw > 0]
        if fw.size < 10:
            continue
        f0s.append(float(np.median(np.log(fw))))
        feats.append(cep)
    if len(feats) < 4:
        return 1, 0.0
    f = np.column_stack([np.array(f0s) * 12 / np.log(2), np.array(feats)])
    z = (f - f.mean(0)) / (f.std(0) + 1e-9)
    labels = _two_means(z)
    share = min(labels.mean(), 1 - labels.mean())
    if share < 0.2:
        return 1, float(share)
    semis = abs(np.mean(f[labels == 1, 0]) - np.mean(f[labels == 0, 0]))
    c1, c0 = f[labels == 1, 1:], f[labels == 0, 1:]
    pooled = np.sqrt((c1.var(0) + c0.var(0)) / 2) + 1e-9
    spectral = float(np.sqrt(np.mean(((c1.mean(0) - c0.mean(0)) / pooled) ** 2)))
    two = semis > 4.0 and spectral > 1.0
    return (2 if two else 1), float(share)


def _two_means(z: np.ndarray, iters: int = 20) -> np.ndarray:
    order = np.argsort(z[:, 0])
    c = np.stack([z[order[: len(z) // 4]].mean(0), z[order[-len(z) // 4:]].mean(0)])
    labels = np.zeros(len(z), int)
    for _ in range(iters):
        d = ((z[:, None, :] - c[None]) ** 2).sum(-1)
        labels = d.argmin(1)
        if labels.min() == labels.max():
            break
        c = np.stack([z[labels == i].mean(0) for i in (0, 1)])
    return labels


def _mel_matrix(n_fft: int, sr: int, n_mels: int) -> np.ndarray:
    def hz2mel(h: np.ndarray) -> np.ndarray:
        return 2595 * np.log10(1 + h / 700.0)

    mels = np.linspace(hz2mel(np.array(60.0)), hz2mel(np.array(sr / 2 * 0.95)), n_mels + 2)
    hz = 700 * (10 ** (mels / 2595) - 1)
    bins = np.fft.rfftfreq(n_fft, 1 / sr)
    m = np.zeros((n_mels, len(bins)))
    for i in range(n_mels):
        lo, c, hi = hz[i], hz[i + 1], hz[i + 2]
        m[i] = np.clip(np.minimum((bins - lo) / (c - lo), (hi - bins) / (hi - c)), 0, None)
    return m


def _dct(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    k = np.arange(n)
    basis = np.cos(np.pi / n * (k[:, None] + 0.5) * k[None, :])
    return x @ basis


def check_sample(pcm16k: np.ndarray, *, source_rate: int, label: str,
                 min_speech_s: float = MIN_SPEECH_S) -> tuple[SampleReport, list[tuple[int, int]]]:
    """Raises ``BadInput`` (``TooLarge`` for length) naming the problem; returns the report and speech spans."""
    duration = len(pcm16k) / RATE
    if duration > MAX_TOTAL_S + 0.5:
        raise TooLarge(f"{label}: {duration / 60:.1f} minutes of audio; a voice sample may be at most "
                       f"{MAX_TOTAL_S / 60:.0f} minutes. Trim it to 15 s - 5 min of you speaking")
    peak = float(np.max(np.abs(pcm16k))) if pcm16k.size else 0.0
    if peak < 1e-4:
        raise BadInput(f"{label}: the audio is silent (peak {20 * np.log10(peak + 1e-12):.0f} dBFS); "
                       "check the microphone and record again")
    clipped = clipped_fraction(pcm16k)
    if clipped > 0.002:
        raise BadInput(f"{label}: the recording is clipped ({clipped * 100:.1f}% of samples at full scale); "
                       "record again with the input level lower")
    spans = speech_spans(pcm16k)
    speech_s = sum(e - s for s, e in spans) / RATE
    if speech_s < min_speech_s:
        what = "no speech was found" if speech_s < 0.5 else f"only {speech_s:.1f} s of speech was found"
        raise BadInput(f"{label}: {what} (after trimming silence and noise); a voice sample needs at least "
                       f"{min_speech_s:.0f} s of one person speaking")
    snr = snr_estimate(pcm16k, spans)
    clusters, share = speaker_clusters(pcm16k, spans)
    if clusters > 1:
        raise BadInput(f"{label}: two different speakers were detected (the second one in about "
                       f"{share * 100:.0f}% of the speech); upload a recording of one person only")
    report = SampleReport(duration, speech_s, snr, clipped, 20 * float(np.log10(peak)), clusters, share,
                          source_rate)
    return report, spans
