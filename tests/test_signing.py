"""The one token signer (selfcast.signing) and its two users: room invitations and the portal."""

from __future__ import annotations

import json

import pytest
from itsdangerous.encoding import base64_decode, base64_encode

from selfcast.meeting.room.registry import INVITE, RoomRegistry
from selfcast.platform.portal.web import Portal
from selfcast.settings import Settings
from selfcast.signing import SECRET_FILE, TokenRejected, TokenSigner, load_secret


def test_tokens_are_purpose_bound_tamper_proof_and_expire() -> None:
    s = TokenSigner(b"k" * 32)
    tok = s.dumps("reset", {"a": "acct_1"}, ttl_s=60)
    assert s.loads("reset", tok)["a"] == "acct_1"
    assert s.loads("oidc", tok) is None  # another purpose
    body, mac = tok.rsplit(".", 1)
    claim = json.loads(base64_decode(body))
    forged = base64_encode(json.dumps({**claim, "a": "acct_2"}).encode()).decode()
    assert s.loads("reset", f"{forged}.{mac}") is None
    assert TokenSigner(b"x" * 32).loads("reset", tok) is None  # another server's secret
    with pytest.raises(TokenRejected) as info:
        s.check("reset", s.dumps("reset", {"a": "x"}, ttl_s=-1))
    assert info.value.reason == "expired"
    with pytest.raises(TokenRejected) as info:
        s.check("reset", f"{forged}.{mac}")
    assert info.value.reason == "invalid"
    assert s.loads("reset", "garbage") is None and s.loads("reset", "") is None
    with pytest.raises(ValueError, match="16 bytes"):
        TokenSigner(b"short")


def test_a_mac_binds_a_message_to_a_purpose() -> None:
    s = TokenSigner(b"k" * 32)
    mac = s.mac("csrf", "s:session-1")
    assert s.verify_mac("csrf", "s:session-1", mac)
    assert not s.verify_mac("csrf", "s:session-2", mac)
    assert not s.verify_mac("flash", "s:session-1", mac)
    assert not s.verify_mac("csrf", "s:session-1", "") and not s.verify_mac("csrf", "s:session-1", "x" * 43)


def test_the_secret_is_generated_once_and_kept_private(settings: Settings) -> None:
    a = load_secret(settings)
    assert load_secret(settings) == a and len(a) == 32
    assert (settings.data_dir / SECRET_FILE).stat().st_mode & 0o077 == 0
    assert load_secret(settings.model_copy(update={"secret_key": "configured"})) != a


def test_room_invitations_and_the_portal_sign_with_the_same_signer(settings: Settings) -> None:
    """One secret and one signer: a room link checks out with the server's signer under the
    invitation purpose, the portal's tokens under theirs, and neither opens the other."""
    server = TokenSigner(load_secret(settings))
    rooms = RoomRegistry.from_settings(settings)
    room = rooms.create_room("standup")
    invite = rooms.mint_token(room.id, name="Ada", role="host")
    assert server.check(INVITE, invite) | {"exp": 0} == {"room": room.id, "role": "host", "name": "Ada", "exp": 0}
    portal = Portal(settings)
    assert portal.signer == server
    reset = portal.signer.dumps("reset", {"room": room.id, "role": "host", "name": "Ada"}, 60)
    with pytest.raises(TokenRejected):
        server.check(INVITE, reset)  # a portal token with the same claims is no invitation
    assert portal.signer.loads("reset", invite) is None
