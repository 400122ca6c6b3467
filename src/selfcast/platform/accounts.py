"""Accounts: sign-up and login with argon2-hashed passwords, and a developer-mode flag.

Functions take an open ``Session``; the caller owns the transaction (see ``Store.write``).
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from selfcast.errors import BadInput, Conflict, NotFound, Unauthorized
from selfcast.platform.ids import new_id
from selfcast.platform.store.models import Account

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_hasher = PasswordHasher()
MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise BadInput(f"{email!r} is not an email address; give one like you@example.com")
    return email


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"password too short: use at least {MIN_PASSWORD} characters")


def equalise_timing(password: str) -> None:
    """Spend the work of hashing ``password`` (a path that must not be faster than sign-up)."""
    _hasher.hash(password)


def sign_up(db: Session, email: str, password: str | None, *, developer: bool = True) -> Account:
    """Create an account. ``password`` None makes a key-only account (CLI/demo)."""
    email = normalize_email(email)
    if password is not None:
        check_password_rules(password)
    if db.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(f"an account for {email} already exists; log in instead")
    acct = Account(
        id=new_id("acct"),
        email=email,
        password_hash=_hasher.hash(password) if password is not None else None,
        developer=developer,
    )
    db.add(acct)
    db.flush()
    return acct


def login(db: Session, email: str, password: str) -> Account:
    """Return the account when the password matches; one vague error for every failure."""
    fail = Unauthorized("email or password is wrong")
    try:
        email = normalize_email(email)
    except BadInput:
        raise fail from None
    acct = db.scalar(select(Account).where(Account.email == email))
    if acct is None or not acct.password_hash:
        _hasher.hash("timing-equaliser")  # do the same work whether or not the account exists
        raise fail
    try:
        _hasher.verify(acct.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise fail from None
    if _hasher.check_needs_rehash(acct.password_hash):
        acct.password_hash = _hasher.hash(password)
    return acct


def set_password(db: Session, account_id: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"password too short: use at least {MIN_PASSWORD} characters")
    get(db, account_id).password_hash = _hasher.hash(password)


def set_developer(db: Session, account_id: str, on: bool) -> Account:
    acct = get(db, account_id)
    acct.developer = on
    return acct


def get(db: Session, account_id: str) -> Account:
    acct = db.get(Account, account_id)
    if acct is None:
        raise NotFound(f"no account {account_id}")
    return acct


def by_email(db: Session, email: str) -> Account:
    acct = db.scalar(select(Account).where(Account.email == normalize_email(email)))
    if acct is None:
        raise NotFound(f"no account for {email}; create one with `selfcast keys create --email {email}`")
    return acct


def get_or_create(db: Session, email: str) -> Account:
    try:
        return by_email(db, email)
    except NotFound:
        return sign_up(db, email, None, developer=True)
