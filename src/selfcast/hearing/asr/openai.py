"""Recognition by any OpenAI-compatible ``POST {url}/audio/transcriptions`` (OpenAI, faster-whisper-server,
vLLM, LocalAI). ``url`` is the API base with its version, as the OpenAI SDK takes it
(``https://api.openai.com/v1``). One utterance is one multipart request with a 16-bit WAV; the
HTTP client (``selfcast.providers.http``) sends it again when the connection fails or drops
before an answer, and turns refusals into clear errors.
"""

from __future__ import annotations

import httpx
import numpy as np

from selfcast.errors import BadInput
from selfcast.hearing.asr.base import ASR
from selfcast.hearing.languages import check_language
from selfcast.media.audio_io import encode_wav
from selfcast.providers.http import Endpoint, HTTPClient, Retry, timeouts

CHECK = "hearing.url, hearing.key and hearing.model (SELFCAST_HEARING__*)"


class OpenAIASR(ASR):
    name = "openai"

    def __init__(self, url: str, key: str = "", model: str = "whisper-1", timeout_s: float = 10.0, *,
                 retry: Retry | None = None, transport: httpx.BaseTransport | None = None, language: str = "en") -> None:
        if not url:
            raise BadInput("hearing.provider=openai needs hearing.url (e.g. https://api.openai.com/v1)")
        self.model = model or "whisper-1"
        self.language = check_language(language)
        endpoint = Endpoint("the transcription API", url, headers={"Authorization": f"Bearer {key}"} if key else {},
                            secret=key, check=CHECK, timeout=timeouts(timeout_s), retry=retry or Retry())
        self.http = HTTPClient(endpoint, transport=transport)

    def transcribe(self, pcm: np.ndarray, *, prompt: str = "") -> str:
        data = {"model": self.model, "response_format": "json", "language": self.language}
        if prompt:
            data["prompt"] = prompt
        r = self.http.request("POST", "/audio/transcriptions", data=data,
                              files={"file": ("audio.wav", encode_wav(pcm, 16_000), "audio/wav")})
        if "json" not in r.headers.get("content-type", ""):
            return r.text.strip()
        try:
            body = r.json()
        except ValueError as exc:
            raise BadInput(f"the transcription API sent invalid JSON; is hearing.url right? ({r.text[:80]!r})") from exc
        return str(body.get("text", "") if isinstance(body, dict) else "").strip()

    def close(self) -> None:
        self.http.close()
