"""Speech from HTTP providers, sentence by sentence, behind the same ``TTSEngine`` interface.

- ``openai``: any OpenAI-compatible ``POST {url}/v1/audio/speech`` (OpenAI, LocalAI, Kokoro-FastAPI,
  openedai-speech ...), asked for WAV.
- ``elevenlabs``: ``POST {url}/v1/text-to-speech/{voice_id}`` with ``xi-api-key``, 22,050 Hz PCM.
- ``minimax``: ``POST {url}/v1/t2a_v2`` (hex audio in ``data.audio``), the API Pika's skill targeted.

Keys travel only in request headers and never appear in errors or logs.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import numpy as np

from selfcast.errors import BadInput, Timeout, Unauthorized, Unavailable
from selfcast.media.audio_io import decode_audio
from selfcast.media.frames import AudioChunk
from selfcast.media.resample import resample
from selfcast.voice.textnorm import split_sentences
from selfcast.voice.tts import TTSEngine

DEFAULT_URLS = {"openai": "https://api.openai.com", "elevenlabs": "https://api.elevenlabs.io",
                "minimax": "https://api.minimax.io"}
DEFAULT_MODELS = {"openai": "gpt-4o-mini-tts", "elevenlabs": "eleven_flash_v2_5", "minimax": "speech-02-turbo"}


class HTTPTTS(TTSEngine):
    def __init__(self, kind: str, *, url: str, key: str, model: str, voice_id: str, sample_rate: int = 24000,
                 timeout_s: float = 30.0, client: httpx.Client | None = None) -> None:
        if kind not in DEFAULT_URLS:
            raise BadInput(f"unknown voice provider {kind!r}; use embedded, openai, elevenlabs or minimax")
        self.kind = kind
        self.url = (url or DEFAULT_URLS[kind]).rstrip("/")
        self._key = key
        self.model = model or DEFAULT_MODELS[kind]
        self.voice_id = voice_id
        self.sample_rate = sample_rate
        self._client = client or httpx.Client(timeout=timeout_s)

    def _request(self, text: str, voice_id: str) -> bytes:
        if self.kind == "openai":
            req = dict(url=f"{self.url}/v1/audio/speech", headers={"Authorization": f"Bearer {self._key}"},
                       json={"model": self.model, "input": text, "voice": voice_id, "response_format": "wav"})
        elif self.kind == "elevenlabs":
            req = dict(url=f"{self.url}/v1/text-to-speech/{voice_id}", params={"output_format": "pcm_22050"},
                       headers={"xi-api-key": self._key}, json={"text": text, "model_id": self.model})
        else:
            req = dict(url=f"{self.url}/v1/t2a_v2", headers={"Authorization": f"Bearer {self._key}"},
                       json={"model": self.model, "text": text, "stream": False,
                             "voice_setting": {"voice_id": voice_id, "speed": 1.0},
                             "audio_setting": {"sample_rate": self.sample_rate, "format": "wav", "channel": 1}})
        try:
            r = self._client.post(**req)
        except httpx.TimeoutException as exc:
            raise Timeout(f"voice provider {self.kind} at {self.url} timed out") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"voice provider {self.kind} at {self.url} is unreachable ({type(exc).__name__})") from exc
        if r.status_code in (401, 403):
            raise Unauthorized(f"voice provider {self.kind} refused the key (HTTP {r.status_code}); "
                               "check SELFCAST_VOICE__KEY")
        if r.status_code >= 400:
            raise Unavailable(f"voice provider {self.kind} answered HTTP {r.status_code}: {r.text[:200]}")
        if self.kind == "minimax":
            body = r.json()
            base = body.get("base_resp") or {}
            if base.get("status_code", 0) != 0:
                raise Unavailable(f"MiniMax refused the request: {base.get('status_msg', 'unknown error')}")
            return bytes.fromhex(body["data"]["audio"])
        return r.content

    def _decode(self, data: bytes) -> np.ndarray:
        if self.kind == "elevenlabs":  # raw 16-bit little-endian PCM at 22,050 Hz
            pcm = np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float32) / 32768.0
            return resample(pcm, 22050, self.sample_rate)
        pcm, _ = decode_audio(data, self.sample_rate)
        return pcm

    def stream(self, text: str, *, voice_id: str | None = None) -> Iterator[AudioChunk]:
        vid = voice_id or self.voice_id
        pieces = split_sentences(text)
        pts = 0.0
        for i, piece in enumerate(pieces):
            audio = self._decode(self._request(piece, vid))
            chunk = AudioChunk(audio, self.sample_rate, pts=pts, final=i == len(pieces) - 1,
                               meta={"text": piece, "voice_id": vid, "provider": self.kind})
            pts += chunk.duration
            yield chunk
