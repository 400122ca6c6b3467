"""Speech synthesis behind one interface: ``stream(text)`` yields audio sentence by sentence.

The embedded engine phonemises each sentence with espeak-ng, runs the Joe voice and, for a
cloned or stock voice, converts it with WORLD before yielding it. The first sentence of an
utterance is cut at its first clause (or after a few words) when it is long, so the first
audio leaves within the latency budget while later sentences keep whole-sentence prosody.
"""

from __future__ import annotations

import functools
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from selfcast.media.frames import AudioChunk
from selfcast.media.resample import resample
from selfcast.sentences import split_sentences
from selfcast.speakable import speakable
from selfcast.voice.convert import VoiceConverter, VoiceModel
from selfcast.voice.phonemize import EspeakPhonemizer
from selfcast.voice.piper import PiperScales, PiperVoice, estimate_phoneme_timings

FIRST_PIECE_MAX_CHARS = 26
_FUNCTION_WORDS = {"a", "an", "the", "for", "to", "of", "in", "on", "at", "by", "with", "and", "or", "but", "from",
                   "is", "are", "was", "were", "be", "have", "has", "had", "do", "does", "did", "will", "can",
                   "my", "your", "our", "their", "his", "her", "its", "this", "that", "i", "we", "you", "they"}


class TTSEngine(ABC):
    """Base of every speech engine (embedded or provider)."""

    sample_rate: int
    voice_id: str | None = None

    @abstractmethod
    def stream(self, text: str, *, voice_id: str | None = None) -> Iterator[AudioChunk]:
        """Audio chunks for ``text``; ``pts`` counts from 0 at the utterance start; the last has ``final``."""

    def synthesize(self, text: str, *, voice_id: str | None = None) -> np.ndarray:
        parts = [c.pcm for c in self.stream(text, voice_id=voice_id)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def speech_pieces(text: str) -> list[str]:
    """Sentences to synthesise one by one.

    The first sentence of an utterance, when longer than about 30 characters, is cut after its first
    clause or first few words (about a second of speech): synthesis and conversion cost grow
    with length, and only the first piece stands between the text and the first sound.
    """
    pieces = split_sentences(text)
    if not pieces:
        return []
    first = pieces[0]
    if len(first) > FIRST_PIECE_MAX_CHARS + 4 and len(first.split()) > 4:
        comma = first.find(", ", 8, FIRST_PIECE_MAX_CHARS + 4)
        if comma > 0:
            head, tail = first[: comma + 1], first[comma + 2:]
        else:
            cut = first.rfind(" ", 10, FIRST_PIECE_MAX_CHARS)
            while cut > 0 and first[:cut].rsplit(" ", 1)[-1].lower() in _FUNCTION_WORDS:
                cut = first.rfind(" ", 0, cut)  # never end the first piece on "for", "the", ...
            if cut > 0 and len(first[:cut].split()) < 2:
                cut = -1
            head, tail = (first[:cut] + ",", first[cut + 1:]) if cut > 0 else (first, "")
        pieces = [p for p in (head, tail) if p] + pieces[1:]
    return pieces


@functools.lru_cache(maxsize=2)
def base_voice(threads: int = 1) -> PiperVoice:
    """The Joe voice, loaded once per process (0.7 s and ~60 MB; read-only, safe to share)."""
    return PiperVoice(threads=threads)


@functools.lru_cache(maxsize=1)
def _phonemizer() -> EspeakPhonemizer:
    return EspeakPhonemizer("en-us")


class EmbeddedTTS(TTSEngine):
    """Joe (ONNX) + optional WORLD conversion for a cloned or stock voice; CPU only, offline."""

    def __init__(self, model: VoiceModel | None = None, *, voice_id: str | None = None, output_rate: int | None = None,
                 voice: PiperVoice | None = None, phonemizer: EspeakPhonemizer | None = None,
                 resolver=None) -> None:  # type: ignore[no-untyped-def]
        self._voice = voice or base_voice()
        self._phon = phonemizer or _phonemizer()
        self._lock = threading.Lock()
        self._resolver = resolver  # voice_id -> (model, output_rate), for per-call voice overrides
        self.voice_id = voice_id
        self._set(model, output_rate)

    def _set(self, model: VoiceModel | None, output_rate: int | None) -> None:
        self.model = model
        self._converter = VoiceConverter(model) if model is not None else None
        self.sample_rate = int(output_rate or self._voice.sample_rate)

    def _scales(self) -> PiperScales:
        d = self._voice.default_scales
        return PiperScales(d.noise_scale, d.length_scale * (self.model.length_scale if self.model else 1.0), d.noise_w)

    def render(self, sentence: str) -> tuple[np.ndarray, str]:
        """One piece of text -> (audio at ``sample_rate``, phonemes)."""
        phonemes = self._phon.phonemize(speakable(sentence))
        if not phonemes:
            return np.zeros(0, np.float32), ""
        audio = self._voice.synthesize_phonemes(phonemes, self._scales())
        if self._converter is not None and audio.size:
            audio = self._converter.convert(audio)
        if self.sample_rate != self._voice.sample_rate:
            audio = resample(audio, self._voice.sample_rate, self.sample_rate)
        return audio, phonemes

    def stream(self, text: str, *, voice_id: str | None = None) -> Iterator[AudioChunk]:
        if voice_id and voice_id != self.voice_id:
            if self._resolver is None:
                raise ValueError("this engine was built for one voice; use get_tts(voice_id, settings)")
            model, rate = self._resolver(voice_id)
            with self._lock:
                self.voice_id = voice_id
                self._set(model, rate)
        pieces = [p for p in speech_pieces(speakable(text)) if re.search(r"\w", p)]
        pts = 0.0
        sent_final = False
        # the next piece renders in a worker while the consumer plays this one (onnxruntime, numpy
        # and WORLD release the GIL), so sentences follow each other without gaps
        pool = ThreadPoolExecutor(1, thread_name_prefix="selfcast-tts") if len(pieces) > 1 else None
        pending: Future | None = None
        try:
            for i, piece in enumerate(pieces):
                audio, phonemes = pending.result() if pending is not None else self.render(piece)
                pending = pool.submit(self.render, pieces[i + 1]) if pool and i + 1 < len(pieces) else None
                if audio.size == 0:
                    continue
                timings = estimate_phoneme_timings(phonemes, audio, self.sample_rate)
                chunk = AudioChunk(audio, self.sample_rate, pts=pts, final=i == len(pieces) - 1,
                                   meta={"text": piece, "phonemes": timings, "phoneme_string": phonemes,
                                         "phoneme_timing": "estimated", "voice_id": self.voice_id})
                pts += chunk.duration
                sent_final = chunk.final
                yield chunk
        finally:  # barge-in closes the generator: drop what was queued
            if pending is not None:
                pending.cancel()
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        if not sent_final:  # the end-of-utterance marker always arrives, even after empty pieces
            yield AudioChunk(np.zeros(0, np.float32), self.sample_rate, pts=pts, final=True,
                             meta={"text": "", "phonemes": [], "voice_id": self.voice_id})
