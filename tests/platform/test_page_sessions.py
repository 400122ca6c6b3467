"""``platform: "page"`` sessions over real HTTP (SQLite, scripted workers): no meeting link, a signed
``page_url`` to the room's output view, refused when expired or tampered with, absent elsewhere.
The page itself, with a real bot answering through its microphone: tests/live/test_page_e2e.py."""

from __future__ import annotations

import contextlib
import json
import time
from urllib.parse import parse_qs, urlsplit

import requests
from itsdangerous.encoding import base64_decode, base64_encode
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from selfcast.meeting.room import RoomRegistry
from selfcast.settings import Settings
from tests.platform.helpers import LiveServer, auth, wait_for
from tests.platform.test_pika_contract import png_bytes


def _avatar(u: str, h: dict[str, str]) -> str:
    r = requests.post(f"{u}/v1/avatars", headers=h, files={"image": ("me.png", png_bytes(), "image/png")}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _leave(u: str, h: dict[str, str], sid: str) -> None:
    requests.post(f"{u}/v1/sessions/{sid}/leave", headers=h, timeout=10)
    wait_for(lambda: requests.get(f"{u}/v1/sessions/{sid}", headers=h, timeout=10).json()["status"] == "closed")


def _ws_answer(base: str, room_id: str, token: str) -> dict:
    """The room socket's first answer to a join with ``token`` (a refused token is told so at once)."""
    with contextlib.suppress(ConnectionClosed), \
            connect(f"ws://{urlsplit(base).netloc}/room/{room_id}/ws?t={token}", open_timeout=10) as ws:
        with contextlib.suppress(ConnectionClosed):
            ws.send(json.dumps({"type": "join", "name": "x"}))
        return dict(json.loads(ws.recv(timeout=10)))
    raise AssertionError("the room socket closed without an answer")


def test_page_session_needs_no_link_and_its_signed_page_url_opens_the_output_view(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("page@x.io", credits=300)
    h = auth(key)
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30,
                      json={"platform": "page", "bot_name": "Ada (AI)", "avatar_id": _avatar(u, h)})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["platform"] == "page"
    page_url = s["page_url"]
    parts = urlsplit(page_url)
    assert page_url.startswith(f"{u}/room/") and parts.path.endswith("/page"), page_url
    room_id, token = parts.path.split("/")[2], parse_qs(parts.query)["t"][0]
    # shown again, it is the same link (minted from the session, never stored)
    assert requests.get(f"{u}/v1/sessions/{s['session_id']}", headers=h, timeout=10).json()["page_url"] == page_url
    # the bot is the room's host under its own name; the page joins as "Meeting", a guest
    rooms = RoomRegistry.from_settings(sqlite_server.settings)
    assert (rooms.verify(room_id, token).name, rooms.verify(room_id, token).role) == ("Meeting", "guest")
    bot = urlsplit(s["meet_url"])
    assert rooms.verify(room_id, parse_qs(bot.query)["t"][0]).role == "host"

    page = requests.get(page_url, timeout=10)
    assert page.status_code == 200 and 'data-view="output"' in page.text and '"view": "output"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"  # the link is a credential
    welcome = _ws_answer(u, room_id, token)
    assert welcome["type"] == "welcome" and welcome["name"] == "Meeting" and welcome["role"] == "guest"

    # tampered: the claims edited (a host seat asked for), the signature kept
    body, sig = token.rsplit(".", 1)
    claim = json.loads(base64_decode(body))
    forged = base64_encode(json.dumps({**claim, "role": "host"}).encode()).decode() + "." + sig
    bad = requests.get(f"{u}/room/{room_id}/page?t={forged}", timeout=10)
    assert bad.status_code == 403 and "not valid" in bad.text and "room-config" not in bad.text
    assert _ws_answer(u, room_id, forged)["code"] == "denied"  # and no room access by the socket either
    assert requests.get(f"{u}/room/{room_id}/page", timeout=10).status_code == 403  # no token at all
    assert requests.get(f"{u}/room/nosuchroom/page?t={token}", timeout=10).status_code == 404

    # expired: the same invitation, its time over
    old = rooms.mint_token(room_id, name="Meeting", expires_at=time.time() - 1)
    gone = requests.get(rooms.page_url(u, room_id, old), timeout=10)
    assert gone.status_code == 403 and "expired" in gone.text and "room-config" not in gone.text
    assert _ws_answer(u, room_id, old)["code"] == "denied"

    # the Pika-contract route: platform "page", no meet_url, the page_url at the top level and under data
    pk = requests.post(f"{u}/proxy/realtime/meeting-session", headers=h, timeout=30,
                       files={"image": ("a.png", png_bytes(), "image/png")},
                       data={"platform": "page", "bot_name": "Ada (AI)", "voice_id": "English_radiant_girl"})
    assert pk.status_code == 200, pk.text
    assert pk.json()["page_url"] == pk.json()["data"]["page_url"] and "/page?t=" in pk.json()["page_url"]
    for sid in (s["session_id"], pk.json()["session_id"]):
        _leave(u, h, sid)


def test_page_session_with_a_meeting_link_is_refused_naming_the_problem(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("pagebad@x.io", credits=300)
    h = auth(key)
    avatar = _avatar(u, h)
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30, json={
        "platform": "page", "meet_url": "https://meet.google.com/abc-defg-hij", "avatar_id": avatar, "bot_name": "Ada"})
    assert r.status_code == 400, r.text
    msg = r.json()["error"]["message"] if "error" in r.json() else r.json()["message"]
    assert 'platform "page" takes no meet_url' in msg and "page_url" in msg
    pk = requests.post(f"{u}/proxy/realtime/meeting-session", headers=h, timeout=30,
                       files={"image": ("a.png", png_bytes(), "image/png")},
                       data={"platform": "page", "meet_url": "https://meet.google.com/abc-defg-hij", "bot_name": "Ada"})
    assert pk.status_code == 400 and "takes no meet_url" in pk.text
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30, json={"platform": "pages", "avatar_id": avatar})
    assert r.status_code == 400 and "unknown platform 'pages'" in r.text and "or page (no meet_url" in r.text
    # without platform "page", a session still needs its link
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30, json={"avatar_id": avatar, "bot_name": "Ada"})
    assert r.status_code == 400 and "meet_url is required" in r.text
    assert requests.get(f"{u}/v1/sessions", headers=h, timeout=10).json() == []  # nothing half-made


