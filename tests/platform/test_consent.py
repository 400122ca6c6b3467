"""The consent announcement on the platform side: the account's default, a session's own choice,
the text resolved at launch into what the worker's bot will say, and clear errors for bad text."""

from __future__ import annotations

import pytest

from selfcast.errors import BadInput
from selfcast.platform import accounts, consent
from selfcast.platform.store import Store
from selfcast.platform.store.models import MeetingSession
from selfcast.settings import Settings
from tests.platform.helpers import LiveServer, auth, requests
from tests.platform.test_pika_contract import png_bytes


def test_resolve_follows_the_session_then_the_account_and_names_owner_and_bot(settings: Settings) -> None:
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.sign_up(db, "grace.hopper@x.io", "password123")
            assert consent.resolve(db, acct.id, announce=None, text=None, bot_name="Ada (AI)") == ""
            assert consent.resolve(db, acct.id, announce=True, text=None, bot_name="Ada (AI)") == (
                "Hi, I'm Ada, Grace Hopper's AI assistant. This meeting is being transcribed.")
            assert consent.resolve(db, acct.id, announce=None, text="{name} here for {owner}; recording.",
                                   bot_name="Ada") == "Ada here for Grace Hopper; recording."
            consent.update(db, acct.id, announce=True, text="Note: {name} transcribes this call.")
            assert consent.resolve(db, acct.id, announce=None, text=None, bot_name="Ada") == (
                "Note: Ada transcribes this call.")
            assert consent.resolve(db, acct.id, announce=False, text=None, bot_name="Ada") == ""
            for bad, message in (("{who} is here", r"uses \{who\}"), ("{name", "stray brace"),
                                 ("x" * 600, "keep it under 500"), (42, "must be a string")):
                with pytest.raises(BadInput, match=message):
                    consent.resolve(db, acct.id, announce=True, text=bad, bot_name="Ada")  # type: ignore[arg-type]
    finally:
        store.dispose()


def test_a_session_created_with_announce_carries_the_resolved_text_to_its_worker(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("ada.lovelace@x.io", credits=300)
    h = auth(key)
    av = requests.post(f"{u}/v1/avatars", headers=h, files={"image": ("me.png", png_bytes(256), "image/png")},
                       timeout=10).json()
    base = {"meet_url": "https://meet.jit.si/standup", "bot_name": "Robin (AI)", "avatar_id": av["id"]}
    r = requests.post(f"{u}/v1/sessions", headers=h, json={**base, "announce": True}, timeout=30)
    assert r.status_code == 201, r.text
    sid = r.json()["session_id"]
    spec = sqlite_server.platform.registry.spec(sid)
    assert spec.consent_text == "Hi, I'm Robin, Ada Lovelace's AI assistant. This meeting is being transcribed."
    requests.post(f"{u}/v1/sessions/{sid}/leave", headers=h, timeout=10)
    bad = requests.post(f"{u}/v1/sessions", headers=h, json={**base, "consent_text": "{owner} {x}"}, timeout=30)
    assert bad.status_code == 400 and "the only fields are {name}" in bad.json()["message"]
    plain = requests.post(f"{u}/v1/sessions", headers=h, json=base, timeout=30).json()
    with sqlite_server.platform.store.read() as db:
        assert db.get(MeetingSession, plain["session_id"]).consent_text == ""
    requests.post(f"{u}/v1/sessions/{plain['session_id']}/leave", headers=h, timeout=10)
