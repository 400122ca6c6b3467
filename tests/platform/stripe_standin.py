"""A local HTTP stand-in for the part of Stripe's API the platform calls (creating Checkout
Sessions), passed to the Stripe SDK as its base URL. It records every request so tests can check
what the SDK sent; nothing here talks to Stripe's servers. Also: signing webhook payloads exactly
as Stripe does (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeStandIn:
    requests: list[Recorded] = field(default_factory=list)
    sessions_by_key: dict[str, dict] = field(default_factory=dict)

    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = dict(parse_qsl(body, keep_blank_values=True))
                standin.requests.append(
                    Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, form)
                )
                if self.path != "/v1/checkout/sessions":
                    return self._send(
                        404,
                        {
                            "error": {
                                "message": f"stand-in has no {self.path}",
                                "type": "invalid_request_error",
                            }
                        },
                    )
                if form.get("line_items[0][price_data][unit_amount]", "0") == "0":
                    return self._send(
                        400, {"error": {"message": "amount missing", "type": "invalid_request_error"}}
                    )
                key = self.headers.get("Idempotency-Key", "")
                if key and key in standin.sessions_by_key:  # Stripe replays the first answer
                    return self._send(200, standin.sessions_by_key[key])
                sid = "cs_test_" + secrets.token_hex(12)
                obj = {
                    "id": sid,
                    "object": "checkout.session",
                    "url": f"https://checkout.stripe.test/c/pay/{sid}",
                    "client_reference_id": form.get("client_reference_id"),
                    "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
                    "payment_status": "unpaid",
                    "status": "open",
                }
                standin.sessions_by_key[key] = obj
                self._send(200, obj)

            def _send(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(event_type: str, obj: dict, event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "id": event_id or "evt_" + secrets.token_hex(10),
            "object": "event",
            "type": event_type,
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()
