"""The built-in room's server without a browser: invitations, signalling, chat, limits, host powers."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous.encoding import base64_decode, base64_encode
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from selfcast.errors import BadInput, NotFound, Unauthorized
from selfcast.meeting.room import MAX_PEERS, RoomRegistry, create_room_app


@pytest.fixture
def registry(settings) -> RoomRegistry:
    return RoomRegistry.from_settings(settings)


@pytest.fixture
def client(settings, registry):
    return TestClient(create_room_app(settings, registry))


def test_invitation_tokens_are_signed_scoped_and_expire(registry, settings):
    room = registry.create_room("standup")
    tok = registry.mint_token(room.id, name="Ada", role="host")
    inv = registry.verify(room.id, tok)
    assert (inv.name, inv.role) == ("Ada", "host")
    other = registry.create_room("other")
    with pytest.raises(Unauthorized, match="different room"):
        registry.verify(other.id, tok)
    body, sig = tok.rsplit(".", 1)
    claim = json.loads(base64_decode(body))
    assert claim["role"] == "host"
    forged = base64_encode(json.dumps({**claim, "role": "guest"}).encode()).decode()
    with pytest.raises(Unauthorized, match="not valid"):
        registry.verify(room.id, f"{forged}.{sig}")  # the claims edited, the signature kept
    with pytest.raises(Unauthorized, match="no valid invitation"):
        registry.verify(room.id, "")
    expired = registry.mint_token(room.id, ttl_s=0.01)
    time.sleep(1.1)
    with pytest.raises(Unauthorized, match="expired"):
        registry.verify(room.id, expired)
    with pytest.raises(NotFound):
        registry.mint_token("nope")
    with pytest.raises(BadInput, match="role"):
        registry.mint_token(room.id, role="admin")
    # A restarted server (new registry on the same data dir) honours old links and knows old rooms.
    again = RoomRegistry.from_settings(settings)
    assert again.verify(room.id, tok).name == "Ada"


def _page_config(html: str) -> dict:
    start = html.index('<script type="application/json" id="room-config">') + len('<script type="application/json" id="room-config">')
    return json.loads(html[start:html.index("</script>", start)])


def test_page_carries_room_config_and_assets_are_served(client, registry):
    room = registry.create_room("Weekly <sync>")
    html = client.get(f"/room/{room.id}").text
    cfg = _page_config(html)
    assert (cfg["roomId"], cfg["title"]) == (room.id, "Weekly <sync>")
    assert client.get("/room/_static/room.js").headers["content-type"].startswith("application/javascript")
    assert client.get("/room/_static/evil.js").status_code == 404
    assert client.get("/room/nosuch/status").json()["code"] == "not_found"


class _Ws:
    """A real WebSocket client against the real server (TestClient runs each socket on its own
    event loop, which breaks fan-out between them)."""

    def __init__(self, url: str) -> None:
        self.ws = connect(url, open_timeout=5)

    def send_json(self, obj) -> None:
        with contextlib.suppress(ConnectionClosed):  # the server may refuse before reading
            self.ws.send(json.dumps(obj))

    def receive_json(self):
        return json.loads(self.ws.recv(timeout=5))

    def close(self) -> None:
        self.ws.close()


def _join(server, registry, room_id, name, role="guest", **extra):
    tok = registry.mint_token(room_id, name=name, role=role)
    ws = _Ws(f"ws://127.0.0.1:{server.port}/room/{room_id}/ws?t={tok}")
    ws.send_json({"type": "join", **extra})
    return ws, ws.receive_json()


def test_signalling_introduces_peers_relays_and_fans_out_chat(room_server):
    registry = room_server.registry
    room = registry.create_room()
    a, wa = _join(room_server, registry, room.id, "Ann")
    assert wa["type"] == "welcome" and wa["peers"] == []
    ann = wa["you"]
    b, wb = _join(room_server, registry, room.id, "Bob")
    bob = wb["you"]
    assert wb["peers"] == [{"id": ann, "name": "Ann"}]
    assert a.receive_json() == {"type": "peer-joined", "id": bob, "name": "Bob"}
    b.send_json({"type": "signal", "to": ann, "data": {"description": {"type": "offer", "sdp": "v=0"}}})
    assert a.receive_json() == {"type": "signal", "from": bob, "data": {"description": {"type": "offer", "sdp": "v=0"}}}
    a.send_json({"type": "chat", "text": "  hello  "})
    ma, mb = a.receive_json(), b.receive_json()
    assert ma == mb and (ma["name"], ma["text"]) == ("Ann", "hello")
    assert httpx.get(f"{room_server.base_url}/room/{room.id}/status").json()["participants"] == ["Ann", "Bob"]
    b.send_json({"type": "leave"})
    assert a.receive_json() == {"type": "peer-left", "id": bob, "name": "Bob"}
    a.close()
    b.close()


def test_mesh_is_limited_and_extra_people_are_refused(room_server):
    registry = room_server.registry
    room = registry.create_room()
    socks = [_join(room_server, registry, room.id, f"P{i}")[0] for i in range(MAX_PEERS)]
    extra, msg = _join(room_server, registry, room.id, "Late")
    assert msg["type"] == "error" and msg["code"] == "full"
    for s in [*socks, extra]:
        s.close()


def test_host_can_remove_a_guest_and_end_the_meeting(room_server):
    registry = room_server.registry
    room = registry.create_room()
    host, wh = _join(room_server, registry, room.id, "Host", role="host")
    guest, wg = _join(room_server, registry, room.id, "Guest")
    host.receive_json()  # peer-joined
    guest.send_json({"type": "kick", "peer": wh["you"]})  # guests cannot
    host.send_json({"type": "kick", "peer": wg["you"]})
    assert guest.receive_json()["type"] == "removed"
    assert host.receive_json()["type"] == "peer-left"
    guest2, _ = _join(room_server, registry, room.id, "Guest2")
    host.receive_json()
    host.send_json({"type": "end"})
    assert guest2.receive_json()["type"] == "ended"
    assert registry.get(room.id).ended_at is not None
    _late, msg = _join(room_server, registry, room.id, "Late")
    assert msg["type"] == "ended"


def test_a_bad_token_or_missing_name_is_refused(client, registry):
    room = registry.create_room()
    with client.websocket_connect(f"/room/{room.id}/ws?t=forged") as ws:
        assert ws.receive_json()["code"] == "denied"
    with client.websocket_connect(f"/room/{room.id}/ws?t={registry.mint_token(room.id)}") as ws:
        ws.send_json({"type": "join", "name": "   "})
        assert ws.receive_json()["code"] == "bad_input"


def test_joining_with_another_peers_id_neither_disconnects_them_nor_takes_their_signalling(room_server):
    registry = room_server.registry
    room = registry.create_room()
    host, wh = _join(room_server, registry, room.id, "Host", role="host")
    hid = wh["you"]
    other = registry.create_room()
    attempts = {  # built lazily: the first needs nothing but the id everyone in the room sees
        "claims the id outright": lambda: {"peer": hid},
        "forges the key's signature": lambda: {"key": wh["key"][:-4] + "AAAA", "peer": hid},
        "replays the invitation as a key": lambda: {"key": registry.mint_token(room.id, name="Eve", role="host")},
        "brings a key from another room": lambda: {"key": registry.mint_peer_key(other.id, hid, ttl_s=60)},
    }
    guest, wg = _join(room_server, registry, room.id, "Guest")
    assert host.receive_json()["id"] == wg["you"]
    for why, extra in attempts.items():
        eve, we = _join(room_server, registry, room.id, "Eve", **extra())
        assert we["type"] == "welcome" and we["you"] != hid, why
        assert {"id": hid, "name": "Host"} in we["peers"], why
        # The host is still connected: it hears of Eve as a newcomer, and its signalling stays its own.
        assert host.receive_json() == {"type": "peer-joined", "id": we["you"], "name": "Eve"}, why
        assert guest.receive_json()["id"] == we["you"]
        guest.send_json({"type": "signal", "to": hid, "data": {"candidate": why}})
        assert host.receive_json() == {"type": "signal", "from": wg["you"], "data": {"candidate": why}}
        with pytest.raises(TimeoutError):
            eve.ws.recv(timeout=0.3)
        eve.send_json({"type": "leave"})
        assert host.receive_json()["type"] == "peer-left" and guest.receive_json()["type"] == "peer-left"
        eve.close()
    for s in (host, guest):
        s.close()


def test_a_rejoin_that_presents_its_key_keeps_its_id_even_after_a_server_restart(room_server):
    registry = room_server.registry
    room = registry.create_room()
    a, wa = _join(room_server, registry, room.id, "Ann")
    b, wb = _join(room_server, registry, room.id, "Bob")
    assert a.receive_json()["type"] == "peer-joined"
    ann, bob = wa["you"], wb["you"]
    # The same browser after a network drop, before the server noticed its old socket go.
    a2, wa2 = _join(room_server, registry, room.id, "Ann", key=wa["key"])
    assert (wa2["you"], wa2["peers"]) == (ann, [{"id": bob, "name": "Bob"}])
    with pytest.raises(ConnectionClosed) as closed:
        a.ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4000
    assert b.receive_json() == {"type": "peer-joined", "id": ann, "name": "Ann"}  # no peer-left between
    # Keys are signed, not kept in memory: a restarted server still knows who presents one.
    room_server.stop()
    room_server.start()
    a3, wa3 = _join(room_server, registry, room.id, "Ann", key=wa2["key"])
    assert wa3["you"] == ann
    for s in (a, b, a2, a3):
        s.close()


HOSTILE_TITLES = ["</script><script>window.pwned=1</script>", "<!--<script>", "</SCRIPT >x", "a\u2028b\u2029c",
                  '"; window.pwned=1; //', "&lt;b&gt; & <b>"]


def test_a_room_title_cannot_break_out_of_the_page(client, registry):
    for title in HOSTILE_TITLES:
        room = registry.create_room(title)
        html = client.get(f"/room/{room.id}").text
        assert re.findall(r"<script[^>]*>", html, re.I) == [
            '<script type="application/json" id="room-config">', '<script src="/room/_static/room.js">'], title
        block = html.split('id="room-config">', 1)[1].split("</script>", 1)[0]
        assert not set(block) & set("<>&\u2028\u2029"), title
        assert _page_config(html)["title"] == title


def test_the_room_page_is_served_with_a_strict_csp(client, registry):
    room = registry.create_room()
    r = client.get(f"/room/{room.id}?t=abc")
    csp = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";"))
    assert (csp["default-src"], csp["script-src"], csp["style-src"]) == ("'none'", "'self'", "'self'")
    assert csp["connect-src"].split() == ["'self'", "ws://testserver", "wss://testserver"]
    assert {csp["frame-ancestors"], csp["base-uri"], csp["object-src"]} == {"'none'"}
    assert "unsafe" not in r.headers["content-security-policy"]
    assert r.headers["referrer-policy"] == "no-referrer"  # the page URL holds the invitation
    # Every script the page runs has a src under the policy; the config block is inert data.
    for tag in re.findall(r"<script[^>]*>", r.text):
        assert 'src="/room/_static/' in tag or 'type="application/json"' in tag
    # The Host header is the requester's own input: it cannot add directives.
    evil = client.get(f"/room/{room.id}", headers={"host": "x; script-src *"}).headers["content-security-policy"]
    assert "script-src *" not in evil and "x;" not in evil


def test_server_logs_never_carry_a_room_token(settings, tmp_path):
    """`selfcast room serve` with its real uvicorn logging: page and WebSocket lines name the path,
    never the token (the old server logged `GET /room/<id>?t=<host token>` and the socket's URL)."""
    from tests.meeting.helpers import free_port

    registry = RoomRegistry.from_settings(settings)
    room = registry.create_room("logs")
    host_tok = registry.mint_token(room.id, name="Host", role="host")
    port = free_port()
    env = {**os.environ, "SELFCAST_DATA_DIR": str(settings.data_dir), "SELFCAST_PORT": str(port),
           "SELFCAST_LOG_LEVEL": "info"}
    env.pop("SELFCAST_CONFIG", None)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "selfcast.cli.main", "room", "serve"], env=env,
                                stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/room/{room.id}?t={host_tok}", timeout=2).raise_for_status()
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.time() < deadline, log.read_text()
                    time.sleep(0.2)
            ws = _Ws(f"ws://127.0.0.1:{port}/room/{room.id}/ws?t={host_tok}&token={host_tok}")
            ws.send_json({"type": "join"})
            assert ws.receive_json()["type"] == "welcome"
            ws.close()
            time.sleep(0.5)
        finally:
            proc.terminate()
            proc.wait(10)
    text = log.read_text()
    assert f'"GET /room/{room.id}?t=[redacted] HTTP/1.1" 200' in text, text
    assert f'"WebSocket /room/{room.id}/ws?t=[redacted]&token=[redacted]" [accepted]' in text, text
    assert host_tok.rsplit(".", 1)[1] not in text  # not even the signature alone
