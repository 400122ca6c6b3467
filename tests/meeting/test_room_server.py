"""The built-in room's server without a browser: invitations, signalling, chat, limits, host powers."""

from __future__ import annotations

import contextlib
import json
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
