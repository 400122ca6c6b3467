"""Hostile input to the built-in room's WebSocket: every frame or link the server will not act on
gets a named error and a distinct close code, the offender is dropped cleanly, and everyone else in
the room carries on (the old hub raised on a JSON list and closed with 1011, no message)."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from selfcast.meeting.room import RoomRegistry
from tests.meeting.helpers import RoomServer


@pytest.fixture
def room_server(settings):
    srv = RoomServer(settings)
    srv.start()
    yield srv
    srv.stop()


def _open(server: RoomServer, room_id: str, token: str):
    return connect(f"ws://127.0.0.1:{server.port}/room/{room_id}/ws?t={token}", open_timeout=5)


def _join(server: RoomServer, room_id: str, name: str):
    ws = _open(server, room_id, server.registry.mint_token(room_id))
    ws.send(json.dumps({"type": "join", "name": name}))
    welcome = json.loads(ws.recv(timeout=5))
    assert welcome["type"] == "welcome", welcome
    return ws, welcome["you"]


def _refusal(ws) -> tuple[dict, int]:
    """The error message the server sent, then the close code it ended the socket with."""
    msg = json.loads(ws.recv(timeout=5))
    with pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    return msg, closed.value.rcvd.code


DEEP = "[" * 5000 + "]" * 5000  # nesting past the JSON parser's recursion limit, under the size cap

# (case, joined first?, frame as sent, close code, words the error must contain)
FRAMES = [
    ("json-list", False, "[]", 4400, "must be a JSON object"),
    ("json-list-of-join", False, '[{"type": "join", "name": "Eve"}]', 4400, "got a list"),
    ("json-number", False, "42", 4400, "got a number"),
    ("json-string", False, '"join"', 4400, "got a string"),
    ("json-null", False, "null", 4400, "got null"),
    ("not-json", False, "{type: join", 4400, "not valid JSON"),
    ("deeply-nested", False, DEEP, 4400, "not valid JSON"),
    ("oversized", False, json.dumps({"type": "join", "name": "x" * 70_000}), 1009, "the limit is 65536"),
    ("binary", False, b"\x00\x01binary", 1003, "binary frames are not accepted"),
    ("no-type", False, '{"name": "Eve"}', 4400, "frame type None"),
    ("type-not-a-string", False, '{"type": 7}', 4400, "frame type 7"),
    ("unknown-type", False, '{"type": "explode"}', 4400, "'explode' is not one of join"),
    ("join-name-a-list", False, '{"type": "join", "name": ["Eve"]}', 4400, "'name' must be a string"),
    ("join-key-a-number", False, '{"type": "join", "name": "Eve", "key": 5}', 4400, "'key' must be a string"),
    ("signal-data-a-string", True, '{"type": "signal", "to": "x", "data": "offer"}', 4400, "'data' must be a JSON object"),
    ("signal-to-a-list", True, '{"type": "signal", "to": ["x"], "data": {}}', 4400, "'to' must be a string"),
    ("chat-text-an-object", True, '{"type": "chat", "text": {"a": 1}}', 4400, "'text' must be a string"),
    ("chat-text-nan", True, '{"type": "chat", "text": NaN}', 4400, "'text' must be a string"),
    ("joined-then-binary", True, b"\xff" * 10, 1003, "binary frames are not accepted"),
    ("joined-then-list", True, '[{"type": "end"}]', 4400, "must be a JSON object"),
]


@pytest.mark.parametrize(("case", "joined", "frame", "close_code", "words"), FRAMES, ids=[f[0] for f in FRAMES])
def test_a_hostile_frame_gets_a_named_error_and_close_code(room_server, case, joined, frame, close_code, words):
    reg = room_server.registry
    room = reg.create_room("hostile")
    bystander, _ = _join(room_server, room.id, "Bystander")
    if joined:
        ws, eid = _join(room_server, room.id, "Eve")
        assert json.loads(bystander.recv(timeout=5)) == {"type": "peer-joined", "id": eid, "name": "Eve"}
    else:
        ws = _open(room_server, room.id, reg.mint_token(room.id))
    ws.send(frame)
    msg, code = _refusal(ws)
    assert (msg["type"], msg["code"], code) == ("error", "bad_input", close_code), msg
    assert words in msg["message"], msg
    assert len(msg["message"]) < 200  # names the problem; does not echo the frame back
    if joined:
        assert json.loads(bystander.recv(timeout=5)) == {"type": "peer-left", "id": eid, "name": "Eve"}
    # Nothing half-done: the room holds only the bystander, who still chats.
    status = httpx.get(f"{room_server.base_url}/room/{room.id}/status").json()
    assert status["participants"] == ["Bystander"]
    bystander.send(json.dumps({"type": "chat", "text": "still here"}))
    assert json.loads(bystander.recv(timeout=5))["text"] == "still here"
    bystander.close()


def _bad_links(reg: RoomRegistry) -> list[tuple[str, str, str, int, str]]:
    room, other, ended = reg.create_room(), reg.create_room(), reg.create_room()
    good = reg.mint_token(room.id)
    reg.end(ended.id)
    return [
        ("no-token", room.id, "", 4403, "no valid invitation"),
        ("forged-token", room.id, good[:-4] + "AAAA", 4403, "not valid"),
        ("token-for-another-room", other.id, good, 4403, "different room"),
        ("peer-key-as-invitation", room.id, reg.mint_peer_key(room.id, "abc", ttl_s=60), 4403, "not valid"),
        ("unknown-room", "nosuchroom", good, 4404, "does not exist"),
        ("ended-room", ended.id, reg.mint_token(ended.id), 4410, "has ended"),
    ]


def test_a_bad_link_is_refused_with_its_own_close_code(room_server):
    for case, room_id, token, close_code, words in _bad_links(room_server.registry):
        ws = _open(room_server, room_id, token)
        msg, code = _refusal(ws)
        assert code == close_code and words in msg["message"], (case, msg, code)
        if room_id != "nosuchroom":  # nobody was let in
            status = httpx.get(f"{room_server.base_url}/room/{room_id}/status").json()
            assert status["participants"] == [], case
