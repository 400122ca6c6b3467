"""Developer keys: ``dk_`` + 32 random bytes, shown once, stored only as sha256 + display prefix.

A key is high-entropy, so a plain sha256 is the right hash: lookups stay one indexed query per
request (argon2 would cost ~50 ms each). ``last_used_at`` is written at most once a minute per key
so that status polling does not turn every read into a database write.

A key carries scopes. ``sessions`` (the default, and what every key made before scopes had) drives
meetings, media and credits; ``keys:mint`` may also create keys. A leaked everyday key therefore
cannot mint fresh keys that outlive its revocation; minting needs a signed-in portal session, the
operator CLI, or a key that was deliberately given ``keys:mint``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from selfcast.errors import BadInput, Conflict, Forbidden, NotFound, Unauthorized
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.store.models import Account, ApiKey
from selfcast.platform.store.owned import owned

PREFIX = "dk_"
KEY_BYTES = 32
DISPLAY_CHARS = 8
LAST_USED_RESOLUTION = timedelta(seconds=60)
SESSIONS, MINT = "sessions", "keys:mint"
SCOPES = (SESSIONS, MINT)
DEFAULT_SCOPES = (SESSIONS,)


def parse_scopes(scopes: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Known scopes in canonical order; an unknown one is a clear 400, none means the default."""
    items = scopes.replace(",", " ").split() if isinstance(scopes, str) else list(scopes or ())
    unknown = sorted({s for s in items if s not in SCOPES})
    if unknown:
        raise BadInput(f"unknown key scope {', '.join(unknown)}: use {' and/or '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in items) or DEFAULT_SCOPES


@dataclass(frozen=True)
class NewKey:
    """The one moment the plaintext exists: hand ``secret`` to the user, then drop it."""

    id: str
    name: str
    prefix: str
    secret: str
    created_at: datetime
    scopes: tuple[str, ...] = DEFAULT_SCOPES


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(
    db: Session, account_id: str, name: str = "", scopes: tuple[str, ...] | list[str] | str | None = None
) -> NewKey:
    """A new key with ``scopes`` (default: sessions only). Callers check who may mint first."""
    granted = parse_scopes(scopes)
    acct = db.get(Account, account_id)
    if acct is None:
        raise NotFound(f"no account {account_id}")
    if not acct.developer:
        raise Conflict("developer mode is off for this account: turn it on before creating keys")
    name = (name or "").strip()
    if len(name) > 100:
        raise BadInput("key name too long: keep it under 100 characters")
    secret = PREFIX + secrets.token_urlsafe(KEY_BYTES)
    row = ApiKey(
        id=new_id("key"),
        account_id=account_id,
        name=name,
        prefix=secret[: len(PREFIX) + DISPLAY_CHARS],
        key_hash=hash_key(secret),
        created_at=utcnow(),
        scopes=" ".join(granted),
    )
    db.add(row)
    db.flush()
    return NewKey(
        id=row.id, name=name, prefix=row.prefix, secret=secret, created_at=row.created_at, scopes=granted
    )


def mint_with_key(db: Session, caller: KeyAuth, name: str, scopes: tuple[str, ...] | list[str] | str | None) -> NewKey:
    """A key minting a key: only with ``keys:mint``, and never granting more than it holds."""
    if MINT not in caller.scopes:
        raise Forbidden(
            "this developer key cannot create keys (it lacks the keys:mint scope): create keys in the "
            "portal (Model Settings) or with `selfcast keys create`"
        )
    granted = parse_scopes(scopes)
    extra = [s for s in granted if s not in caller.scopes]
    if extra:
        raise Forbidden(f"a key cannot grant scopes it does not hold ({', '.join(extra)})")
    return create(db, caller.account_id, name, granted)


def list_keys(db: Session, account_id: str) -> list[ApiKey]:
    return list(db.scalars(select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at)))


def revoke(db: Session, account_id: str, key_id: str) -> ApiKey:
    row = owned(db, ApiKey, key_id, account_id, what="key")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row


def parse_authorization(header: str | None) -> str:
    """Accept ``DevKey dk_…`` (the Pika skill) and ``Bearer dk_…``; anything else is 401."""
    if not header:
        raise Unauthorized("missing Authorization header: send `Authorization: DevKey dk_…` or `Bearer dk_…`")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in ("devkey", "bearer") or not token:
        raise Unauthorized("Authorization must be `DevKey dk_…` or `Bearer dk_…`")
    if not token.startswith(PREFIX):
        raise Unauthorized("that is not a selfcast developer key (they start with dk_)")
    return token


@dataclass(frozen=True)
class KeyAuth:
    account_id: str
    key_id: str
    last_used_at: datetime | None
    scopes: tuple[str, ...] = DEFAULT_SCOPES

    @property
    def needs_touch(self) -> bool:
        return needs_touch(self.last_used_at)


def authenticate(db: Session, secret: str) -> KeyAuth:
    """Resolve a live key to its account (read-only; call ``touch`` when ``needs_touch``)."""
    row = db.execute(
        select(ApiKey.id, ApiKey.account_id, ApiKey.revoked_at, ApiKey.last_used_at, ApiKey.scopes).where(
            ApiKey.key_hash == hash_key(secret)
        )
    ).first()
    if row is None:
        raise Unauthorized("unknown developer key: create one with `selfcast keys create` or in the portal")
    if row.revoked_at is not None:
        raise Unauthorized("this developer key was revoked: create a new one")
    held = tuple(s for s in SCOPES if s in (row.scopes or "").split())
    return KeyAuth(row.account_id, row.id, row.last_used_at, held)


def needs_touch(last_used_at: datetime | None, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION


def touch(db: Session, key_id: str) -> None:
    now = utcnow()
    db.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id)
        .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
    )
