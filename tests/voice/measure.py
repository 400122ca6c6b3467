"""Listening by measurement: speaker similarity, word error rate, pitch range, speaking rate.

Shared by the voice tests and ``bench/voice.py``. Resemblyzer (speaker embeddings) is a dev
dependency, never a runtime one. Speaker data: the LibriVox reader of *Sense and Sensibility*
(five clips, 24.8 s) and the "forever" speaker (two clips, 9.2 s), both from the pocketsphinx
sdist (see ``tests/testdata.py``).
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import jiwer
import numpy as np
from tests import testdata

from selfcast.media.audio_io import decode_audio, write_audio
from selfcast.media.resample import resample
from selfcast.speakable import speakable

MEETING_PARAGRAPH = (
    "Thanks everyone for joining today. I finished the migration to the new database yesterday, "
    "and the search page is now about thirty percent faster. Next week I want to focus on the billing "
    "dashboard, so please send me your feedback by Thursday. Maria will handle the customer interviews, "
    "and I will write the summary for the team. Does anyone have questions about the release plan?"
)

LIBRIVOX_HELD_OUT = ("0880", "0930")  # 3.0 s + 3.3 s, never used for training


@dataclass(frozen=True, slots=True)
class SpeakerData:
    name: str
    train: list[Path]
    held_out: list[Path]
    held_out_text: str


def librivox_speaker() -> SpeakerData:
    clips = sorted(testdata.librivox_dir().glob("*.wav"))
    train = [c for c in clips if not any(h in c.name for h in LIBRIVOX_HELD_OUT)]
    held = [c for c in clips if c not in train]
    text = " ".join(c.with_suffix(".txt").read_text().strip() for c in held)
    return SpeakerData("librivox-reader", train, held, text)


def forever_speaker() -> SpeakerData:
    d = testdata.forever_dir()
    return SpeakerData("forever", [d / "input_4_16k.wav"], [d / "input_2_16k.wav"], "")


def concat_clips(paths: list[Path], out: Path, *, rate: int = 16000, gap_s: float = 0.2, repeat: int = 1) -> Path:
    parts = []
    for _ in range(repeat):
        for p in paths:
            parts += [decode_audio(p, rate)[0], np.zeros(int(gap_s * rate), np.float32)]
    write_audio(out, np.concatenate(parts), rate)
    return out


@functools.lru_cache(maxsize=1)
def _encoder():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from resemblyzer import VoiceEncoder
        return VoiceEncoder("cpu", verbose=False)


def embed(pcm: np.ndarray, rate: int) -> np.ndarray:
    from resemblyzer import preprocess_wav

    e = _encoder().embed_utterance(preprocess_wav(resample(pcm, rate, 16000), 16000))
    return e / np.linalg.norm(e)


def reference_embedding(paths: list[Path]) -> np.ndarray:
    e = np.mean([embed(*decode_audio(p, 16000)) for p in paths], axis=0)
    return e / np.linalg.norm(e)


def similarity(pcm: np.ndarray, rate: int, ref: np.ndarray) -> float:
    return float(embed(pcm, rate) @ ref)


@functools.lru_cache(maxsize=1)
def _transcriber():  # type: ignore[no-untyped-def]
    from selfcast.voice.transcribe import SampleTranscriber

    return SampleTranscriber()


def transcribe(pcm: np.ndarray, rate: int) -> str:
    return _transcriber().text(resample(pcm, rate, 16000))


def _words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", speakable(text).lower().replace("-", " ")).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate (jiwer) over the words as the voice says them (numbers spelled out)."""
    return float(jiwer.wer(" ".join(_words(reference)), " ".join(_words(hypothesis))))


def f0_track(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Harvest F0 (a different estimator from the converter's DIO, so the check is independent)."""
    from selfcast.voice.world import pyworld as pw

    x = resample(pcm, rate, 16000).astype(np.float64)
    f0, _ = pw.harvest(x, 16000, f0_floor=50.0, f0_ceil=500.0, frame_period=10.0)
    return f0[f0 > 0]


def pitch_stats(pcm: np.ndarray, rate: int) -> dict:
    """Median F0 (Hz) and range: the 10th-90th percentile span in semitones."""
    f = f0_track(pcm, rate)
    p10, p50, p90 = np.percentile(f, [10, 50, 90])
    return {"median_hz": float(p50), "range_st": float(12 * np.log2(p90 / p10))}


def syllables(text: str) -> int:
    return sum(max(1, len(re.findall(r"[aeiouy]+", w))) for w in _words(text))


def speaking_rate(pcm: np.ndarray, rate: int, text: str) -> float:
    """Syllables per second of voice-active speech (Silero VAD)."""
    from selfcast.voice.validate import speech_spans

    x = resample(pcm, rate, 16000)
    speech_s = sum(e - s for s, e in speech_spans(x)) / 16000
    return syllables(text) / max(speech_s, 1e-3)
