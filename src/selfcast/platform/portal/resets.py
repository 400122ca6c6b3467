"""Password reset links an operator hands out (``selfcast accounts reset-link EMAIL``).

The token is signed and expiring, and carries a fingerprint of the account's current password
hash: once the password changes, every earlier link stops working (single use without state).
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from selfcast.errors import BadInput
from selfcast.platform import accounts
from selfcast.platform.store.models import Account
from selfcast.settings import Settings
from selfcast.signing import TokenSigner, load_secret

PURPOSE = "reset"
INVALID = "this reset link is invalid, expired or already used; ask your operator for a new one"


def _fingerprint(acct: Account) -> str:
    return hashlib.sha256(f"{acct.id}\0{acct.password_hash or ''}".encode()).hexdigest()[:32]


def make_link(db: Session, settings: Settings, email: str) -> str:
    acct = accounts.by_email(db, email)
    token = TokenSigner(load_secret(settings)).dumps(
        PURPOSE, {"a": acct.id, "f": _fingerprint(acct)}, settings.portal.reset_link_hours * 3600
    )
    return f"{settings.base_url}/reset/{token}"


def check(db: Session, signer: TokenSigner, token: str) -> Account:
    payload = signer.loads(PURPOSE, token)
    acct = db.get(Account, payload.get("a", "")) if payload else None
    if acct is None or payload is None or payload.get("f") != _fingerprint(acct):
        raise BadInput(INVALID)
    return acct
