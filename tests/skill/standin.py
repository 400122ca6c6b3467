"""A stand-in for Pika's discontinued hosted API, speaking its wire format over real HTTP.

The hosted API no longer exists, so the skill's compatibility with it (both response shapes, the
first release's product field names, OpenAI-image and MiniMax-voice answers, sessions that reach
``ready``) is checked against this small server. Behaviour against selfcast's own server is tested
separately in ``test_against_selfcast_server.py``. Every request is recorded with its headers.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


def png_bytes(size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (200, 120, 80)).save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    json: Any = None
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, str, bytes]] = field(default_factory=dict)  # name -> (filename, type, bytes)


@dataclass
class StandinState:
    wrap: bool = False  # answer as {"data": {...}}
    legacy_products: bool = False  # product_id / title / num_credits (the first release)
    balance: int = 500
    # statuses returned by successive polls of a session; the last one repeats
    session_statuses: list[dict[str, Any]] = field(default_factory=lambda: [
        {"status": "joining"}, {"status": "waiting_room"},
        {"status": "ready", "video_worker_connected": True, "meeting_bot_connected": True},
    ])
    image_answer: str = "b64"  # b64 | url
    upload_base_resp: int = 0
    clone_base_resp: int = 0
    fail: dict[str, int] = field(default_factory=dict)  # "METHOD /path" -> HTTP status to answer with
    requests: list[Recorded] = field(default_factory=list)
    polls: int = 0
    deleted: list[str] = field(default_factory=list)
    paid_after_polls: int | None = None  # balance becomes 1000 after this many balance reads
    balance_reads: int = 0
    notes_status: str = "closed"  # the session's state while its notes are read
    notes_ready_after: int = 0  # notes polls answered with ready=false first
    notes_polls: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _record(self, raw: bytes) -> Recorded:
        rec = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/json") and raw:
            rec.json = json.loads(raw)
        elif ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            for part in msg.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True) or b""
                if filename:
                    rec.files[name] = (filename, part.get_content_type(), payload)
                else:
                    rec.fields[name] = payload.decode()
        self.server.state.requests.append(rec)
        return rec

    def _send(self, status: int, obj: Any, raw: bytes | None = None, ctype: str = "application/json") -> None:
        st = self.server.state
        if raw is None:
            if st.wrap and isinstance(obj, dict) and status < 400:
                obj = {"data": obj}
            raw = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _route(self) -> None:
        st = self.server.state
        self._record(self._body())
        path = self.path.split("?")[0]
        status = st.fail.get(f"{self.command} {path}")
        if status:
            return self._send(status, {"error": {"code": "standin_failure", "message": f"failure on {path}"}})
        if path == "/files/generated.png":  # a public file: no key needed (and none must be sent)
            return self._send(200, None, raw=png_bytes(), ctype="image/png")
        if not self.headers.get("Authorization", "").startswith("DevKey dk_"):
            return self._send(401, {"error": {"code": "unauthorized", "message": "invalid developer key"}})
        if path == "/developer/balance":
            st.balance_reads += 1
            if st.paid_after_polls is not None and st.balance_reads > st.paid_after_polls:
                st.balance = 1000
            return self._send(200, {"balance": st.balance})
        if path == "/developer/topup/products":
            if st.legacy_products:
                products = [{"product_id": "p800", "title": "800 tokens", "num_credits": 800},
                            {"product_id": "p2000", "title": "2,000 tokens", "num_credits": 2000}]
            else:
                products = [{"productId": "p2000", "name": "2,000 tokens", "numCredits": 2000},
                            {"productId": "p800", "name": "800 tokens", "numCredits": 800}]
            return self._send(200, {"products": products})
        if path == "/developer/topup":
            pid = st.requests[-1].json["product_id"]
            return self._send(200, {"checkout_url": f"http://checkout.example/{pid}"})
        if path == "/proxy/realtime/meeting-session" and self.command == "POST":
            return self._send(200, {"session_id": "sess_standin"})
        if path.startswith("/proxy/realtime/session/"):
            sid = path.rsplit("/", 1)[-1]
            if sid != "sess_standin":
                return self._send(404, {"error": {"code": "not_found", "message": f"no session {sid}"}})
            if self.command == "DELETE":
                st.deleted.append(sid)
                return self._send(200, {"session_id": sid, "status": "closed"})
            if sid in st.deleted:
                return self._send(200, {"session_id": sid, "status": "closed"})
            i = min(st.polls, len(st.session_statuses) - 1)
            st.polls += 1
            return self._send(200, {"session_id": sid, **st.session_statuses[i]})
        if path == "/v1/sessions/sess_standin/notes":  # selfcast's own route (notes are an extension)
            st.notes_polls += 1
            if st.notes_polls <= st.notes_ready_after or st.notes_status != "closed":
                return self._send(200, {"session_id": "sess_standin", "status": st.notes_status, "ready": False,
                                        "data": {}, "markdown": ""})
            return self._send(200, {"session_id": "sess_standin", "status": "closed", "ready": True, "data": {
                "summary": "Agreed to ship the API refactor on Friday.",
                "action_items": [{"owner": "Ada", "item": "write the migration guide"}]},
                "markdown": "# Notes\n\n- Ship the API refactor on Friday.\n- Ada: write the migration guide."})
        if path == "/proxy/openai/v1/images/generations":
            if st.image_answer == "url":
                return self._send_raw_json({"created": 1, "data": [{"url": "/files/generated.png"}]})
            return self._send_raw_json({"created": 1, "data": [{"b64_json": base64.b64encode(png_bytes()).decode()}]})
        if path == "/proxy/minimax/v1/files/upload":
            return self._send(200, {"file": {"file_id": 4242}, "base_resp": {
                "status_code": st.upload_base_resp, "status_msg": "bad audio" if st.upload_base_resp else "success"}})
        if path == "/proxy/minimax/v1/voice_clone":
            return self._send(200, {"base_resp": {
                "status_code": st.clone_base_resp, "status_msg": "clone refused" if st.clone_base_resp else "success"}})
        return self._send(404, {"error": {"code": "not_found", "message": f"no route {path}"}})

    def _send_raw_json(self, obj: Any) -> None:
        """OpenAI's images answer already has a top-level ``data`` list; it is never re-wrapped."""
        self._send(200, None, raw=json.dumps(obj).encode())

    do_GET = do_POST = do_DELETE = _route


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandinState


class PikaStandin:
    """``with PikaStandin() as s: s.url``: a running stand-in; ``s.state`` configures and records."""

    def __init__(self, state: StandinState | None = None) -> None:
        self.state = state or StandinState()
        self._srv = _Server(("127.0.0.1", 0), _Handler)
        self._srv.state = self.state
        self.url = f"http://127.0.0.1:{self._srv.server_address[1]}"
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)

    def __enter__(self) -> PikaStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._srv.shutdown()
        self._srv.server_close()

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path.split('?')[0]}" for r in self.state.requests]
