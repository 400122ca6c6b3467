"""Small local servers that speak the real wire formats (HTTP/1.1 on 127.0.0.1, server-sent
events written chunk by chunk, with real pauses between them)."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/health":  # llama.cpp's server: 200 once the model is loaded
            return self._json(200, {"status": "ok"})
        return self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if self.server.drop > 0:  # read, then hang up without an answer (a dropped connection)
            self.server.drop -= 1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.server.key and self.server.key not in (self.headers.get("x-api-key"),
                                                       self.headers.get("Authorization", "")[7:]):
            refused = ({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
                       if "chat/completions" in self.path else
                       {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
            return self._json(401, refused)
        mode = self.server.mode
        if mode == "broken":
            return self._json(500, {"error": {"message": "model overloaded"}})
        if mode == "slow":
            time.sleep(self.server.delay)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for i, frame in enumerate(self.server.frames(self.path)):
                self._chunk(frame.encode())
                if mode == "drip" and i == self.server.pause_after:
                    time.sleep(self.server.delay)
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class ChatServer(ThreadingHTTPServer):
    """``mode``: ok | drip (pause mid-stream) | slow (pause before answering) | broken (HTTP 500);
    ``drop`` = n: the next n connections hang up after the request; ``key``: the only key let in."""

    daemon_threads = True

    def __init__(self, pieces: list[str], *, mode: str = "ok", delay: float = 1.0, pause_after: int = 2) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pieces, self.mode, self.delay, self.pause_after = pieces, mode, delay, pause_after
        self.drop, self.key = 0, ""
        self.requests: list[dict] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def frames(self, path: str):
        if "chat/completions" in path:  # OpenAI-compatible
            yield 'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant"}}]}\n\n'
            for p in self.pieces:
                yield "data: " + json.dumps({"id": "c1", "object": "chat.completion.chunk",
                                             "choices": [{"index": 0, "delta": {"content": p}}]}) + "\n\n"
            yield 'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
            yield "data: [DONE]\n\n"
        else:  # Anthropic messages
            yield 'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","role":"assistant"}}\n\n'
            yield 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
            yield "event: ping\ndata: {\"type\": \"ping\"}\n\n"
            for p in self.pieces:
                yield "event: content_block_delta\ndata: " + json.dumps(
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}}) + "\n\n"
            yield 'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
            yield 'event: message_stop\ndata: {"type":"message_stop"}\n\n'

    def handle_error(self, request, client_address) -> None:
        pass  # a client that hangs up early (barge-in, timeout) is expected, not a server fault

    def close(self) -> None:
        self.shutdown()
        self.server_close()
