"""The portal's secret and what it signs: CSRF tokens, reset links, OIDC flow state, and the
one-time reveal of a new key (sealed with a key only the browser's cookie can rebuild)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from selfcast.settings import Settings

SECRET_FILE = "portal.key"


def load_secret(settings: Settings) -> bytes:
    """``settings.secret_key`` when set, else a random key kept (0600) in the data dir."""
    if settings.secret_key:
        return hashlib.sha256(b"selfcast-portal\0" + settings.secret_key.encode()).digest()
    path = Path(settings.ensure_dirs()) / SECRET_FILE
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(secrets.token_bytes(32))
        tmp.chmod(0o600)
        tmp.replace(path)
    data = path.read_bytes()
    if len(data) < 32:
        raise ValueError(f"{path} is shorter than 32 bytes; delete it and restart to make a new one")
    return data


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Signer:
    """HMAC-SHA256 signatures with purpose separation (a CSRF token is never a reset token)."""

    secret: bytes

    def mac(self, purpose: str, message: str) -> str:
        return b64(hmac.new(self.secret, f"{purpose}\0{message}".encode(), hashlib.sha256).digest())

    def verify_mac(self, purpose: str, message: str, mac: str) -> bool:
        return hmac.compare_digest(self.mac(purpose, message), mac or "")

    def dumps(self, purpose: str, payload: dict[str, Any], ttl_s: float) -> str:
        """A signed, expiring, URL-safe token carrying ``payload`` (readable, not secret)."""
        body = b64(json.dumps({**payload, "exp": int(time.time() + ttl_s)}, separators=(",", ":")).encode())
        return f"{body}.{self.mac(purpose, body)}"

    def loads(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The payload when the signature is good and the token has not expired, else None."""
        body, _, mac = (token or "").partition(".")
        if not body or not self.verify_mac(purpose, body, mac):
            return None
        try:
            payload = json.loads(unb64(body))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
            return None
        return payload


def seal(cookie_token: str, plaintext: str) -> str:
    """Encrypt with a key derived from the browser's session token (the server keeps only its hash)."""
    key = hashlib.sha256(b"selfcast-reveal\0" + cookie_token.encode()).digest()
    nonce = secrets.token_bytes(12)
    return b64(nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), None))


def unseal(cookie_token: str, sealed: str) -> str | None:
    key = hashlib.sha256(b"selfcast-reveal\0" + cookie_token.encode()).digest()
    try:
        raw = unb64(sealed)
        return AESGCM(key).decrypt(raw[:12], raw[12:], None).decode()
    except Exception:
        return None
