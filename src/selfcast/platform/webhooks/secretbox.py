"""Endpoint signing secrets at rest: sealed (AES-GCM) with a key derived from the server's own
signing key, so a copy of the database (a dump, a backup) does not let anyone forge deliveries.

Only the server needs them (to create an endpoint and to sign its deliveries); session workers,
which write the outbox, never see the key.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from selfcast.errors import Unavailable
from selfcast.settings import Settings

PREFIX = "whsec_"
SEALED = "v1."
KEY_BYTES = 32


class SecretBox:
    def __init__(self, server_key: bytes) -> None:
        self._aead = AESGCM(hashlib.sha256(b"selfcast-webhook-secret\0" + server_key).digest())

    @classmethod
    def for_settings(cls, settings: Settings) -> SecretBox:
        from selfcast.signing import load_secret

        return cls(load_secret(settings))

    @staticmethod
    def new_secret() -> str:
        """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
        return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()

    def seal(self, secret: str) -> str:
        raw = base64.b64decode(secret.removeprefix(PREFIX))
        nonce = secrets.token_bytes(12)
        return SEALED + base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, raw, b"webhook")).decode()

    def open(self, stored: str) -> str:
        """The ``whsec_`` secret; Unavailable when the server's key is not the one that sealed it."""
        try:
            blob = base64.urlsafe_b64decode(stored.removeprefix(SEALED))
            raw = self._aead.decrypt(blob[:12], blob[12:], b"webhook")
        except Exception:
            raise Unavailable("a webhook's signing secret cannot be opened: the server's secret_key (or "
                              "data_dir/signing.key) changed since it was made; delete and re-add the webhook") from None
        return PREFIX + base64.b64encode(raw).decode()
