"""Small local servers that speak the real wire formats (HTTP/1.1 on 127.0.0.1, server-sent
events written chunk by chunk, with real pauses between them)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        mode = self.server.mode
        if mode == "broken":
            payload = b'{"error": {"message": "model overloaded"}}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
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

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class ChatServer(ThreadingHTTPServer):
    """``mode``: ok | drip (pause mid-stream) | slow (pause before answering) | broken (HTTP 500)."""

    daemon_threads = True

    def __init__(self, pieces: list[str], *, mode: str = "ok", delay: float = 1.0, pause_after: int = 2) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pieces, self.mode, self.delay, self.pause_after = pieces, mode, delay, pause_after
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
