"""The images provider (async) against a local stand-in of ``POST /v1/images/generations`` that checks
the body as OpenAI documents it (``gpt-image-*`` refuses ``response_format``), answers a real PNG,
and can drop a connection or hand out a link on another host."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from selfcast.avatar.generator import generate_avatar
from selfcast.avatar.images import OpenAIImages
from selfcast.errors import Unauthorized, Unavailable
from selfcast.providers.http import Retry
from selfcast.settings import AvatarSettings

KEY = "sk-stand-in-key-0123456789abcdef"
FAST = Retry(attempts=3, backoff_s=0.01)
SIZES = {"auto", "1024x1024", "1536x1024", "1024x1536", "256x256", "512x512", "1792x1024", "1024x1792"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *a) -> None:  # type: ignore[no-untyped-def]
        pass

    def do_GET(self) -> None:  # the CDN side: a generated file behind a link
        self.server.seen.append(("GET", self.path, self.headers.get("Authorization"), None))
        self._send(200, self.server.png, "image/png")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append(("POST", self.path, self.headers.get("Authorization"), body))
        if self.server.drop > 0:
            self.server.drop -= 1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.headers.get("Authorization") != f"Bearer {KEY}":
            return self._error(401, "Incorrect API key provided", "invalid_api_key")
        if self.path != "/v1/images/generations":
            return self._error(404, f"Invalid URL (POST {self.path})", "unknown_url")
        model = str(body.get("model", ""))
        if "response_format" in body and model.startswith("gpt-image"):
            return self._error(400, "Unknown parameter: 'response_format'.", "unknown_parameter")
        if not body.get("prompt") or body.get("n", 1) != 1 or body.get("size", "auto") not in SIZES:
            return self._error(400, "prompt is required; n and size must be valid", "invalid_value")
        if model.startswith("gpt-image") or body.get("response_format") == "b64_json":
            item = {"b64_json": base64.b64encode(self.server.png).decode()}
        else:
            item = {"url": f"{self.server.cdn}/files/portrait.png"}
        payload = json.dumps({"created": 1, "data": [item]}).encode()
        self._send(200, payload, "application/json")

    def _error(self, status: int, message: str, code: str) -> None:
        payload = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, data: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, png: bytes, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), _Handler)
        self.png, self.drop, self.cdn = png, 0, ""
        self.seen: list[tuple[str, str, str | None, dict | None]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"


@pytest.fixture
def api(astronaut_png: Path) -> Iterator[_Server]:
    api, cdn = _Server(astronaut_png.read_bytes()), _Server(astronaut_png.read_bytes(), "127.0.0.2")
    api.cdn = cdn.url
    api.cdn_server = cdn  # type: ignore[attr-defined]
    yield api
    for s in (api, cdn):
        s.shutdown()
        s.server_close()


def _rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


async def test_gpt_image_gets_no_response_format_and_a_dropped_connection_is_sent_again(api: _Server,
                                                                                     astronaut_png: Path) -> None:
    api.drop = 1
    async with OpenAIImages(url=api.url + "/v1", key=KEY, model="gpt-image-1", retry=FAST) as images:
        png = await images.generate("a pilot", "anime")
    assert np.array_equal(_rgb(png), _rgb(astronaut_png.read_bytes()))
    (_, path, auth, body), again = api.seen
    assert again == api.seen[0] and path == "/v1/images/generations" and auth == f"Bearer {KEY}"
    assert body["model"] == "gpt-image-1" and "response_format" not in body and "a pilot" in body["prompt"]


async def test_a_link_is_downloaded_without_the_key(api: _Server) -> None:
    async with OpenAIImages(url=api.url + "/v1/images/generations", key=KEY, model="flux-schnell") as images:
        png = await images.generate("a pilot", "3d")
    assert _rgb(png).shape == (512, 512, 3)
    cdn: _Server = api.cdn_server  # type: ignore[attr-defined]
    assert cdn.seen == [("GET", "/files/portrait.png", None, None)]  # the key stayed with the API host


def test_refusals_are_clear_errors_through_generate_avatar(api: _Server) -> None:
    wrong = "sk-wrong-0123456789"
    with pytest.raises(Unauthorized, match=r"images endpoint refused the key \(HTTP 401: Incorrect API key") as e:
        generate_avatar("a pilot", settings=AvatarSettings(images_url=api.url + "/v1", images_key=wrong))
    assert wrong not in str(e.value) and "avatar.images_key" in str(e.value)
    api.drop = 3
    with pytest.raises(Unavailable, match=r"not reachable \(RemoteProtocolError after 3 attempts\)"):
        generate_avatar("a pilot", settings=AvatarSettings(images_url=api.url + "/v1", images_key=KEY))
