"""Security: keys never stored or logged in clear; every resource scoped to its account."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests
from sqlalchemy import inspect, text

from selfcast.platform import keys
from selfcast.platform.store.models import Voice
from tests.platform.helpers import LiveServer, auth, wait_for
from tests.platform.test_pika_contract import join, png_bytes, read


def all_database_text(live: LiveServer) -> str:
    """Every row of every table, as text (works the same on SQLite and PostgreSQL)."""
    store = live.platform.store
    out = []
    with store.read() as db:
        for table in inspect(store.engine).get_table_names():
            for row in db.execute(text(f'SELECT * FROM "{table}"')):
                out.append(json.dumps([str(v) for v in row]))
    return "\n".join(out)


@pytest.mark.slow
def test_key_appears_nowhere_in_the_database_or_the_logs(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    acct_id, _ = live_server.account("sec@x.io", credits=300)
    with live_server.platform.store.write() as db:  # only a key with keys:mint may mint keys
        first = keys.create(db, acct_id, "minter", ["sessions", "keys:mint"]).secret
    r = requests.post(f"{live_server.url}/v1/keys", headers=auth(first), json={"name": "second"}, timeout=10)
    assert r.status_code == 201
    second = r.json()["key"]
    assert second.startswith("dk_") and r.json()["prefix"] == second[:11]
    # use both keys the ways a client does, including failures
    for key in (first, second):
        assert (
            requests.get(f"{live_server.url}/developer/balance", headers=auth(key), timeout=10).status_code
            == 200
        )
    sid = read(join(live_server, second))["session_id"]
    wait_for(
        lambda: (
            read(
                requests.get(
                    f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(second), timeout=10
                )
            )["status"]
            == "ready"
        ),
        timeout=30,
    )
    requests.delete(f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(second), timeout=10)
    key_id = r.json()["id"]
    requests.delete(f"{live_server.url}/v1/keys/{key_id}", headers=auth(first), timeout=10)
    refused = requests.get(f"{live_server.url}/developer/balance", headers=auth(second), timeout=10)
    assert refused.status_code == 401 and second not in refused.text
    wait_for(
        lambda: (
            read(
                requests.get(
                    f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(first), timeout=10
                )
            )["status"]
            == "closed"
        ),
        timeout=20,
    )

    db_text = all_database_text(live_server)
    logs = caplog.text
    data_dir: Path = live_server.settings.data_dir
    worker_logs = "".join(p.read_text(errors="replace") for p in data_dir.rglob("*.log"))
    raw_files = b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())
    for key in (first, second):
        secret_part = key[11:]  # the part after the display prefix
        assert secret_part not in db_text
        assert secret_part not in logs and secret_part not in worker_logs
        assert secret_part.encode() not in raw_files  # SQLite file, WAL, avatars, worker logs


def test_another_accounts_resources_are_404(live_server: LiveServer) -> None:
    a_id, a = live_server.account("a@x.io", credits=300)
    _, b = live_server.account("b@x.io", credits=300)
    u = live_server.url
    sid = read(join(live_server, a))["session_id"]
    topup = read(
        requests.post(f"{u}/developer/topup", headers=auth(a), json={"product_id": "pack_800"}, timeout=10)
    )["topup_id"]
    key_id = requests.get(f"{u}/v1/keys", headers=auth(a), timeout=10).json()[0]["id"]
    av = requests.post(
        f"{u}/v1/avatars", headers=auth(a), files={"image": ("a.png", png_bytes(), "image/png")}, timeout=10
    ).json()["id"]
    with live_server.platform.store.write() as db:
        db.add(Voice(voice_id="voice_a_1", account_id=a_id, name="a"))

    checks = [
        ("GET", f"/proxy/realtime/session/{sid}"),
        ("DELETE", f"/proxy/realtime/session/{sid}"),
        ("GET", f"/v1/sessions/{sid}"),
        ("POST", f"/v1/sessions/{sid}/leave"),
        ("GET", f"/v1/sessions/{sid}/transcript"),
        ("GET", f"/v1/sessions/{sid}/notes"),
        ("GET", f"/v1/sessions/{sid}/events"),
        ("GET", f"/v1/topups/{topup}"),
        ("DELETE", f"/v1/keys/{key_id}"),
        ("GET", f"/v1/avatars/{av}"),
        ("GET", f"/v1/avatars/{av}/image"),
        ("GET", "/v1/voices/voice_a_1"),
    ]
    for method, path in checks:
        r = requests.request(method, u + path, headers=auth(b), timeout=10)
        assert r.status_code == 404, (method, path, r.status_code, r.text)
        assert r.json()["code"] == "not_found"
    # using A's voice in B's join is a 404 too, and writes nothing
    r = join(live_server, b, voice_id="voice_a_1")
    assert r.status_code == 404 and "voice_a_1" in r.json()["message"]
    # B's lists do not show A's things
    assert requests.get(f"{u}/v1/sessions", headers=auth(b), timeout=10).json() == []
    assert requests.get(f"{u}/v1/avatars", headers=auth(b), timeout=10).json() == []
    # and A still has all of it, untouched
    assert read(requests.get(f"{u}/proxy/realtime/session/{sid}", headers=auth(a), timeout=10))["status"] in (
        "created",
        "joining",
        "waiting_room",
        "ready",
    )
    assert requests.get(f"{u}/v1/keys", headers=auth(a), timeout=10).json()[0]["revoked_at"] is None
    requests.delete(f"{u}/proxy/realtime/session/{sid}", headers=auth(a), timeout=10)
