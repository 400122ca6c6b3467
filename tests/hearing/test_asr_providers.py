"""The OpenAI-compatible recogniser against a local stand-in of ``POST /v1/audio/transcriptions``
(multipart, as documented) that transcribes what it receives with the embedded Whisper: a dropped
connection is sent again, a refused key and an unreachable server are clear errors, the session's
language goes in the ``language`` field."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import wave
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
import soundfile as sf

from selfcast.errors import Unauthorized, Unavailable
from selfcast.hearing.asr import OpenAIASR, WhisperASR
from selfcast.providers.http import Retry

KEY = "sk-stand-in-key-0123456789abcdef"
FAST = Retry(attempts=3, backoff_s=0.01)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Transcriptions

    def log_message(self, *a) -> None:  # type: ignore[no-untyped-def]
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append(body)
        if self.server.drop > 0:  # read, then hang up without an answer
            self.server.drop -= 1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._json(401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})
        if self.path != "/v1/audio/transcriptions" or not self.headers["Content-Type"].startswith("multipart/form-data"):
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        msg = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        fields = {p.get_param("name", header="content-disposition"): p for p in msg.iter_parts()}
        if fields.get("model") is None or fields.get("file") is None:
            return self._json(400, {"error": {"message": "model and file are required"}})
        with wave.open(io.BytesIO(fields["file"].get_content())) as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (16_000, 1, 2):
                return self._json(400, {"error": {"message": "expected 16 kHz mono 16-bit WAV"}})
            pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        lang = fields["language"].get_content().strip() if fields.get("language") is not None else "en"
        self._json(200, {"text": self.server.recogniser(lang).transcribe(pcm)})

    def _json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Transcriptions(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, asr: WhisperASR) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.asr, self.drop, self.bodies = asr, 0, []
        self.others: dict[str, WhisperASR] = {}  # the API's ``language`` field, honoured as OpenAI does
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def recogniser(self, language: str) -> WhisperASR:
        if language == self.asr.language:
            return self.asr
        if language not in self.others:
            self.others[language] = WhisperASR(language=language)
        return self.others[language]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture
def server(whisper: WhisperASR) -> Iterator[_Transcriptions]:
    s = _Transcriptions(whisper)
    yield s
    s.shutdown()
    s.server_close()
    for other in s.others.values():
        other.close()


def test_a_dropped_connection_is_sent_again(server: _Transcriptions, jfk_wav) -> None:  # type: ignore[no-untyped-def]
    pcm, _ = sf.read(jfk_wav, dtype="float32")
    server.drop = 1
    asr = OpenAIASR(server.url, KEY, "whisper-1", retry=FAST)
    text = asr.transcribe(pcm)
    asr.close()
    assert "ask not what your country can do for you" in text.lower()
    first, again = (b.replace(b.split(b"\r\n", 1)[0], b"--") for b in server.bodies)  # less the boundaries
    assert first == again and len(first) > 2 * len(pcm)  # the same upload, sent again


def test_refusals_and_unreachable_servers_are_clear_errors(server: _Transcriptions) -> None:
    wrong = "sk-wrong-0123456789"
    with pytest.raises(Unauthorized, match=r"transcription API refused the key \(HTTP 401: Incorrect API key") as e:
        OpenAIASR(server.url, wrong).transcribe(np.zeros(16_000, np.float32))
    assert wrong not in str(e.value) and "hearing.key" in str(e.value)
    server.drop = 5
    with pytest.raises(Unavailable, match=r"not reachable \(RemoteProtocolError after 3 attempts\)"):
        OpenAIASR(server.url, KEY, retry=FAST).transcribe(np.zeros(16_000, np.float32))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    with pytest.raises(Unavailable, match=r"not reachable \(ConnectError after 3 attempts\)"):
        OpenAIASR(f"http://127.0.0.1:{port}/v1", KEY).transcribe(np.zeros(16_000, np.float32))
    assert time.perf_counter() - t0 < 2.0


def test_the_session_language_is_sent_as_the_api_expects(server: _Transcriptions) -> None:
    from tests.hearing.speech import say, silence

    german = np.concatenate([silence(0.3), say("Ich komme aus Deutschland.", voice="de", rate=120), silence(0.3)])
    de = OpenAIASR(server.url, KEY, language="de", retry=FAST)
    try:
        assert "ich komme aus deutschland" in de.transcribe(german).lower()
    finally:
        de.close()
    assert b'name="language"\r\n\r\nde\r\n' in server.bodies[-1]
