"""Opaque, prefixed, random identifiers (``sess_…``, ``acct_…``) that reveal nothing about order."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime


def new_id(prefix: str, nbytes: int = 10) -> str:
    raw = base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=").lower()
    return f"{prefix}_{raw}"


def utcnow() -> datetime:
    return datetime.now(UTC)
