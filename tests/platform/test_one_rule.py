"""Rules that exist once in the platform, checked through every caller: a row another account owns
reads exactly like a missing one, and a session's status is one view in the v1 API, the
Pika-compatible poll and its fast path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from sqlalchemy.orm import Session

from selfcast.errors import NotFound
from selfcast.platform import accounts, avatars, keys, voices
from selfcast.platform.ids import utcnow
from selfcast.platform.payments import topups
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.sessions.view import SessionView
from selfcast.platform.store import Store
from selfcast.platform.store.models import ApiKey, Avatar, MeetingSession, TopUp, Upload, Voice
from selfcast.settings import Settings
from tests.platform.helpers import LiveServer

Lookup = Callable[[Session, str, str], object]


def _rows(db: Session, owner: str, registry: SessionRegistry) -> dict[str, tuple[str, Lookup]]:
    """One row of each owned kind for ``owner``: kind -> (its id, the module's lookup)."""
    now = utcnow()
    db.add_all([
        MeetingSession(id="sess_1", account_id=owner, platform="room", meet_url="http://x/room/a", bot_name="b",
                       voice_id="v"),
        Voice(voice_id="voice_1", account_id=owner),
        Upload(id=7, account_id=owner, purpose="voice_clone", filename="a.wav", path="/a.wav", size_bytes=1),
        Avatar(id="av_1", account_id=owner, path="/a.png", source="uploaded"),
        TopUp(id="top_1", account_id=owner, product_id="p", credits=1, amount_cents=1, provider="invoice",
              created_at=now),
    ])
    key = keys.create(db, owner, "k")
    return {
        "session": ("sess_1", registry.get),
        "voice": ("voice_1", voices.get),
        "uploaded file": ("7", voices.get_upload),
        "avatar": ("av_1", avatars.get),
        "top-up": ("top_1", topups.get),
        "key": (key.id, keys.revoke),
    }


def test_another_accounts_row_reads_exactly_like_a_missing_one(settings: Settings) -> None:
    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            a, b = accounts.sign_up(db, "a@x.io", None).id, accounts.sign_up(db, "b@x.io", None).id
            rows = _rows(db, a, SessionRegistry(store, settings))
            for what, (row_id, lookup) in rows.items():
                assert lookup(db, a, row_id) is not None  # the owner reads it
                with pytest.raises(NotFound) as foreign:
                    lookup(db, b, row_id)
                missing_id = "999" if what == "uploaded file" else row_id + "x"
                with pytest.raises(NotFound) as missing:
                    lookup(db, b, missing_id)
                assert foreign.value.message == f"no {what} {row_id} in this account"
                assert missing.value.message == f"no {what} {missing_id} in this account"
            assert db.get(ApiKey, rows["key"][0]).revoked_at is not None  # the owner's revoke went through
    finally:
        store.dispose()


def test_a_sessions_status_is_the_same_view_in_v1_and_the_pika_poll(sqlite_server: LiveServer) -> None:
    acct, key = sqlite_server.account("view@x.io", credits=100)
    created = utcnow() - timedelta(minutes=3)
    with sqlite_server.platform.store.write() as db:  # closed: the dead-worker monitor leaves it be
        db.add(MeetingSession(
            id="sess_view", account_id=acct, state="closed", platform="zoom", meet_url="https://zoom.us/j/1",
            bot_name="Ada's AI", voice_id="English_radiant_girl", video_connected=True, bot_connected=False,
            error_code=None, error_message=None, minutes_charged=2, low_balance=True, created_at=created,
            ready_at=created + timedelta(seconds=20), ended_at=created + timedelta(minutes=2),
        ))
    auth = {"Authorization": f"DevKey {key}"}
    v1 = requests.get(f"{sqlite_server.url}/v1/sessions/sess_view", headers=auth, timeout=10).json()
    listed = requests.get(f"{sqlite_server.url}/v1/sessions", headers=auth, timeout=10).json()
    pika = requests.get(f"{sqlite_server.url}/proxy/realtime/session/sess_view", headers=auth, timeout=10).json()
    expected = {
        "session_id": "sess_view", "status": "closed", "platform": "zoom", "meet_url": "https://zoom.us/j/1",
        "bot_name": "Ada's AI", "voice_id": "English_radiant_girl", "video_worker_connected": True,
        "video_connected": True, "meeting_bot_connected": False, "error_code": None, "error_message": "",
        "minutes_charged": 2, "low_balance": True, "created_at": created.isoformat(),
        "ready_at": (created + timedelta(seconds=20)).isoformat(),
        "ended_at": (created + timedelta(minutes=2)).isoformat(),
    }
    assert set(expected) == set(SessionView.model_fields)
    assert v1 == expected and listed == [expected]
    assert pika == {**expected, "data": expected}  # the original skill reads body.get("data", body)
