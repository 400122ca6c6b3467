"""Typed media frames that flow between engines.

Timestamps are seconds on the session's media clock (audio is the master clock), so every
consumer can place a frame without knowing who produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class AudioChunk:
    """Mono float32 PCM in [-1, 1] at ``sample_rate``, starting at ``pts`` seconds."""

    pcm: np.ndarray
    sample_rate: int
    pts: float = 0.0
    final: bool = False  # end-of-segment marker (end of an utterance)
    meta: dict = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return len(self.pcm) / float(self.sample_rate)

    @property
    def end(self) -> float:
        return self.pts + self.duration


@dataclass(slots=True)
class VideoFrame:
    """An RGB ``uint8`` image of shape (height, width, 3) to be shown at ``pts`` seconds."""

    rgb: np.ndarray
    pts: float = 0.0

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.rgb.shape[:2]
        return w, h
