"""The credits ledger: append-only entries plus holds.

* ``balance``: total = sum of entries (never < 0); held = open holds' ``reserved - captured``
  (never < 0); available (what clients see) = total - held, floored at 0. When a refund or a
  dispute took credits that an open session still holds, total < held: the difference is *owed*
  and is collected, by arithmetic alone, as the hold is released (a session cannot spend it: its
  next minute is refused), so nobody keeps refunded credits by leaving a meeting.
* ``reserve`` at join puts a hold on ``min_credits_to_join`` and refuses when available is short.
* ``capture`` charges one started minute of a session. It is idempotent per (session, minute):
  the unique constraint on ``ledger_entries(session_id, minute)`` is the last word, and the
  account row lock makes the check-then-insert race-free on PostgreSQL (SQLite writers are
  serialised by ``BEGIN IMMEDIATE``). A minute that the account cannot pay is not charged and
  raises ``InsufficientCredits``, so available never goes below zero.
* ``release`` ends the hold when the session leaves or fails; what was not captured returns
  (first to whatever is owed).
* ``reverse`` takes back a refund or dispute in full from the credits the account still has,
  held ones included; only credits already spent are beyond reach (noted on the entry).
* ``credit`` refuses anything that would lift a balance over ``LEDGER_CEILING`` (the integer
  columns would overflow long before any real account gets near it); ``grant`` adds the
  operator's own per-grant and per-balance limits.

Every function runs inside the caller's transaction so a webhook's event row and its credit, or
a session's state change and its charge, commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from selfcast.errors import BadInput, InsufficientCredits, NotFound
from selfcast.platform.billing.pricing import MILLI
from selfcast.platform.ids import utcnow
from selfcast.platform.store.models import Account, Hold, LedgerEntry

CREDIT_KINDS = ("grant", "topup", "adjust")
REVERSAL_KINDS = ("refund", "dispute")
LEDGER_CEILING = 10**12  # credits in one account: 1e15 millicredits, far inside a signed 64-bit sum


@dataclass(frozen=True)
class GrantLimits:
    """An operator's bounds on a grant (``pricing.max_grant_credits`` / ``max_balance_credits``)."""

    max_grant: int
    max_balance: int


@dataclass(frozen=True)
class Balance:
    total_milli: int
    held_milli: int

    @property
    def free_milli(self) -> int:
        """total - held: negative while a refund waits for a session's hold to come back."""
        return self.total_milli - self.held_milli

    @property
    def available_milli(self) -> int:
        return max(0, self.free_milli)

    @property
    def owed_milli(self) -> int:
        """Refunded or disputed credits still held by open sessions, collected as they end."""
        return max(0, -self.free_milli)

    @property
    def owed(self) -> float:
        return self.owed_milli / MILLI

    @property
    def available(self) -> int:
        """Whole credits a client may spend (floor), the Pika ``balance``."""
        return self.available_milli // MILLI

    @property
    def held(self) -> float:
        return self.held_milli / MILLI

    @property
    def total(self) -> float:
        return self.total_milli / MILLI


@dataclass(frozen=True)
class Capture:
    charged: bool  # False when this minute had already been charged
    minute: int
    spendable_milli: int  # what this session can still spend: available + its own hold


def lock_account(db: Session, account_id: str) -> None:
    """Serialise ledger writers of one account (row lock on PostgreSQL; SQLite is serialised)."""
    if db.scalar(select(Account.id).where(Account.id == account_id).with_for_update()) is None:
        raise NotFound(f"no account {account_id}")


def _held_expr():  # type: ignore[no-untyped-def]
    remaining = Hold.reserved_milli - Hold.captured_milli
    return func.coalesce(func.sum(case((remaining > 0, remaining), else_=0)), 0)


def balance(db: Session, account_id: str) -> Balance:
    total = db.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_milli), 0)).where(
            LedgerEntry.account_id == account_id
        )
    )
    held = db.scalar(select(_held_expr()).where(Hold.account_id == account_id, Hold.status == "open"))
    return Balance(int(total or 0), int(held or 0))


