"""The consent announcement: what the bot says (and posts in the chat) as it joins.

Off unless the account turns it on by default (portal → Webhooks & consent) or a session asks
for it (``announce`` / ``consent_text`` on ``POST /v1/sessions``). The text is resolved here, at
launch, into the exact sentence the bot will say; ``{name}`` is the bot's name and ``{owner}`` the
account owner's (from the account's email), so the live session only has to say it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from sqlalchemy.orm import Session

from selfcast.errors import BadInput
from selfcast.platform.ids import utcnow
from selfcast.platform.store.models import Account, AgentDefaults

DEFAULT_TEXT = "Hi, I'm {name}, {owner}'s AI assistant. This meeting is being transcribed."
MAX_CHARS = 500
FIELDS = ("name", "owner")


@dataclass(frozen=True, slots=True)
class AccountConsent:
    announce: bool = False
    text: str = ""  # "" = DEFAULT_TEXT


def check_text(text: object, field: str = "consent_text") -> str:
    """A template the bot can say: at most MAX_CHARS, only ``{name}`` and ``{owner}`` as fields."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise BadInput(f"{field} must be a string")
    text = " ".join(text.split())
    if len(text) > MAX_CHARS:
        raise BadInput(f"{field} is {len(text)} characters; keep it under {MAX_CHARS}")
    try:
        used = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        raise BadInput(f"{field} has a stray brace ({exc}); write {{name}} or {{owner}}, or double a brace") from None
    unknown = [f for f in used if f not in FIELDS]
    if unknown:
        raise BadInput(f"{field} uses {{{unknown[0]}}}; the only fields are {{name}} (the bot) and {{owner}}")
    return text


def owner_name(email: str) -> str:
    """"ada.lovelace@x.io" -> "Ada Lovelace": how the bot names its owner."""
    local = email.split("@", 1)[0].split("+", 1)[0]
    words = [w for w in re.split(r"[._\-]+", local) if w and not w.isdigit()]
    return " ".join(w.capitalize() for w in words) or "the owner"


def bot_display_name(bot_name: str) -> str:
    return bot_name.split("(")[0].strip() or bot_name


def get(db: Session, account_id: str) -> AccountConsent:
    row = db.get(AgentDefaults, account_id)
    return AccountConsent() if row is None else AccountConsent(row.announce, row.consent_text)


def update(db: Session, account_id: str, *, announce: bool, text: str) -> AccountConsent:
    text = check_text(text, "the announcement")
    row = db.get(AgentDefaults, account_id)
    if row is None:
        row = AgentDefaults(account_id=account_id)
        db.add(row)
    row.announce, row.consent_text, row.updated_at = announce, text, utcnow()
    db.flush()
    return get(db, account_id)


def resolve(db: Session, account_id: str, *, announce: bool | None, text: str | None, bot_name: str) -> str:
    """The sentence to announce for one session, or "" for none.

    ``announce`` False turns it off, True on; None follows the account (a session's own
    ``consent_text`` alone also turns it on)."""
    own = check_text(text)
    fallback = get(db, account_id)
    on = announce if announce is not None else bool(own) or fallback.announce
    if not on:
        return ""
    template = own or fallback.text or DEFAULT_TEXT
    acct = db.get(Account, account_id)
    owner = owner_name(acct.email) if acct is not None else "the owner"
    return template.format(name=bot_display_name(bot_name), owner=owner)
