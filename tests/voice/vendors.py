"""Local stand-ins for vendor speech APIs: real HTTP/1.1 servers on 127.0.0.1.

Each checks a request the way the vendor documents it (method, path, auth header, body fields and
their ranges, query) and answers in the vendor's wire format with real speech from espeak-ng,
sent in pieces as a streaming server sends them:

- ElevenLabs ``POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_<rate>``,
  ``xi-api-key``; raw 16-bit little-endian PCM, chunked; a bad key is HTTP 401 with
  ``{"detail": {"status": "invalid_api_key", "message": ...}}``, a bad body HTTP 422.
- MiniMax ``POST /v1/t2a_v2``, ``Authorization: Bearer``; with ``stream`` server-sent events
  ``data: {"data": {"audio": "<hex>", "status": 1}, "trace_id", "base_resp"}`` and a last
  ``status: 2`` event (with the whole audio again unless ``stream_options.exclude_aggregated_audio``),
  else one JSON answer; failures are HTTP 200 with ``base_resp.status_code`` (1004 refused key,
  2013 invalid params).
- OpenAI-compatible ``POST /v1/audio/speech``, ``Authorization: Bearer``, answered with espeak-ng's
  own streamed WAV (its header carries placeholder sizes, as streaming servers' do).

``drop`` = n: the next n connections are closed after the request is read, with no answer.
The stand-ins speak PCM only (what our providers ask for); any other audio format is refused.
"""

from __future__ import annotations

import functools
import json
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import soxr

ESPEAK_RATE = 22050


@functools.lru_cache(maxsize=64)
def espeak_wav(text: str) -> bytes:
    """espeak-ng's WAV for ``text`` exactly as it writes it to a pipe (22,050 Hz, 16-bit mono)."""
    return subprocess.run(["espeak-ng", "--stdout", "-v", "en-us", text], check=True, capture_output=True).stdout