def credit(
    db: Session, account_id: str, credits: int, *, kind: str, ref: str | None = None, note: str = ""
) -> LedgerEntry | None:
    """Add credits. With ``ref``, a second call with the same ref is a no-op returning None."""
    if kind not in CREDIT_KINDS:
        raise BadInput(f"unknown credit kind {kind!r}")
    if not isinstance(credits, int) or isinstance(credits, bool) or credits <= 0:
        raise BadInput(f"credits must be a positive whole number, got {credits!r}")
    lock_account(db, account_id)
    if ref is not None and db.scalar(select(LedgerEntry.id).where(LedgerEntry.ref == ref)) is not None:
        return None
    total = balance(db, account_id).total_milli
    if credits > LEDGER_CEILING or total + credits * MILLI > LEDGER_CEILING * MILLI:
        raise BadInput(
            f"adding {credits} credits would put the balance over the ledger's ceiling of "
            f"{LEDGER_CEILING:,} credits; add a smaller amount"
        )
    entry = LedgerEntry(
        account_id=account_id,
        amount_milli=credits * MILLI,
        kind=kind,
        ref=ref,
        note=note[:300],
        created_at=utcnow(),
    )
    db.add(entry)
    db.flush()
    return entry


def grant(db: Session, account_id: str, credits: int, limits: GrantLimits, *, note: str = "") -> LedgerEntry:
    """An operator's grant, inside the operator's limits (each named in the refusal)."""
    if not isinstance(credits, int) or isinstance(credits, bool) or credits <= 0:
        raise BadInput(f"credits must be a positive whole number, got {credits!r}")
    if credits > limits.max_grant:
        raise BadInput(
            f"a grant of {credits:,} credits is over the limit of {limits.max_grant:,} per grant "
            "(pricing.max_grant_credits); grant less, or raise SELFCAST_PRICING__MAX_GRANT_CREDITS"
        )
    lock_account(db, account_id)
    total = balance(db, account_id).total_milli
    if total + credits * MILLI > limits.max_balance * MILLI:
        raise BadInput(
            f"the grant would bring the balance to {(total // MILLI) + credits:,} credits, over the "
            f"maximum balance of {limits.max_balance:,} (pricing.max_balance_credits); grant at most "
            f"{max(0, limits.max_balance - total // MILLI):,}, or raise SELFCAST_PRICING__MAX_BALANCE_CREDITS"
        )
    entry = credit(db, account_id, credits, kind="grant", note=note)
    assert entry is not None  # no ref: never a duplicate
    return entry


def reverse(
    db: Session, account_id: str, credits: int, *, ref: str, note: str = "", kind: str = "refund"
) -> int:
    """Take back ``credits`` (a refund or a dispute), held credits included; returns credits taken.

    Only credits already spent are out of reach. Credits an open session holds are taken too: the
    balance then owes them (available shows 0, never below) until the hold is released.
    """
    if kind not in REVERSAL_KINDS:
        raise BadInput(f"unknown reversal kind {kind!r}")
    lock_account(db, account_id)
    if db.scalar(select(LedgerEntry.id).where(LedgerEntry.ref == ref)) is not None:
        return 0
    bal = balance(db, account_id)
    take = max(0, min(credits * MILLI, bal.total_milli))
    shortfall = credits * MILLI - take
    from_holds = max(0, take - bal.available_milli)
    if from_holds:
        note = f"{note} ({from_holds / MILLI:g} held by open sessions, owed until they end)".strip()
    if shortfall:
        note = f"{note} ({shortfall / MILLI:g} credits were already spent)".strip()
    db.add(
        LedgerEntry(
            account_id=account_id,
            amount_milli=-take,
            kind=kind,
            ref=ref,
            note=note[:300],
            created_at=utcnow(),
        )
    )
    db.flush()
    return take // MILLI


