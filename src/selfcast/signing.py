"""Signed, expiring tokens: the one signer for room invitations and the portal (reset links, OIDC
state, flash messages, CSRF).

Signing is itsdangerous (HMAC-SHA256, URL-safe); each use names a ``purpose`` that salts the key,
so a token minted for one job is refused by every other. Expiry travels inside the payload, so
each token carries its own lifetime (a week for an invitation, ten minutes for OIDC state).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from itsdangerous import BadSignature, Signer, URLSafeSerializer

from selfcast.settings import Settings

SECRET_FILE = "signing.key"
MIN_SECRET_BYTES = 16

JSONScalar = str | int | float | bool | None
Payload = dict[str, JSONScalar]


def load_secret(settings: Settings) -> bytes:
    """``settings.secret_key`` when set, else a random key kept (0600) in the data dir.

    Shared by every server process on the same data dir, so a restart honours the links it issued.
    """
    if settings.secret_key:
        return hashlib.sha256(b"selfcast-signing\0" + settings.secret_key.encode()).digest()
    path = Path(settings.ensure_dirs()) / SECRET_FILE
    if not path.exists():
        tmp = path.with_name(f"{SECRET_FILE}.{secrets.token_hex(4)}.tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    data = path.read_bytes()
    if len(data) < 32:
        raise ValueError(f"{path} is shorter than 32 bytes; delete it and restart to make a new one")
    return data


class TokenRejected(Exception):
    """A token that is forged, damaged, minted for another purpose, or past its expiry."""

    def __init__(self, reason: Literal["invalid", "expired"]) -> None:
        super().__init__(f"token {reason}")
        self.reason = reason


@dataclass(frozen=True)
class TokenSigner:
    """Signs and checks tokens with one secret; ``purpose`` keeps each job's tokens apart."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_BYTES:
            raise ValueError(f"a signing secret needs at least {MIN_SECRET_BYTES} bytes")

    def _serializer(self, purpose: str) -> URLSafeSerializer:
        return URLSafeSerializer(self.secret, salt=purpose, signer_kwargs={"digest_method": hashlib.sha256})

    def dumps(self, purpose: str, payload: Payload, ttl_s: float) -> str:
        """A signed, expiring, URL-safe token carrying ``payload`` (readable, not secret)."""
        return self.dumps_until(purpose, payload, time.time() + ttl_s)

    def dumps_until(self, purpose: str, payload: Payload, expires_at: float) -> str:
        """Like :meth:`dumps` with a fixed expiry (epoch s): the same inputs give the same token, so a
        link can be shown again later without being stored."""
        return self._serializer(purpose).dumps({**payload, "exp": expires_at})

    def check(self, purpose: str, token: str) -> Payload:
        """The payload of a good, unexpired token; :class:`TokenRejected` says why otherwise."""
        try:
            payload = self._serializer(purpose).loads(token or "")
        except BadSignature:
            raise TokenRejected("invalid") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("exp"), int | float):
            raise TokenRejected("invalid")
        if payload["exp"] < time.time():
            raise TokenRejected("expired")
        return payload

    def loads(self, purpose: str, token: str) -> Payload | None:
        """The payload when the token is good and unexpired, else None."""
        try:
            return self.check(purpose, token)
        except TokenRejected:
            return None

    def mac(self, purpose: str, message: str) -> str:
        """A signature over ``message`` alone (CSRF tokens bound to a browser session)."""
        return Signer(self.secret, salt=purpose, digest_method=hashlib.sha256).get_signature(message).decode()

    def verify_mac(self, purpose: str, message: str, mac: str) -> bool:
        signer = Signer(self.secret, salt=purpose, digest_method=hashlib.sha256)
        return bool(mac) and signer.verify_signature(message.encode(), (mac or "").encode())
