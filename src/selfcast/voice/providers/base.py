"""The base of every speech vendor: a sentence per request, audio yielded while it downloads.

A vendor module says only how to ask (path, headers, body) and how to read the answer into
float32 PCM pieces (``_pcm``); this class owns the HTTP client (``selfcast.providers.http``:
retries on a failed or dropped connection, bounded timeouts, clear errors), splits the text into
sentences and cuts the arriving audio into chunks of at least ``min_chunk_s`` on one running
clock. Vendors give no phoneme timings here, so chunks carry none: the avatar reads the mouth
from the audio itself.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import ClassVar

import httpx
import numpy as np

from selfcast.errors import BadInput
from selfcast.media.frames import AudioChunk
from selfcast.providers.http import Endpoint, HTTPClient, Retry, timeouts
from selfcast.sentences import split_sentences
from selfcast.speakable import speakable
from selfcast.voice.tts import TTSEngine

log = logging.getLogger(__name__)

CHECK = "voice.provider, voice.url, voice.key and voice.model (SELFCAST_VOICE__*)"


class HttpTTS(TTSEngine):
    """Speech from a vendor's HTTP API behind the same ``stream(text)`` as the embedded voice."""

    name: ClassVar[str]  # the ``voice.provider`` value
    vendor: ClassVar[str]  # how errors name it
    default_url: ClassVar[str]
    default_model: ClassVar[str]
    sample_rates: ClassVar[tuple[int, ...]]  # what the vendor can send
    min_chunk_s: ClassVar[float] = 0.2  # network reads are coalesced into chunks at least this long

    def __init__(self, *, voice_id: str | None = None, url: str = "", key: str = "", model: str = "",
                 sample_rate: int = 24_000, read_timeout_s: float = 15.0, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        if sample_rate not in self.sample_rates:
            rates = ", ".join(map(str, self.sample_rates))
            raise BadInput(f"{self.vendor} cannot send {sample_rate} Hz audio; use one of {rates}")
        self.voice_id = voice_id
        self.model = model or self.default_model
        self.sample_rate = sample_rate
        endpoint = Endpoint(self.vendor, url or self.default_url, headers=self._auth(key), secret=key, check=CHECK,
                            timeout=timeouts(read_timeout_s), retry=retry or Retry())
        self.http = HTTPClient(endpoint, transport=transport)

    @abstractmethod
    def _auth(self, key: str) -> dict[str, str]:
        """The headers that carry the key."""

    @abstractmethod
    def _pcm(self, text: str, voice_id: str) -> Iterator[np.ndarray]:
        """Mono float32 pieces at ``sample_rate`` for one sentence, as they arrive."""

    def stream(self, text: str, *, voice_id: str | None = None) -> Iterator[AudioChunk]:
        vid = voice_id or self.voice_id
        if not vid:
            raise BadInput(f"{self.vendor} needs a voice id: pass one, or set voice.default_voice_id")
        pts = 0.0
        min_samples = max(1, int(self.min_chunk_s * self.sample_rate))
        for sentence in split_sentences(speakable(text)):
            if not re.search(r"\w", sentence):
                continue
            for pcm in coalesce(self._pcm(sentence, vid), min_samples):
                chunk = AudioChunk(pcm, self.sample_rate, pts=pts,
                                   meta={"text": sentence, "voice_id": vid, "provider": self.name})
                pts = chunk.end
                yield chunk
        # the end-of-utterance marker, after the last sound (which cannot know it is the last)
        yield AudioChunk(np.zeros(0, np.float32), self.sample_rate, pts=pts, final=True,
                         meta={"text": "", "voice_id": vid, "provider": self.name})

    def close(self) -> None:
        self.http.close()


def coalesce(pieces: Iterable[np.ndarray], min_samples: int) -> Iterator[np.ndarray]:
    """Pieces joined until each holds at least ``min_samples`` (the last may hold fewer)."""
    held: list[np.ndarray] = []
    n = 0
    for piece in pieces:
        if piece.size:
            held.append(piece)
            n += piece.size
        if n >= min_samples:
            yield np.concatenate(held)
            held, n = [], 0
    if n:
        yield np.concatenate(held)


class PCM16:
    """Raw 16-bit little-endian mono PCM arriving in pieces of any length (a sample may straddle two)."""

    def __init__(self) -> None:
        self._carry = b""

    def feed(self, data: bytes) -> np.ndarray:
        data = self._carry + data
        whole = len(data) // 2 * 2
        self._carry = data[whole:]
        return np.frombuffer(data[:whole], "<i2").astype(np.float32) / 32768.0

    def close(self) -> None:
        if self._carry:
            log.warning("audio stream ended inside a sample; dropped %d byte", len(self._carry))
            self._carry = b""
