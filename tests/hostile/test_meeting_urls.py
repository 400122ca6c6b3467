"""Hostile meeting links over real HTTP: each a 400 naming what is wrong, and nothing written.

The bot's browser would open whatever link the API stores, so these are the SSRF cases (loopback,
private, link-local, metadata, a platform claimed for a foreign host, ``#config``), the shapes
that used to pass the API and fail in the bot (``HTTP://``), and sizes (a 900 KB link).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from selfcast.platform.store.models import Hold, MeetingSession
from selfcast.settings import Settings
from tests.platform.helpers import LiveServer, auth, scripted_executor, start_server, stop_server
from tests.platform.test_bad_input import nothing_written, post_join

NOT_ALLOWED = "not a supported meeting platform"
CASES = [
    # (name, form fields, what the message must say)
    ("loopback with a platform", {"meet_url": "http://127.0.0.1:8080/admin", "platform": "jitsi"}, NOT_ALLOWED),
    ("loopback name", {"meet_url": "http://localhost:9/x", "platform": "zoom"}, NOT_ALLOWED),
    ("metadata service", {"meet_url": "http://169.254.169.254/latest/meta-data/", "platform": "google_meet"}, NOT_ALLOWED),
    ("private range", {"meet_url": "http://10.0.0.5/", "platform": "teams"}, NOT_ALLOWED),
    ("IPv6 loopback", {"meet_url": "http://[::1]:8787/room/abc", "platform": "room"}, NOT_ALLOWED),
    ("#config makes no Jitsi", {"meet_url": "http://192.168.1.1/x#config.prejoinPageEnabled=false"}, NOT_ALLOWED),
    ("jitsi in the name", {"meet_url": "https://jitsi.attacker.example/x"}, NOT_ALLOWED),
    ("room path on another host", {"meet_url": "http://127.0.0.1:9/room/abcdef", "platform": "room"}, NOT_ALLOWED),
    ("platform host as user info", {"meet_url": "https://meet.google.com@127.0.0.1/x"}, "user name or password"),
    ("look-alike host", {"meet_url": "https://meet.google.com.127.0.0.1.nip.io/abc", "platform": "google_meet"}, NOT_ALLOWED),
    ("900 KB link", {"meet_url": "https://meet.google.com/abc-defg-hij?x=" + "a" * 900_000}, "the limit is 2048"),
    ("2049 characters", {"meet_url": "https://meet.google.com/" + "a" * 2025}, "the limit is 2048"),
    ("non-numeric port", {"meet_url": "https://meet.google.com:http/abc"}, "port"),
    ("javascript scheme", {"meet_url": "javascript:alert(1)", "platform": "room"}, "not a meeting link"),
    ("file scheme", {"meet_url": "file:///etc/passwd", "platform": "room"}, "not a meeting link"),
    ("control character", {"meet_url": "https://meet.google.com/abc\r\nX: y"}, "control characters"),
]


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    settings = settings.model_copy(update={"host": "127.0.0.1"})
    live = start_server(settings, executor=scripted_executor(settings), monitor_interval_s=0.3, dead_after_s=5.0)
    yield live
    stop_server(live)


@pytest.mark.parametrize(("name", "fields", "message"), CASES, ids=[c[0] for c in CASES])
def test_a_hostile_meeting_link_is_a_clear_400_and_writes_nothing(server: LiveServer, name: str, fields: dict,
                                                                  message: str) -> None:
    key = server.account("ssrf@x.io", credits=1000)[1]
    r = post_join(server, auth(key), **fields)
    assert r.status_code == 400 and r.json()["code"] == "bad_input", (name, r.status_code, r.text[:300])
    assert message in r.json()["message"], (name, r.json()["message"])
    assert len(r.text) < 4000  # the link is not echoed back whole
    nothing_written(server)


def test_an_upper_case_scheme_is_accepted_once_and_stored_as_the_bot_will_open_it(server: LiveServer) -> None:
    key = server.account("case@x.io", credits=1000)[1]
    r = post_join(server, auth(key), meet_url="HTTPS://Meet.Google.com/abc-defg-hij")
    assert r.status_code == 200, r.text
    with server.platform.store.read() as db:
        row = db.query(MeetingSession).one()
    assert row.meet_url == "https://meet.google.com/abc-defg-hij" and row.platform == "google_meet"


@pytest.mark.parametrize(("link", "platform", "message"), [
    ("http://127.0.0.1:8787/admin", "room", NOT_ALLOWED),
    ("https://meet.google.com/x?" + "a" * 5000, None, "the limit is 2048"),
    ("HTTP://169.254.169.254/latest/", "jitsi", NOT_ALLOWED),
])
def test_the_v1_api_refuses_the_same_links_as_json(server: LiveServer, link: str, platform: str | None, message: str) -> None:
    key = server.account("v1@x.io", credits=1000)[1]
    buf = io.BytesIO()
    Image.new("RGB", (320, 320), "gray").save(buf, format="PNG")
    av = requests.post(f"{server.url}/v1/avatars", headers=auth(key),
                       files={"image": ("a.png", buf.getvalue(), "image/png")}, timeout=10)
    assert av.status_code == 201, av.text
    body = {"meet_url": link, "bot_name": "Ada", "avatar_id": av.json()["id"], **({"platform": platform} if platform else {})}
    r = requests.post(f"{server.url}/v1/sessions", headers=auth(key), json=body, timeout=30)
    assert r.status_code == 400 and r.json()["code"] == "bad_input", r.text[:300]
    assert message in r.json()["message"]
    with server.platform.store.read() as db:
        for model in (MeetingSession, Hold):
            assert db.scalar(select(func.count()).select_from(model)) == 0
