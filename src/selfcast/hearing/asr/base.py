"""The base of recognition engines: 16 kHz mono float32 in, plain text out.

Engines are called from the hearing worker thread, never from the audio path, so a blocking
call (a model decode, an HTTP request) costs the audio nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np


@dataclass(frozen=True, slots=True)
class Recognition:
    """What an engine heard. ``no_speech_prob``: the decoder's own belief that there were no
    words (Whisper's ``<|nospeech|>`` token at the first step); ``avg_logprob``: how sure it was of
    the words it wrote (mean log-probability per token). ``None`` when the engine does not say."""

    text: str
    no_speech_prob: float | None = None
    avg_logprob: float | None = None


class ASR(ABC):
    """``transcribe(pcm16k) -> text``; ``prompt`` is earlier text that helps with names."""

    name: ClassVar[str]  # the ``hearing.provider`` value

    @abstractmethod
    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str: ...

    def recognise(self, pcm: np.ndarray, *, prompt: str = "") -> Recognition:
        """The text with whatever the engine knows about whether it was speech at all
        (hearing's speech gate uses it); engines that know nothing more return the text alone."""
        return Recognition(self.transcribe(pcm, prompt=prompt))

    def close(self) -> None:  # noqa: B027 - most engines hold nothing to release
        """Release the engine's resources (a model, connections)."""
