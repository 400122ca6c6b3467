"""A session's ``language`` over the real API (SQLite): checked at launch (400 naming the codes),
normalised, stored, handed to the worker in its ``SessionSpec``; the account's Model Settings
language fills it in when the request leaves it out."""

from __future__ import annotations

import requests

from tests.platform.helpers import LiveServer, auth
from tests.platform.test_pika_contract import png_bytes


def test_session_language_is_checked_stored_and_reaches_the_worker(sqlite_server: LiveServer) -> None:
    from selfcast.platform.portal import defaults as agent_defaults

    u, (acct, key) = sqlite_server.url, sqlite_server.account("lang@x.io", credits=300)
    h = auth(key)
    av = requests.post(f"{u}/v1/avatars", headers=h, files={"image": ("me.png", png_bytes(256), "image/png")},
                       timeout=10).json()
    body = {"meet_url": "https://meet.jit.si/lang", "avatar_id": av["id"], "bot_name": "Robin"}
    bad = requests.post(f"{u}/v1/sessions", headers=h, json={**body, "language": "klingon"}, timeout=30)
    assert bad.status_code == 400 and "'klingon'" in bad.json()["message"] and "'de'" in bad.json()["message"]

    ok = requests.post(f"{u}/v1/sessions", headers=h, json={**body, "language": "DE"}, timeout=30)
    assert ok.status_code == 201, ok.text
    sid = ok.json()["session_id"]
    assert sqlite_server.platform.registry.spec(sid).language == "de"
    requests.post(f"{u}/v1/sessions/{sid}/leave", headers=h, timeout=10)

    with sqlite_server.platform.store.write() as db:
        agent_defaults.update(db, acct, voice_id="", avatar_id=av["id"], bot_name="Robin (AI)", language="pt-BR",
                              max_duration_min="", alone_timeout_min="")
    r = requests.post(f"{u}/v1/sessions", headers=h, json={"meet_url": "https://meet.jit.si/lang2"}, timeout=30)
    assert r.status_code == 201, r.text
    assert sqlite_server.platform.registry.spec(r.json()["session_id"]).language == "pt"  # Whisper has no regions
    requests.post(f"{u}/v1/sessions/{r.json()['session_id']}/leave", headers=h, timeout=10)
