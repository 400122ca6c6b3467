"""Small pieces of the portal on their own: the sealed one-time reveal, the usage chart, and
agent-default validation (signed tokens: tests/test_signing.py)."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest

from selfcast.platform.portal import crypto, usage
from selfcast.platform.portal.usage import DayUse


def test_sealed_reveal_opens_only_with_the_browser_token() -> None:
    sealed = crypto.seal("cookie-token", "dk_secret")
    assert "dk_secret" not in sealed
    assert crypto.unseal("cookie-token", sealed) == "dk_secret"
    assert crypto.unseal("another-token", sealed) is None
    raw = bytearray(crypto.unb64(sealed))
    raw[-1] ^= 0x01  # one bit of the tag (editing the text can land on base64's unused bits: 1 in 256 passed)
    assert crypto.unseal("cookie-token", crypto.b64(bytes(raw))) is None


def test_chart_has_one_labelled_bar_per_day_and_handles_no_use() -> None:
    start = date(2026, 11, 1)
    days = [DayUse(start + timedelta(days=i), 0.0) for i in range(30)]
    empty = usage.chart_svg(days)
    assert empty.count('<rect class="bar"') == 30 and 'height="0.0"' in empty
    days[29] = DayUse(days[29].day, 82.5)
    days[10] = DayUse(days[10].day, 27.5)
    html = usage.chart_svg(days)
    assert "2026-11-30: 82.5 credits" in html and "110.0 credits in total" in html
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', html)]
    assert heights[29] == pytest.approx(heights[10] * 3, rel=0.01)  # bars are proportional
    assert "<span>100</span>" in html  # the axis top is a round number above the peak


def test_session_duration_reads_like_a_clock() -> None:
    line = usage.SessionLine("s", "b", "room", "closed", None, 3725.0, 0.0, "")  # type: ignore[arg-type]
    assert line.duration == "1:02:05"
    assert usage.SessionLine("s", "b", "room", "closed", None, 170.0, 0.0, "").duration == "2:50"  # type: ignore[arg-type]


def test_reveal_older_than_ten_minutes_is_dropped(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from selfcast.platform import accounts
    from selfcast.platform.portal import websessions
    from selfcast.platform.store import Store

    store = Store.open(settings.db_url)
    with store.write() as db:
        acct = accounts.sign_up(db, "t@example.com", "password!")
        token = websessions.create(db, acct.id, days=1)
    viewer = websessions.Viewer(acct.id, "t@example.com", token)
    with store.write() as db:
        websessions.stash_reveal(db, viewer, "dk_fresh")
    with store.write() as db:
        assert websessions.pop_reveal(db, viewer) == "dk_fresh"
        assert websessions.pop_reveal(db, viewer) is None  # once
    with store.write() as db:
        websessions.stash_reveal(db, viewer, "dk_stale")
    later = time.time() + websessions.REVEAL_TTL_S + 1
    monkeypatch.setattr(websessions.time, "time", lambda: later)
    with store.write() as db:
        assert websessions.pop_reveal(db, viewer) is None
    store.dispose()


def test_agent_defaults_turn_into_session_fields(settings) -> None:  # type: ignore[no-untyped-def]
    from selfcast.errors import BadInput
    from selfcast.platform import accounts
    from selfcast.platform.portal import defaults
    from selfcast.platform.store import Store

    store = Store.open(settings.db_url)
    with store.write() as db:
        acct = accounts.sign_up(db, "d@example.com", "password!")
    with store.read() as db:
        assert defaults.get(db, acct.id).session_fields() == {"language": "en"}
    with store.write() as db:
        defaults.update(
            db, acct.id, voice_id="joe", avatar_id="", bot_name="Ada", language="de",
            max_duration_min="45", alone_timeout_min="", builtin_voices={"joe"},
        )  # fmt: skip
    with store.read() as db:
        fields = defaults.get(db, acct.id).session_fields()
    assert fields == {"voice_id": "joe", "bot_name": "Ada", "language": "de", "max_duration_s": 2700.0}
    with store.write() as db, pytest.raises(BadInput):
        defaults.update(
            db, acct.id, voice_id="", avatar_id="", bot_name="x" * 101, language="en",
            max_duration_min="", alone_timeout_min="",
        )  # fmt: skip
    store.dispose()
