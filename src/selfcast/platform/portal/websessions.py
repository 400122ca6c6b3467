"""Browser sessions: a random cookie token, stored only as its sha256, expiring, revocable."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from selfcast.platform.ids import utcnow
from selfcast.platform.portal.crypto import seal, token_hash, unseal
from selfcast.platform.store.models import Account, WebSession

TOUCH_EVERY = timedelta(minutes=5)
REVEAL_TTL_S = 600  # a new key not looked at within 10 minutes is never shown


@dataclass(frozen=True)
class Viewer:
    """The signed-in account behind a request."""

    account_id: str
    email: str
    token: str  # the cookie value; binds CSRF tokens and seals the one-time reveal
    email_verified: bool = True  # False: the portal asks to verify; never auto-linked to a provider

    @property
    def session_id(self) -> str:
        return token_hash(self.token)


def create(db: Session, account_id: str, *, days: float, user_agent: str = "") -> str:
    """Start a session; returns the cookie token (the only place it exists in plaintext)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        WebSession(
            id=token_hash(token),
            account_id=account_id,
            created_at=now,
            expires_at=now + timedelta(days=days),
            last_seen_at=now,
            user_agent=(user_agent or "")[:300],
        )
    )
    db.flush()
    return token


def resolve(db: Session, token: str | None) -> tuple[Viewer | None, bool]:
    """The viewer for a cookie token (None when unknown or expired) and whether to touch it."""
    if not token or len(token) > 200:
        return None, False
    row = db.get(WebSession, token_hash(token))
    now = utcnow()
    if row is None or row.expires_at <= now:
        return None, False
    acct = db.get(Account, row.account_id)
    if acct is None:
        return None, False
    viewer = Viewer(acct.id, acct.email, token, acct.email_verified_at is not None)
    return viewer, now - row.last_seen_at >= TOUCH_EVERY


def touch(db: Session, token: str) -> None:
    row = db.get(WebSession, token_hash(token))
    if row is not None:
        row.last_seen_at = utcnow()


def destroy(db: Session, token: str) -> None:
    db.execute(delete(WebSession).where(WebSession.id == token_hash(token)))


def destroy_all(db: Session, account_id: str) -> None:
    """Sign every browser of an account out (after a password reset)."""
    db.execute(delete(WebSession).where(WebSession.account_id == account_id))


def stash_reveal(db: Session, viewer: Viewer, secret: str) -> None:
    """Keep a new key for exactly one page view, sealed with the viewer's cookie token."""
    row = db.get(WebSession, viewer.session_id)
    if row is not None:
        row.pending_reveal = seal(viewer.token, f"{int(time.time())}:{secret}")


def has_reveal(db: Session, viewer: Viewer) -> bool:
    row = db.get(WebSession, viewer.session_id)
    return row is not None and bool(row.pending_reveal)


def pop_reveal(db: Session, viewer: Viewer) -> str | None:
    """Return the sealed key once and forget it; a reveal older than ``REVEAL_TTL_S`` is dropped."""
    row = db.get(WebSession, viewer.session_id)
    if row is None or not row.pending_reveal:
        return None
    sealed, row.pending_reveal = row.pending_reveal, None
    stamp, _, secret = (unseal(viewer.token, sealed) or "").partition(":")
    if not stamp.isdigit() or time.time() - int(stamp) > REVEAL_TTL_S:
        return None
    return secret