def reinstate(db: Session, account_id: str, reversal_ref: str, *, ref: str, note: str = "") -> int:
    """Give back exactly what the reversal ``reversal_ref`` took (a dispute won), once per ``ref``.
    Returns the millicredits returned (0 when there was nothing to return or it was returned)."""
    lock_account(db, account_id)
    taken = db.scalar(
        select(LedgerEntry.amount_milli).where(
            LedgerEntry.ref == reversal_ref,
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind.in_(REVERSAL_KINDS),
        )
    )
    if not taken or db.scalar(select(LedgerEntry.id).where(LedgerEntry.ref == ref)) is not None:
        return 0
    db.add(
        LedgerEntry(
            account_id=account_id,
            amount_milli=-taken,
            kind="adjust",
            ref=ref,
            note=note[:300],
            created_at=utcnow(),
        )
    )
    db.flush()
    return -taken


def reserve(
    db: Session, account_id: str, session_id: str, amount_milli: int, *, min_available_milli: int
) -> Hold:
    """Hold ``amount_milli`` for a session when at least ``min_available_milli`` is available."""
    lock_account(db, account_id)
    bal = balance(db, account_id)
    if bal.available_milli < min_available_milli:
        raise InsufficientCredits(
            f"balance {bal.available} credits is below the {min_available_milli // MILLI} needed to join; "
            "top up (POST /developer/topup) and try again",
            detail={"balance": bal.available, "required": min_available_milli // MILLI},
        )
    hold = Hold(
        account_id=account_id,
        session_id=session_id,
        reserved_milli=min(amount_milli, bal.available_milli),
        captured_milli=0,
        status="open",
        created_at=utcnow(),
    )
    db.add(hold)
    db.flush()
    return hold


def capture(db: Session, session_id: str, minute: int, cost_milli: int) -> Capture:
    """Charge minute ``minute`` (0-based) of a session, once."""
    if minute < 0 or cost_milli <= 0:
        raise BadInput("minute must be ≥ 0 and the cost positive")
    hold = db.scalar(select(Hold).where(Hold.session_id == session_id))
    if hold is None:
        raise NotFound(f"session {session_id} has no credit hold")
    lock_account(db, hold.account_id)
    db.refresh(hold)
    bal = balance(db, hold.account_id)
    own_remaining = max(0, hold.reserved_milli - hold.captured_milli) if hold.status == "open" else 0
    spendable = bal.free_milli + own_remaining  # what is owed comes out of the hold first
    done = db.scalar(
        select(LedgerEntry.id).where(LedgerEntry.session_id == session_id, LedgerEntry.minute == minute)
    )
    if done is not None:
        return Capture(False, minute, max(0, spendable))
    if spendable < cost_milli:
        raise InsufficientCredits(
            f"out of credits: minute {minute + 1} costs {cost_milli / MILLI:g}, {spendable / MILLI:g} left",
            detail={"session_id": session_id, "minute": minute},
        )
    db.add(
        LedgerEntry(
            account_id=hold.account_id,
            amount_milli=-cost_milli,
            kind="capture",
            session_id=session_id,
            minute=minute,
            note=f"minute {minute + 1}",
            created_at=utcnow(),
        )
    )
    hold.captured_milli += cost_milli
    db.flush()
    return Capture(True, minute, spendable - cost_milli)


def release(db: Session, session_id: str) -> Hold | None:
    """End a session's hold: what it did not capture returns, paying what is owed first."""
    hold = db.scalar(select(Hold).where(Hold.session_id == session_id))
    if hold is None or hold.status == "released":
        return hold
    lock_account(db, hold.account_id)
    hold.status = "released"
    hold.released_at = utcnow()
    db.flush()
    return hold


def entries(db: Session, account_id: str, limit: int = 100) -> list[LedgerEntry]:
    return list(
        db.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.account_id == account_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
        )
    )
