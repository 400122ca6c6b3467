"""The portal's own cryptography: hashes of browser session tokens, and the one-time reveal of a
new key (sealed with a key only the browser's cookie can rebuild). Signed tokens (CSRF, reset
links, OIDC state) are :mod:`selfcast.signing`'s."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
