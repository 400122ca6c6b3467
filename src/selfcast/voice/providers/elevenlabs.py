"""ElevenLabs: ``POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_{rate}``.

The key goes in ``xi-api-key``; the body is ``{"text", "model_id", "voice_settings"?}``; the
answer is raw 16-bit little-endian mono PCM at the asked rate, sent in chunks as it is
generated. A refused key is HTTP 401 with ``{"detail": {"status": "invalid_api_key", ...}}``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from urllib.parse import quote

import httpx
import numpy as np

from selfcast.providers.http import Retry
from selfcast.voice.providers.base import PCM16, HttpTTS


class ElevenLabsTTS(HttpTTS):
    name = "elevenlabs"
    vendor = "ElevenLabs"
    default_url = "https://api.elevenlabs.io"
    default_model = "eleven_flash_v2_5"
    sample_rates = (8000, 16000, 22050, 24000, 44100, 48000)

    def __init__(self, *, voice_id: str | None = None, url: str = "", key: str = "", model: str = "",
                 sample_rate: int = 24_000, voice_settings: Mapping[str, float | bool] | None = None,
                 read_timeout_s: float = 15.0, retry: Retry | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(voice_id=voice_id, url=url, key=key, model=model, sample_rate=sample_rate,
                         read_timeout_s=read_timeout_s, retry=retry, transport=transport)
        self.voice_settings = dict(voice_settings) if voice_settings else None  # stability, similarity_boost, ...

    def _auth(self, key: str) -> dict[str, str]:
        return {"xi-api-key": key}

    def _pcm(self, text: str, voice_id: str) -> Iterator[np.ndarray]:
        body: dict[str, object] = {"text": text, "model_id": self.model}
        if self.voice_settings:
            body["voice_settings"] = self.voice_settings
        decoder = PCM16()
        with self.http.stream("POST", f"/v1/text-to-speech/{quote(voice_id, safe='')}/stream",
                              params={"output_format": f"pcm_{self.sample_rate}"}, json=body) as response:
            for data in response.iter_bytes():
                yield decoder.feed(data)
        decoder.close()
