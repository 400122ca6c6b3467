"""OpenAI-compatible speech: ``POST {url}/audio/speech`` (OpenAI, Kokoro-FastAPI, LocalAI, openedai-speech).

``url`` is the API base with its version, as the OpenAI SDK takes it (``https://api.openai.com/v1``).
We ask for WAV, the one format every compatible server sends, and read it as it streams: the
header says the rate (Piper-based servers send 22,050 Hz, OpenAI 24,000 Hz), the samples follow
and are resampled on the fly to ours.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import numpy as np

from selfcast.errors import Unavailable
from selfcast.media.resample import StreamResampler
from selfcast.voice.providers.base import HttpTTS


class OpenAITTS(HttpTTS):
    name = "openai"
    vendor = "the speech API"
    default_url = "https://api.openai.com/v1"
    default_model = "gpt-4o-mini-tts"
    sample_rates = (16000, 22050, 24000, 44100, 48000)  # any: the WAV says its rate and we resample

    def _auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _pcm(self, text: str, voice_id: str) -> Iterator[np.ndarray]:
        body = {"model": self.model, "input": text, "voice": voice_id, "response_format": "wav"}
        wav = WavStream()
        resampler: StreamResampler | None = None
        with self.http.stream("POST", "/audio/speech", json=body) as response:
            for data in response.iter_bytes():
                pcm = wav.feed(data)
                if wav.rate is None:
                    continue
                resampler = resampler or StreamResampler(wav.rate, self.sample_rate)
                yield resampler.process(pcm)
        if wav.rate is None:
            raise Unavailable("the speech API answered without a WAV header; is voice.url an OpenAI-compatible API?")
        if resampler is not None:
            yield resampler.flush()


class WavStream:
    """A RIFF/WAVE file read as it arrives: the header first, then 16-bit samples (mixed to mono).

    Streaming servers cannot know the length in advance, so the sizes in the header are ignored
    and the data chunk runs to the end of the answer.
    """

    def __init__(self) -> None:
        self._buf = b""
        self._in_data = False
        self._frame = 2
        self.channels = 1
        self.rate: int | None = None

    def feed(self, data: bytes) -> np.ndarray:
        self._buf += data
        if not self._in_data:
            self._header()
            if not self._in_data:
                return np.zeros(0, np.float32)
        whole = len(self._buf) // self._frame * self._frame
        raw, self._buf = self._buf[:whole], self._buf[whole:]
        pcm = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
        return pcm.reshape(-1, self.channels).mean(axis=1) if self.channels > 1 else pcm

    def _header(self) -> None:
        buf = self._buf
        if len(buf) < 12:
            return
        if buf[:4] != b"RIFF" or buf[8:12] != b"WAVE":
            raise Unavailable("the speech API did not send WAV audio (no RIFF/WAVE header)")
        pos = 12
        while len(buf) >= pos + 8:
            kind, size = buf[pos:pos + 4], struct.unpack("<I", buf[pos + 4:pos + 8])[0]
            if kind == b"data":
                if self.rate is None:
                    raise Unavailable("the speech API sent WAV data before its format chunk")
                self._buf, self._in_data = buf[pos + 8:], True
                return
            if len(buf) < pos + 8 + size:
                return  # the rest of this chunk is still on its way
            if kind == b"fmt ":
                fmt, channels, rate = struct.unpack("<HHI", buf[pos + 8:pos + 16])
                bits = struct.unpack("<H", buf[pos + 22:pos + 24])[0]
                if fmt not in (1, 0xFFFE) or bits != 16:
                    raise Unavailable(f"the speech API sent WAV format {fmt} with {bits}-bit samples; "
                                      "only 16-bit PCM is read")
                self.channels, self.rate, self._frame = channels, rate, 2 * channels
            pos += 8 + size + (size & 1)  # chunks are padded to an even length
