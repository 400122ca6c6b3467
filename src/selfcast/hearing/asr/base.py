"""The base of recognition engines: 16 kHz mono float32 in, plain text out.

Engines are called from the hearing worker thread, never from the audio path, so a blocking
call (a model decode, an HTTP request) costs the audio nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np


class ASR(ABC):
    """``transcribe(pcm16k) -> text``; ``prompt`` is earlier text that helps with names."""

    name: ClassVar[str]  # the ``hearing.provider`` value

    @abstractmethod
    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str: ...

    def close(self) -> None:  # noqa: B027 - most engines hold nothing to release
        """Release the engine's resources (a model, connections)."""
