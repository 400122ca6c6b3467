"""Typed media frames that flow between engines.

Timestamps are seconds on the session's media clock (audio is the master clock), so every
consumer can place a frame without knowing who produced it. Producers derive them from integer
counts (the n-th sample at a rate, the k-th frame at a frame rate), so contiguous chunks meet
exactly and a long session does not accumulate rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class EncodedPicture:
    """A picture already in a wire format: JPEG bytes, or raw I420 planes."""

    format: Literal["jpeg", "i420"]
    data: bytes
    width: int
    height: int


@dataclass(slots=True)
class VideoFrame:
    """An RGB ``uint8`` image of shape (height, width, 3) to be shown at ``pts`` seconds.

    ``encoded``, when set, is this picture already encoded by its producer (the video pacer
    renders and encodes on one thread): a transport sends it as it is. A producer that sets it
    may reuse ``rgb`` for its next frame, so ``rgb`` is then only valid until that frame.
    """

    rgb: np.ndarray
    pts: float = 0.0
    encoded: EncodedPicture | None = None

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.rgb.shape[:2]
        return w, h
