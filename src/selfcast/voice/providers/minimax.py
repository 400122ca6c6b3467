"""MiniMax: ``POST /v1/t2a_v2`` with ``Authorization: Bearer``, streamed.

The body asks for ``"stream": true`` and raw PCM (``audio_setting.format = "pcm"``) at our rate;
the answer is server-sent events whose ``data:`` is the same JSON as the one-shot answer:
``{"data": {"audio": "<hex>", "status": 1}, "base_resp": {"status_code": 0, ...}}``, then a last
event with ``status: 2`` (which would repeat the whole audio unless
``stream_options.exclude_aggregated_audio`` is set, as it is here, and is ignored either way).
MiniMax reports most failures, a refused key included (1004, 2049), as HTTP 200 with a non-zero
``base_resp.status_code``, sometimes as plain JSON instead of events; both are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
from httpx_sse import EventSource

from selfcast.errors import SelfcastError, Unauthorized, Unavailable
from selfcast.voice.providers.base import CHECK, PCM16, HttpTTS

AUTH_FAILED = {1004, 2049}  # "not authorized", "invalid api key"


class MiniMaxTTS(HttpTTS):
    name = "minimax"
    vendor = "MiniMax"
    default_url = "https://api.minimax.io"
    default_model = "speech-02-turbo"
    sample_rates = (8000, 16000, 22050, 24000, 32000, 44100)

    def _auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def _pcm(self, text: str, voice_id: str) -> Iterator[np.ndarray]:
        body = {"model": self.model, "text": text, "stream": True,
                "stream_options": {"exclude_aggregated_audio": True},
                "voice_setting": {"voice_id": voice_id, "speed": 1.0, "vol": 1.0, "pitch": 0},
                "audio_setting": {"sample_rate": self.sample_rate, "format": "pcm", "channel": 1}}
        decoder = PCM16()
        with self.http.stream("POST", "/v1/t2a_v2", json=body) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                response.read()  # a one-shot JSON answer: an error, or the whole audio at once
                audio = self._audio(_json(response.text), voice_id)
                if audio is None:
                    raise Unavailable("MiniMax answered without audio; check voice.model and the voice id")
                yield decoder.feed(audio)
                return
            done = False
            for event in EventSource(response).iter_sse():  # read to the end: the connection is reused
                message = _json(event.data)
                audio = self._audio(message, voice_id)
                done = done or (message.get("data") or {}).get("status") == 2  # its audio is the whole again
                if audio and not done:
                    yield decoder.feed(audio)
        if not done:
            raise Unavailable("MiniMax ended the stream before its last event (status 2); the sentence may be cut")
        decoder.close()

    def _audio(self, message: dict, voice_id: str) -> bytes | None:
        """The audio bytes of one message, after its ``base_resp`` says it succeeded."""
        base = message.get("base_resp") or {}
        code, said = int(base.get("status_code", 0) or 0), str(base.get("status_msg", ""))[:200]
        if code in AUTH_FAILED:
            raise Unauthorized(f"MiniMax refused the key ({code}: {said}); check {CHECK}")
        if code:
            raise _refused(code, said, voice_id)
        audio = (message.get("data") or {}).get("audio")
        if not audio:
            return None
        try:
            return bytes.fromhex(audio)
        except ValueError as exc:
            raise Unavailable("MiniMax sent audio that is not hex; is voice.url really MiniMax?") from exc


def _refused(code: int, said: str, voice_id: str) -> SelfcastError:
    if code in (1002, 1039, 1041):
        return Unavailable(f"MiniMax is rate-limiting ({code}: {said}); try again shortly")
    if code == 1008:
        return Unavailable(f"MiniMax says the account is out of balance ({code}: {said})")
    return Unavailable(f"MiniMax refused the request ({code}: {said}); check voice.model and the voice id "
                       f"{voice_id!r}")


def _json(text: str) -> dict:
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise Unavailable(f"MiniMax sent something that is not JSON: {text[:80]!r}") from exc
    if not isinstance(message, dict):
        raise Unavailable(f"MiniMax sent unexpected JSON: {text[:80]!r}")
    return message