def espeak_pcm(text: str, rate: int) -> np.ndarray:
    """The same speech as int16 samples at ``rate``."""
    raw = espeak_wav(text)
    pcm = np.frombuffer(raw[44:][: (len(raw) - 44) // 2 * 2], "<i2").astype(np.float32) / 32768.0
    if rate != ESPEAK_RATE:
        pcm = soxr.resample(pcm, ESPEAK_RATE, rate)
    return (np.clip(pcm, -1, 1) * 32767).round().astype("<i2")


class Request:
    """What the stand-in received, for the tests to look at."""

    def __init__(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        url = urlsplit(handler.path)
        self.method = handler.command
        self.path = url.path
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


class StandIn(ThreadingHTTPServer):
    """A vendor on a free port. ``sent`` maps each spoken text to the int16 samples sent for it."""

    daemon_threads = True

    def __init__(self, key: str, *, piece_bytes: int = 3001, pause_s: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.key = key
        self.piece_bytes = piece_bytes  # odd on purpose: samples straddle two network pieces
        self.pause_s = pause_s  # after the first piece: shows whether the client streams
        self.drop = 0
        self.requests: list[Request] = []
        self.connections = 0
        self.sent: dict[str, np.ndarray] = {}
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def answer(self, h: _Handler, req: Request) -> None:
        raise NotImplementedError

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        pass  # a client that hangs up early (barge-in) is expected

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StandIn

    def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
        pass

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        req = Request(self, body)
        self.server.requests.append(req)
        if self.server.drop > 0:  # a dropped connection: the request was read, no answer follows
            self.server.drop -= 1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.server.answer(self, req)

    def send_json(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_chunked(self, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.chunk(b"")


# --------------------------------------------------------------------------------------------- ElevenLabs

EL_BODY = {"text", "model_id", "language_code", "voice_settings", "pronunciation_dictionary_locators", "seed",
           "previous_text", "next_text", "previous_request_ids", "next_request_ids", "apply_text_normalization",
           "apply_language_text_normalization", "use_pvc_as_ivc"}
EL_VOICE_SETTINGS = {"stability": (0.0, 1.0), "similarity_boost": (0.0, 1.0), "style": (0.0, 1.0),
                     "speed": (0.7, 1.2), "use_speaker_boost": None}
EL_QUERY = {"output_format", "enable_logging", "optimize_streaming_latency"}
EL_PCM = {f"pcm_{r}": r for r in (8000, 16000, 22050, 24000, 44100, 48000)}
EL_FORMATS = {*EL_PCM, "mp3_22050_32", "mp3_44100_64", "mp3_44100_128", "mp3_44100_192", "ulaw_8000", "alaw_8000",
              "opus_48000_64"}


class ElevenLabs(StandIn):
    def answer(self, h: _Handler, req: Request) -> None:
        m = re.fullmatch(r"/v1/text-to-speech/([^/]+)/stream", req.path)
        if req.method != "POST" or not m:
            return h.send_json(404, {"detail": "Not Found"})
        if req.headers.get("xi-api-key") != self.key:
            return h.send_json(401, {"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})
        problems = _el_problems(req)
        if problems:
            return h.send_json(422, {"detail": [{"loc": loc, "msg": msg, "type": "value_error"}
                                                for loc, msg in problems]})
        fmt = req.query.get("output_format", "mp3_44100_128")
        if fmt not in EL_PCM:
            return h.send_json(400, {"detail": {"status": "stand_in", "message": f"the stand-in sends PCM only, not {fmt}"}})
        pcm = espeak_pcm(req.json["text"], EL_PCM[fmt])
        self.sent[req.json["text"]] = pcm
        data = pcm.tobytes()
        h.start_chunked("audio/pcm")
        for i in range(0, len(data), self.piece_bytes):
            h.chunk(data[i:i + self.piece_bytes])
            if i == 0 and self.pause_s:
                time.sleep(self.pause_s)
        h.end_chunked()


def _el_problems(req: Request) -> list[tuple[list[str], str]]:
    out: list[tuple[list[str], str]] = []
    if not req.headers.get("content-type", "").startswith("application/json") or not isinstance(req.json, dict):
        return [(["body"], "a JSON object is required")]
    body = req.json
    out += [(["query", k], "unexpected query parameter") for k in req.query if k not in EL_QUERY]
    if req.query.get("output_format", "mp3_44100_128") not in EL_FORMATS:
        out.append((["query", "output_format"], "not a supported output format"))
    out += [(["body", k], "extra fields not permitted") for k in body if k not in EL_BODY]
    if not isinstance(body.get("text"), str) or not body["text"].strip():
        out.append((["body", "text"], "field required (a non-empty string)"))
    if "model_id" in body and not isinstance(body["model_id"], str):
        out.append((["body", "model_id"], "must be a string"))
    vs = body.get("voice_settings")
    if vs is not None:
        if not isinstance(vs, dict):
            return [*out, (["body", "voice_settings"], "must be an object")]
        for k, v in vs.items():
            if k not in EL_VOICE_SETTINGS:
                out.append((["body", "voice_settings", k], "extra fields not permitted"))
            elif EL_VOICE_SETTINGS[k] is None:
                if not isinstance(v, bool):
                    out.append((["body", "voice_settings", k], "must be a boolean"))
            elif not isinstance(v, (int, float)) or not EL_VOICE_SETTINGS[k][0] <= v <= EL_VOICE_SETTINGS[k][1]:
                out.append((["body", "voice_settings", k], f"must be within {EL_VOICE_SETTINGS[k]}"))
    return out


# --------------------------------------------------------------------------------------------- MiniMax

MM_MODELS = {"speech-2.8-hd", "speech-2.8-turbo", "speech-2.6-hd", "speech-2.6-turbo", "speech-02-hd",
             "speech-02-turbo", "speech-01-hd", "speech-01-turbo"}
MM_BODY = {"model", "text", "voice_setting", "audio_setting", "stream", "stream_options", "output_format",
           "subtitle_enable", "subtitle_type", "language_boost", "pronunciation_dict", "voice_modify", "timbre_weights"}
MM_VOICE = {"voice_id", "speed", "vol", "pitch", "emotion", "text_normalization", "latex_read"}
MM_AUDIO = {"sample_rate": {8000, 16000, 22050, 24000, 32000, 44100}, "bitrate": {32000, 64000, 128000, 256000},
            "format": {"mp3", "pcm", "flac", "wav", "pcmu_raw", "pcmu_wav", "opus"}, "channel": {1, 2},
            "force_cbr": {True, False}}
MM_EMOTIONS = {"happy", "sad", "angry", "fearful", "disgusted", "surprised", "calm", "fluent", "whisper"}
OK = {"status_code": 0, "status_msg": "success"}


class MiniMax(StandIn):
    """``fail_midway`` = a ``base_resp`` code sent after the first audio event; ``truncate``: the
    stream ends without its ``status: 2`` event; ``aggregate_always``: the last event repeats the
    whole audio even when asked not to."""

    def __init__(self, key: str, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(key, **kw)
        self.fail_midway = 0
        self.truncate = False
        self.aggregate_always = False

    def answer(self, h: _Handler, req: Request) -> None:
        if req.method != "POST" or req.path != "/v1/t2a_v2":
            return h.send_json(404, {"base_resp": {"status_code": 404, "status_msg": "not found"}})
        if req.headers.get("authorization") != f"Bearer {self.key}":
            return h.send_json(200, {"base_resp": {"status_code": 1004, "status_msg": "not authorized"}})
        problem = _mm_problem(req)
        if problem:
            return h.send_json(200, {"base_resp": {"status_code": 2013, "status_msg": f"invalid params, {problem}"}})
        body, audio = req.json, req.json.get("audio_setting") or {}
        if audio.get("format", "mp3") != "pcm" or audio.get("channel", 1) != 1:
            return h.send_json(200, {"base_resp": {"status_code": 2013, "status_msg": "the stand-in sends mono pcm only"}})
        rate = audio.get("sample_rate", 32000)
        pcm = espeak_pcm(body["text"], rate)
        self.sent[body["text"]] = pcm
        data = pcm.tobytes()
        extra = {"audio_length": int(len(pcm) * 1000 / rate), "audio_sample_rate": rate, "audio_size": len(data),
                 "bitrate": 128000, "word_count": len(body["text"].split()), "invisible_character_ratio": 0,
                 "usage_characters": len(body["text"]), "audio_format": "pcm", "audio_channel": 1}
        if not body.get("stream"):
            return h.send_json(200, {"data": {"audio": data.hex(), "status": 2, "ced": ""}, "extra_info": extra,
                                     "trace_id": "stand-in", "base_resp": OK})
        h.start_chunked("text/event-stream")
        for n, i in enumerate(range(0, len(data), self.piece_bytes)):
            h.chunk(_event({"data": {"audio": data[i:i + self.piece_bytes].hex(), "status": 1, "ced": ""},
                            "trace_id": "stand-in", "base_resp": OK}))
            if n == 0 and self.pause_s:
                time.sleep(self.pause_s)
            if n == 0 and self.fail_midway:
                h.chunk(_event({"base_resp": {"status_code": self.fail_midway, "status_msg": "rate limit"}}))
                return h.end_chunked()
        if not self.truncate:
            excluded = (body.get("stream_options") or {}).get("exclude_aggregated_audio")
            whole = "" if excluded and not self.aggregate_always else data.hex()
            h.chunk(_event({"data": {"audio": whole, "status": 2, "ced": ""}, "extra_info": extra,
                            "trace_id": "stand-in", "base_resp": OK}))
        h.end_chunked()


def _event(message: dict) -> bytes:
    return b"data: " + json.dumps(message).encode() + b"\n\n"


def _mm_problem(req: Request) -> str:
    body = req.json
    if not req.headers.get("content-type", "").startswith("application/json") or not isinstance(body, dict):
        return "the body must be JSON"
    extra = set(body) - MM_BODY
    if extra:
        return f"unknown fields {sorted(extra)}"
    if body.get("model") not in MM_MODELS:
        return f"model {body.get('model')!r} is not a speech model"
    text = body.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) >= 10_000:
        return "text must be 1-9999 characters"
    vs = body.get("voice_setting")
    if not isinstance(vs, dict) or not isinstance(vs.get("voice_id"), str) or not vs["voice_id"]:
        return "voice_setting.voice_id is required"
    if set(vs) - MM_VOICE:
        return f"unknown voice_setting fields {sorted(set(vs) - MM_VOICE)}"
    if "speed" in vs and not 0.5 <= vs["speed"] <= 2:
        return "voice_setting.speed must be in [0.5, 2]"
    if "vol" in vs and not 0 < vs["vol"] <= 10:
        return "voice_setting.vol must be in (0, 10]"
    if "pitch" in vs and (not isinstance(vs["pitch"], int) or not -12 <= vs["pitch"] <= 12):
        return "voice_setting.pitch must be an integer in [-12, 12]"
    if "emotion" in vs and vs["emotion"] not in MM_EMOTIONS:
        return "voice_setting.emotion is not one of the documented emotions"
    audio = body.get("audio_setting") or {}
    for k, v in audio.items():
        if k not in MM_AUDIO or v not in MM_AUDIO[k]:
            return f"audio_setting.{k} = {v!r} is not allowed"
    if "stream" in body and not isinstance(body["stream"], bool):
        return "stream must be a boolean"
    if body.get("stream") and audio.get("format") == "wav":
        return "wav is only for non-streaming output"
    so = body.get("stream_options")
    if so is not None and (not isinstance(so, dict) or set(so) - {"exclude_aggregated_audio"}):
        return "stream_options takes exclude_aggregated_audio only"
    if body.get("stream") and body.get("output_format", "hex") != "hex":
        return "streaming output is hex"
    return ""


# --------------------------------------------------------------------------------------------- OpenAI-compatible

OPENAI_FORMATS = {"mp3", "opus", "aac", "flac", "wav", "pcm"}


class OpenAISpeech(StandIn):
    def answer(self, h: _Handler, req: Request) -> None:
        if req.method != "POST" or req.path != "/v1/audio/speech":
            return h.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
        if req.headers.get("authorization") != f"Bearer {self.key}":
            return h.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                               "code": "invalid_api_key"}})
        body = req.json
        if (not isinstance(body, dict) or not body.get("model") or not body.get("voice")
                or not isinstance(body.get("input"), str) or body.get("response_format", "mp3") not in OPENAI_FORMATS):
            return h.send_json(400, {"error": {"message": "model, input and voice are required",
                                               "type": "invalid_request_error"}})
        if body.get("response_format") != "wav":
            return h.send_json(400, {"error": {"message": "the stand-in sends wav only"}})
        wav = espeak_wav(body["input"])
        self.sent[body["input"]] = espeak_pcm(body["input"], ESPEAK_RATE)
        h.start_chunked("audio/wav")
        for i in range(0, len(wav), self.piece_bytes):
            h.chunk(wav[i:i + self.piece_bytes])
        h.end_chunked()