def test_page_url_is_absent_for_other_platforms(sqlite_server: LiveServer) -> None:
    u, (_, key) = sqlite_server.url, sqlite_server.account("nopage@x.io", credits=300)
    h = auth(key)
    r = requests.post(f"{u}/v1/sessions", headers=h, timeout=30, json={
        "meet_url": "https://teams.live.com/meet/123", "bot_name": "Ada", "avatar_id": _avatar(u, h)})
    assert r.status_code == 201, r.text
    assert r.json()["platform"] == "teams" and "page_url" not in r.json()
    got = requests.get(f"{u}/v1/sessions/{r.json()['session_id']}", headers=h, timeout=10).json()
    assert "page_url" not in got and got["error_code"] is None  # the other fields keep their nulls
    pk = requests.post(f"{u}/proxy/realtime/meeting-session", headers=h, timeout=30,
                       files={"image": ("a.png", png_bytes(), "image/png")},
                       data={"meet_url": "https://meet.google.com/abc-defg-hij", "bot_name": "Ada",
                             "voice_id": "English_radiant_girl"})
    assert pk.status_code == 200 and "page_url" not in pk.json() and "page_url" not in pk.json()["data"]
    for sid in (r.json()["session_id"], pk.json()["session_id"]):
        _leave(u, h, sid)


def test_page_links_expire_an_hour_after_the_longest_run_and_then_are_not_shown(settings: Settings) -> None:
    from selfcast.platform.sessions.page import LINK_SLACK_S, LONGEST_SESSION_S, open_page_room, page_url_of

    rooms = RoomRegistry.from_settings(settings)
    short = open_page_room(rooms, settings.base_url, bot_name="Ada", max_duration_s=600)
    assert short.expires_at == rooms.get(short.room_id).created_at + 600 + LINK_SLACK_S
    endless = open_page_room(rooms, settings.base_url, bot_name="Ada", max_duration_s=None)
    assert endless.expires_at == rooms.get(endless.room_id).created_at + LONGEST_SESSION_S + LINK_SLACK_S
    url = page_url_of(settings, short.bot_url)
    assert url is not None and url == page_url_of(settings, short.bot_url)  # the same link each time
    assert rooms.verify(short.room_id, parse_qs(urlsplit(url).query)["t"][0]).expires_at == short.expires_at
    # the bot's invitation run out (the session is long over): no page_url is shown
    stale = rooms.mint_token(short.room_id, name="Ada", role="host", expires_at=time.time() - 1)
    assert page_url_of(settings, rooms.invite_url(settings.base_url, short.room_id, stale)) is None
