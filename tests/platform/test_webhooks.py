"""Webhooks end to end: a real receiver on 127.0.0.1 that is down at first, real worker processes
running the scripted session runner, real Standard Webhooks signatures checked with the
``standardwebhooks`` package, and a server restart between the events and their delivery."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from selfcast.platform import accounts, keys
from selfcast.platform.app import create_app
from selfcast.platform.store import Store
from selfcast.platform.store.models import WebhookDelivery
from selfcast.platform.webhooks import endpoints, outbox
from selfcast.platform.webhooks.dispatcher import WebhookDispatcher
from selfcast.platform.webhooks.secretbox import SecretBox
from selfcast.settings import Settings, WebhookSettings
from tests.platform.helpers import (
    auth,
    free_port,
    requests,
    scripted_executor,
    start_server,
    stop_server,
    wait_for,
)
from tests.platform.test_pika_contract import png_bytes

LEAKY_BODY = "receiver-internal-detail-7f3a"  # a receiver's error body: must never show up in the log


@dataclass
class Receiver:
    """An HTTP receiver that answers 500 to its first ``fail_first`` requests, then 204."""

    port: int
    fail_first: int = 0
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        recv = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with recv.lock:
                    recv.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    failing = len(recv.requests) <= recv.fail_first
                if failing:
                    self.send_response(500)
                    self.send_header("content-length", str(len(LEAKY_BODY)))
                    self.end_headers()
                    self.wfile.write(LEAKY_BODY.encode())
                else:
                    self.send_response(204)
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def verified(self, secret: str) -> dict[str, dict]:
        """Every request checked with the secret; deduplicated by ``webhook-id``."""
        out: dict[str, dict] = {}
        with self.lock:
            seen = list(self.requests)
        for headers, body in seen:
            payload = Webhook(secret).verify(body, headers)  # raises on a bad signature
            out.setdefault(headers["webhook-id"], payload)
        return out


BOX = SecretBox(b"k" * 32)  # the server's key, for tests that build the parts themselves
FAST = WebhookSettings(allow_loopback=True, timeout_s=3.0, retry_s=[0.3] * 40, poll_s=0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port(), fail_first=3)
    yield r
    r.stop()


def test_a_receiver_down_at_first_gets_every_event_once_per_id_signed_across_a_restart(
    psettings: Settings, receiver: Receiver
) -> None:
    settings = psettings.model_copy(update={"host": "127.0.0.1", "webhooks": FAST})
    live = start_server(settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0)
    try:
        u, (_, key) = live.url, live.account("hooks@x.io", credits=300)
        h = auth(key)
        made = requests.post(f"{u}/v1/webhooks", headers=h, json={"url": f"http://127.0.0.1:{receiver.port}/in"},
                             timeout=10)
        assert made.status_code == 201, made.text
        hook = made.json()
        assert hook["secret"].startswith("whsec_") and set(hook["events"]) == {
            "session.state", "transcript.segment", "notes.ready", "balance.low"}
        av = requests.post(f"{u}/v1/avatars", headers=h, files={"image": ("me.png", png_bytes(256), "image/png")},
                           timeout=10).json()
        s = requests.post(f"{u}/v1/sessions", headers=h, timeout=30,
                          json={"meet_url": "https://meet.jit.si/standup", "bot_name": "Ada", "avatar_id": av["id"]})
        assert s.status_code == 201, s.text
        sid = s.json()["session_id"]
        wait_for(lambda: requests.get(f"{u}/v1/sessions/{sid}", headers=h, timeout=10).json()["status"] == "ready")
        requests.post(f"{u}/v1/sessions/{sid}/leave", headers=h, timeout=10)
        wait_for(lambda: requests.get(f"{u}/v1/sessions/{sid}", headers=h, timeout=10).json()["status"] == "closed")
        # Nobody listens yet: every attempt so far was refused, and the log says so.
        log = wait_for(lambda: [d for d in requests.get(f"{u}/v1/webhooks/{hook['id']}/deliveries", headers=h,
                                                        timeout=10).json()["deliveries"] if d["attempts"] >= 1])
        assert all(d["status"] == "pending" and d["response_code"] is None and d["last_error"] for d in log)
    finally:
        stop_server(live)

    # A new server on the same database sends what is still owed once the receiver is up.
    receiver.start()
    again = start_server(settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0)
    try:
        def all_delivered() -> list[dict]:
            rows = requests.get(f"{again.url}/v1/webhooks/{hook['id']}/deliveries", headers=h,
                                timeout=10).json()["deliveries"]
            return rows if rows and all(d["status"] == "delivered" for d in rows) else []

        log = wait_for(all_delivered, timeout=60)
    finally:
        stop_server(again)

    got = receiver.verified(hook["secret"])
    assert len(receiver.requests) >= len(got) + 3  # the first three were answered 500 and retried
    assert set(got) == {d["message_id"] for d in log}  # every event arrived, one id per event
    by_type: dict[str, list[dict]] = {}
    for payload in got.values():
        assert payload["data"]["session_id"] == sid
        by_type.setdefault(payload["type"], []).append(payload["data"])
    assert sorted(d["state"] for d in by_type["session.state"]) == sorted(
        ["created", "joining", "waiting_room", "ready", "leaving", "closed"])
    assert [(d["speaker"], d["text"]) for d in sorted(by_type["transcript.segment"], key=lambda d: d["start"])] == [
        ("Ada", "Shall we start?"), ("Ada", "Yes, let's go.")]
    assert by_type["notes.ready"][0]["markdown"].startswith("# Notes")
    assert max(d["attempts"] for d in log) >= 2 and all(d["response_code"] == 204 for d in log)
    assert LEAKY_BODY not in json.dumps(log)
    with pytest.raises(WebhookVerificationError):  # a wrong secret does not verify
        headers, body = receiver.requests[-1]
        Webhook(SecretBox.new_secret()).verify(body, headers)


def test_deliveries_stop_after_the_last_retry_and_the_log_keeps_code_not_body(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.fail_first = 10_000
    receiver.start()
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "retry@x.io", "password123")
            ep = endpoints.create(db, acct.id, f"http://127.0.0.1:{receiver.port}/h", ["balance.low"],
                                  box=BOX, allow_loopback=True).row
            assert outbox.enqueue(db, acct.id, "balance.low", {"credits_left": 3.0}) == 1
            assert outbox.enqueue(db, acct.id, "notes.ready", {"markdown": "x"}) == 0  # not subscribed
        dispatcher = WebhookDispatcher(store, WebhookSettings(allow_loopback=True, retry_s=[0.0, 0.0], timeout_s=3), BOX)
        for _ in range(5):
            dispatcher.run_once()
        with store.read() as db:
            (row,) = endpoints.deliveries(db, acct.id, ep.id)
        assert (row.status, row.attempts, row.response_code) == ("failed", 3, 500)
        assert "HTTP 500" in row.last_error and LEAKY_BODY not in row.last_error
        assert len(receiver.requests) == 3
        ids = {hd["webhook-id"] for hd, _ in receiver.requests}
        assert ids == {row.message_id}  # every retry carries the same id
    finally:
        store.dispose()


def test_webhook_crud_is_scoped_to_the_account_and_bad_urls_are_clear_400s(settings: Settings) -> None:
    settings = settings.model_copy(update={"webhooks": WebhookSettings(allow_loopback=True)})
    with TestClient(create_app(settings)) as c:
        store = c.app.state.platform.store  # type: ignore[attr-defined]
        with store.write() as db:
            a = accounts.sign_up(db, "a@x.io", "password123")
            b = accounts.sign_up(db, "b@x.io", "password123")
            ka, kb = keys.create(db, a.id, "t").secret, keys.create(db, b.id, "t").secret
        made = c.post("/v1/webhooks", headers=auth(ka),
                      json={"url": "http://127.0.0.1:9/hook", "events": ["notes.ready", "session.state"]})
        assert made.status_code == 201, made.text
        hook = made.json()
        assert hook["events"] == ["session.state", "notes.ready"]
        listed = c.get("/v1/webhooks", headers=auth(ka)).json()["webhooks"]
        assert [w["id"] for w in listed] == [hook["id"]] and "secret" not in listed[0]
        assert c.get("/v1/webhooks", headers=auth(kb)).json()["webhooks"] == []
        for method, path in (("DELETE", f"/v1/webhooks/{hook['id']}"), ("GET", f"/v1/webhooks/{hook['id']}/deliveries")):
            other = c.request(method, path, headers=auth(kb))
            assert other.status_code == 404 and "no webhook" in other.json()["message"]
        bad = {
            "ftp://example.com/x": "scheme 'ftp' is not allowed",
            "https://10.1.2.3/hook": "a private address",
            "https://169.254.169.254/latest": "the cloud metadata address",
            "https://[::ffff:192.168.1.1]/h": "a private address",
            "http://93.184.215.14/h": "plain http",
            "https://user:pw@93.184.215.14/h": "user name or password",
            "https://93.184.215.14/" + "a" * 3000: "keep it under 2000",
            "": "url is required",
            "https:///nohost": "has no host",
        }
        for url, message in bad.items():
            r = c.post("/v1/webhooks", headers=auth(ka), json={"url": url})
            assert r.status_code == 400 and message in r.json()["message"], (url, r.text)
        r = c.post("/v1/webhooks", headers=auth(ka), json={"url": "https://93.184.215.14/h", "events": ["nope"]})
        assert r.status_code == 400 and "unknown webhook event type(s) 'nope'" in r.json()["message"]
        assert c.post("/v1/webhooks", json={"url": "https://93.184.215.14/h"}).status_code == 401
        gone = c.delete(f"/v1/webhooks/{hook['id']}", headers=auth(ka))
        assert gone.status_code == 200 and gone.json() == {"id": hook["id"], "deleted": True}
        assert c.get("/v1/webhooks", headers=auth(ka)).json()["webhooks"] == []
        assert c.delete(f"/v1/webhooks/{hook['id']}", headers=auth(ka)).status_code == 404
    # Without the operator's say-so, loopback is refused like any private address.
    with TestClient(create_app(settings.model_copy(update={"webhooks": WebhookSettings()}))) as c:
        r = c.post("/v1/webhooks", headers=auth(ka), json={"url": "http://127.0.0.1:9/hook"})
        assert r.status_code == 400 and "points at this machine" in r.json()["message"]


def test_an_outbox_row_is_written_in_the_event_transaction_or_not_at_all(settings: Settings) -> None:
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "tx@x.io", "password123")
            endpoints.create(db, acct.id, "http://127.0.0.1:9/h", None, box=BOX, allow_loopback=True)
        with pytest.raises(RuntimeError), store.write() as db:
            outbox.enqueue(db, acct.id, "balance.low", {"credits_left": 1.0})
            raise RuntimeError("the event's transaction fails")
        with store.read() as db:
            assert db.query(WebhookDelivery).count() == 0
    finally:
        store.dispose()


def test_low_balance_from_the_billing_heartbeat_is_delivered_as_balance_low(
    settings: Settings, receiver: Receiver
) -> None:
    from datetime import timedelta

    from selfcast.platform.billing import ledger
    from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
    from selfcast.platform.store.models import MeetingSession

    receiver.fail_first = 0
    receiver.start()
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "low@x.io", "password123")
            ledger.credit(db, acct.id, 100, kind="grant")
            ep = endpoints.create(db, acct.id, f"http://127.0.0.1:{receiver.port}/h", ["balance.low"],
                                  box=BOX, allow_loopback=True)
        registry = SessionRegistry(store, settings)
        registry.create(acct.id, "sess_low", SessionRequest(
            meet_url="https://meet.jit.si/x", platform="jitsi", bot_name="Ada", voice_id="English_radiant_girl"))
        for state in ("joining", "ready"):
            registry.set_state("sess_low", state)
        with store.write() as db:  # ready a minute earlier: minute 2 is charged, 45 credits left
            row = db.get(MeetingSession, "sess_low")
            row.ready_at = row.ready_at - timedelta(seconds=60)
        assert registry.heartbeat("sess_low").low_balance
        registry.heartbeat("sess_low")  # still low: no second event
        WebhookDispatcher(store, FAST, BOX).run_once()
        (payload,) = receiver.verified(ep.secret).values()  # the secret as handed out
        assert payload["type"] == "balance.low" and payload["data"]["session_id"] == "sess_low"
        assert payload["data"]["credits_left"] == 45.0 and payload["data"]["out_of_credits"] is False
        with store.write() as db:  # two minutes on: minute 4 cannot be paid, the session must leave
            row = db.get(MeetingSession, "sess_low")
            row.ready_at = row.ready_at - timedelta(seconds=120)
        assert registry.heartbeat("sess_low").reason == "out_of_credits"
        WebhookDispatcher(store, FAST, BOX).run_once()
        last = [p for p in receiver.verified(ep.secret).values() if p["data"]["out_of_credits"]]
        assert [p["data"]["credits_left"] for p in last] == [0.0]
    finally:
        store.dispose()


def test_every_attempt_checks_the_url_again_and_never_reaches_a_host_no_longer_allowed(
    settings: Settings, receiver: Receiver
) -> None:
    receiver.fail_first = 0
    receiver.start()
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "recheck@x.io", "password123")
            ep = endpoints.create(db, acct.id, f"http://127.0.0.1:{receiver.port}/h", None, box=BOX,
                                  allow_loopback=True).row
            outbox.enqueue(db, acct.id, "notes.ready", {"markdown": "x"})
        # The operator turned loopback off after the endpoint was made: the attempt is refused here.
        WebhookDispatcher(store, WebhookSettings(retry_s=[60.0]), BOX).run_once()
        with store.read() as db:
            (row,) = endpoints.deliveries(db, acct.id, ep.id)
        assert row.status == "pending" and row.attempts == 1 and "points at this machine" in row.last_error
        assert receiver.requests == []
    finally:
        store.dispose()


def test_secrets_are_sealed_at_rest_and_a_changed_server_key_is_named_in_the_log(settings: Settings) -> None:
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "sealed@x.io", "password123")
            new = endpoints.create(db, acct.id, "http://127.0.0.1:9/h", None, box=BOX, allow_loopback=True)
            outbox.enqueue(db, acct.id, "notes.ready", {"markdown": "x"})
        with store.read() as db:
            stored = endpoints.get(db, acct.id, new.row.id).secret
        assert new.secret.removeprefix("whsec_") not in stored and BOX.open(stored) == new.secret
        WebhookDispatcher(store, WebhookSettings(allow_loopback=True, retry_s=[60.0]), SecretBox(b"other" * 8)).run_once()
        with store.read() as db:
            (row,) = endpoints.deliveries(db, acct.id, new.row.id)
        assert row.attempts == 1 and "secret_key" in row.last_error and "re-add the webhook" in row.last_error
    finally:
        store.dispose()


def test_finished_deliveries_older_than_keep_days_are_pruned_pending_ones_never(settings: Settings) -> None:
    from datetime import timedelta

    from selfcast.platform.ids import utcnow

    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "prune@x.io", "password123")
            ep = endpoints.create(db, acct.id, "http://127.0.0.1:9/h", None, box=BOX, allow_loopback=True).row
            for _ in range(3):
                outbox.enqueue(db, acct.id, "notes.ready", {"markdown": "x"})
        with store.write() as db:
            old, done, pending = db.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
            old.status, old.created_at = "delivered", utcnow() - timedelta(days=8)
            done.status = "failed"
            pending.created_at = utcnow() - timedelta(days=30)
        assert WebhookDispatcher(store, WebhookSettings(keep_days=7), BOX).prune() == 1
        with store.read() as db:
            assert [d.status for d in endpoints.deliveries(db, acct.id, ep.id)] == ["pending", "failed"]
    finally:
        store.dispose()


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_attempts_connect_to_the_checked_address_with_the_urls_name_and_verify_its_certificate(
    tmp_path: Path,
) -> None:
    """The sender dials the address it checked (127.0.0.1), yet sends the URL's name as TLS SNI,
    so the certificate is verified for that name: an untrusted one fails the attempt."""
    import socket
    import ssl

    from selfcast.platform.webhooks.sender import send

    cert, key = _self_signed(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    names: list[str | None] = []
    ctx.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with contextlib.suppress(OSError, ssl.SSLError), ctx.wrap_socket(conn, server_side=True):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    attempt = send(f"https://localhost:{port}/h", SecretBox.new_secret(), "msg_x", "{}", FAST)
    t.join(5)
    listener.close()
    assert not attempt.ok and attempt.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error or "certificate verify failed" in attempt.error
    assert names == ["localhost"]
