"""Email verification for password sign-ups: a signed, expiring link mailed to the address.

The token carries the account id and the email it was sent to, so a link stops working if the
account's email changes. Verifying is idempotent. An unverified account can sign in and use the
portal, but it is marked unverified and an identity provider is never linked to it on its own
(see ``oidc_link``): the address was typed, not proven.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from selfcast.errors import BadInput
from selfcast.platform.ids import utcnow
from selfcast.platform.mailer import Message
from selfcast.platform.store.models import Account
from selfcast.settings import Settings
from selfcast.signing import TokenSigner

PURPOSE = "verify-email"
INVALID = "this verification link is invalid or expired; sign in and ask for a new one on Model Settings"


def link(signer: TokenSigner, settings: Settings, acct: Account) -> str:
    token = signer.dumps(PURPOSE, {"a": acct.id, "e": acct.email}, settings.portal.verify_link_hours * 3600)
    return f"{settings.base_url}/verify/{token}"


def check(db: Session, signer: TokenSigner, token: str) -> Account:
    payload = signer.loads(PURPOSE, token)
    acct = db.get(Account, str(payload.get("a", ""))) if payload else None
    if acct is None or payload is None or payload.get("e") != acct.email:
        raise BadInput(INVALID)
    return acct


def mark_verified(acct: Account, by: str) -> None:
    """Record that the account's email was proven, and how (``link`` or ``oidc``)."""
    if acct.email_verified_at is None:
        acct.email_verified_at, acct.email_verified_by = utcnow(), by


def welcome(signer: TokenSigner, settings: Settings, acct: Account) -> Message:
    return Message(
        to=acct.email,
        subject="Verify your selfcast email address",
        body=(
            f"Someone (hopefully you) created a selfcast developer account for {acct.email}.\n\n"
            f"Verify the address by opening this link within {settings.portal.verify_link_hours:g} hours:\n"
            f"{link(signer, settings, acct)}\n\nIf this was not you, ignore this message.\n"
        ),
    )


def already_registered(settings: Settings, email: str) -> Message:
    """What the owner of an address gets when someone signs up with it again (no enumeration)."""
    return Message(
        to=email,
        subject="Someone tried to sign up with your selfcast email",
        body=(
            f"Someone tried to create a selfcast account for {email}, which already has one.\n\n"
            f"If it was you, sign in instead: {settings.base_url}/signin\n"
            "Forgot the password? Ask your operator for a reset link.\n"
            "If it was not you, nothing changed; you can ignore this message.\n"
        ),
    )
