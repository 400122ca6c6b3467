"""The versioned REST API over real HTTP (SQLite): keys, balance, ledger, products, top-ups,
avatars, sessions with transcript, notes and events."""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from tests.platform.helpers import LiveServer, auth, wait_for
from tests.platform.test_pika_contract import png_bytes, reader_sample


def test_keys_balance_ledger_products_and_topups(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("v1@x.io", credits=120)
    h = auth(key, "Bearer")
    keys = requests.get(f"{u}/v1/keys", headers=h, timeout=10).json()
    assert len(keys) == 1 and keys[0]["last_used_at"] is not None and "key" not in keys[0]
    assert requests.get(f"{u}/v1/balance", headers=h, timeout=10).json() == {
        "balance": 120,
        "held": 0.0,
        "owed": 0.0,
        "total": 120.0,
        "min_to_join": 100,
        "credits_per_minute": 27.5,
    }
    assert [e["kind"] for e in requests.get(f"{u}/v1/ledger", headers=h, timeout=10).json()] == ["grant"]
    assert next(p["id"] for p in requests.get(f"{u}/v1/products", headers=h, timeout=10).json()) == "pack_800"
    t = requests.post(f"{u}/v1/topups", headers=h, json={"product_id": "pack_8000"}, timeout=10)
    assert t.status_code == 201 and t.json()["status"] == "pending" and t.json()["amount_cents"] == 7999
    assert (
        requests.get(f"{u}/v1/topups/{t.json()['id']}", headers=h, timeout=10)
        .json()["checkout_url"]
        .endswith(t.json()["id"])
    )
    assert len(requests.get(f"{u}/v1/topups", headers=h, timeout=10).json()) == 1


def test_avatar_upload_then_session_by_avatar_id(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("v1s@x.io", credits=300)
    h = auth(key)
    jpeg = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(320))).save(jpeg, format="JPEG")
    av = requests.post(
        f"{u}/v1/avatars", headers=h, files={"image": ("me.jpg", jpeg.getvalue(), "image/jpeg")}, timeout=10
    )
    assert av.status_code == 201 and av.json()["width"] == 320
    img = requests.get(f"{u}{av.json()['image_url']}", headers=h, timeout=10)
    assert img.headers["content-type"] == "image/png" and Image.open(io.BytesIO(img.content)).size == (
        320,
        320,
    )

    r = requests.post(
        f"{u}/v1/sessions",
        headers=h,
        json={"meet_url": "https://teams.live.com/meet/123", "bot_name": "Ada", "avatar_id": av.json()["id"]},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["platform"] == "teams" and s["voice_id"] == "English_radiant_girl"
    wait_for(
        lambda: (
            requests.get(f"{u}/v1/sessions/{s['session_id']}", headers=h, timeout=10).json()["status"]
            == "ready"
        ),
        timeout=30,
    )
    assert [
        x["session_id"] for x in requests.get(f"{u}/v1/sessions?active=true", headers=h, timeout=10).json()
    ] == [s["session_id"]]
    assert requests.get(f"{u}/v1/balance", headers=h, timeout=10).json()["held"] > 0
    left = requests.post(f"{u}/v1/sessions/{s['session_id']}/leave", headers=h, timeout=10)
    assert left.status_code == 200 and left.json()["status"] in ("leaving", "closed")
    wait_for(
        lambda: (
            requests.get(f"{u}/v1/sessions/{s['session_id']}", headers=h, timeout=10).json()["status"]
            == "closed"
        ),
        timeout=20,
    )
    kinds = [
        e["kind"]
        for e in requests.get(f"{u}/v1/sessions/{s['session_id']}/events", headers=h, timeout=10).json()
    ]
    assert kinds[:4] == ["created", "joining", "waiting_room", "ready"] and kinds[-1] == "closed"
    assert "avatar" in kinds  # the worker saw the avatar file the API stored
    ev = next(
        e
        for e in requests.get(f"{u}/v1/sessions/{s['session_id']}/events", headers=h, timeout=10).json()
        if e["kind"] == "avatar"
    )
    assert ev["data"]["path_exists"] is True
    assert requests.get(f"{u}/v1/sessions?active=true", headers=h, timeout=10).json() == []
    assert requests.get(f"{u}/v1/balance", headers=h, timeout=10).json()["balance"] == 272


@pytest.mark.slow
def test_v1_voice_clone_is_scoped_to_its_account(sqlite_server: LiveServer, librivox_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    u, (_, a) = sqlite_server.url, sqlite_server.account("va@x.io", credits=300)
    _, b = sqlite_server.account("vb@x.io", credits=300)
    with open(reader_sample(librivox_dir, tmp_path), "rb") as fh:
        r = requests.post(
            f"{u}/v1/voices",
            headers=auth(a),
            files={"audio": ("reader.wav", fh, "audio/wav")},
            data={"name": "reader", "voice_id": "voice_reader_1"},
            timeout=300,
        )
    assert r.status_code == 201, r.text
    assert r.json()["voice_id"] == "voice_reader_1" and r.json()["source_name"] == "reader.wav"
    assert requests.get(f"{u}/v1/voices/voice_reader_1", headers=auth(a), timeout=10).status_code == 200
    assert requests.get(f"{u}/v1/voices/voice_reader_1", headers=auth(b), timeout=10).status_code == 404
    assert requests.get(f"{u}/v1/voices", headers=auth(b), timeout=10).json() == []
    # the same id cannot be taken twice
    with open(reader_sample(librivox_dir, tmp_path), "rb") as fh:
        again = requests.post(
            f"{u}/v1/voices",
            headers=auth(b),
            files={"audio": ("r.wav", fh, "audio/wav")},
            data={"name": "x", "voice_id": "voice_reader_1"},
            timeout=300,
        )
    assert again.status_code == 409


def test_session_fields_left_out_come_from_the_account_agent_defaults(sqlite_server: LiveServer) -> None:
    from selfcast.platform.portal import defaults as agent_defaults

    u, (acct, key) = sqlite_server.url, sqlite_server.account("defaults@x.io", credits=300)
    h = auth(key)
    no_avatar = requests.post(f"{u}/v1/sessions", headers=h, json={"meet_url": "https://meet.jit.si/x"}, timeout=30)
    assert no_avatar.status_code == 400 and "Model Settings" in no_avatar.json()["message"]
    av = requests.post(f"{u}/v1/avatars", headers=h, files={"image": ("me.png", png_bytes(256), "image/png")},
                       timeout=10).json()
    with sqlite_server.platform.store.write() as db:
        agent_defaults.update(db, acct, voice_id="", avatar_id=av["id"], bot_name="Robin (AI)", language="en",
                              max_duration_min="30", alone_timeout_min="")
    r = requests.post(f"{u}/v1/sessions", headers=h, json={"meet_url": "https://meet.jit.si/standup"}, timeout=30)
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["bot_name"] == "Robin (AI)" and s["platform"] == "jitsi"
    from selfcast.platform.store.models import Avatar, MeetingSession

    with sqlite_server.platform.store.read() as db:
        row = db.get(MeetingSession, s["session_id"])
        assert row.max_duration_s == 30 * 60 and row.avatar_path == db.get(Avatar, av["id"]).path
    requests.post(f"{u}/v1/sessions/{s['session_id']}/leave", headers=h, timeout=10)
    # A request's own fields still win over the defaults.
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30,
                      json={"meet_url": "https://meet.jit.si/other", "bot_name": "Ada", "avatar_id": av["id"]})
    assert r.status_code == 201 and r.json()["bot_name"] == "Ada", r.text
    requests.post(f"{u}/v1/sessions/{r.json()['session_id']}/leave", headers=h, timeout=10)

