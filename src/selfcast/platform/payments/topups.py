"""Top-ups, independent of the provider: start, credit exactly once, expire, refund, dispute.

Statuses: pending → paid (or expired / failed); paid → refunded, or disputed → paid again (won)
or charged_back (lost). A refunded or charged-back top-up is never credited again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from selfcast.errors import Conflict, NotFound
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import product as find_product
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.payments.base import PaymentProvider
from selfcast.platform.store import Store
from selfcast.platform.store.models import Account, LedgerEntry, TopUp
from selfcast.platform.store.owned import owned
from selfcast.settings import PricingSettings

REVERSED = ("refunded", "charged_back")  # the money went back: a late "paid" event credits nothing


def start(
    store: Store, provider: PaymentProvider, pricing: PricingSettings, account_id: str, product_id: str | None
) -> TopUp:
    """Create a pending top-up and its checkout. The provider call runs outside any transaction;
    if it fails the top-up is marked ``failed`` and the error propagates."""
    prod = find_product(pricing, product_id)
    with store.write() as db:
        acct = db.get(Account, account_id)
        if acct is None:
            raise NotFound(f"no account {account_id}")
        topup = TopUp(
            id=new_id("tu"),
            account_id=account_id,
            product_id=prod.id,
            credits=prod.credits,
            amount_cents=prod.price_cents,
            currency=prod.currency,
            provider=provider.name,
            status="pending",
            created_at=utcnow(),
        )
        db.add(topup)
        email = acct.email
    try:
        checkout = provider.create_checkout(
            topup_id=topup.id, account_id=account_id, email=email, product=prod
        )
    except Exception:
        with store.write() as db:
            db.get(TopUp, topup.id).status = "failed"  # type: ignore[union-attr]
        raise
    with store.write() as db:
        row = db.get(TopUp, topup.id)
        assert row is not None
        row.checkout_url = checkout.url
        row.provider_ref = checkout.provider_ref
        return row


def get(db: Session, account_id: str, topup_id: str) -> TopUp:
    return owned(db, TopUp, topup_id, account_id, what="top-up")


def list_topups(db: Session, account_id: str, limit: int = 50) -> list[TopUp]:
    return list(
        db.scalars(
            select(TopUp).where(TopUp.account_id == account_id).order_by(TopUp.created_at.desc()).limit(limit)
        )
    )


def mark_paid(db: Session, topup_id: str, *, payment_ref: str | None = None, note: str = "") -> bool:
    """Credit a top-up once. Returns True when this call credited it."""
    row = db.get(TopUp, topup_id)
    if row is None:
        raise NotFound(f"no top-up {topup_id}")
    if row.status in REVERSED:
        raise Conflict(f"top-up {topup_id} was {row.status.replace('_', ' ')}; it cannot be paid again")
    if payment_ref and not row.payment_ref:
        row.payment_ref = payment_ref
    entry = ledger.credit(
        db,
        row.account_id,
        row.credits,
        kind="topup",
        ref=f"topup:{row.id}",
        note=note or f"{row.product_id} via {row.provider}",
    )
    if row.status in ("pending", "expired", "failed"):
        row.status = "paid"  # a disputed top-up stays disputed
    if row.paid_at is None:
        row.paid_at = utcnow()
    return entry is not None


def approve(db: Session, topup_id: str) -> TopUp:
    """Operator approval of a built-in invoice."""
    row = db.get(TopUp, topup_id)
    if row is None:
        raise NotFound(f"no top-up {topup_id}; list pending ones with `selfcast credits balance --pending`")
    if row.status == "paid":
        raise Conflict(f"top-up {topup_id} is already paid")
    if row.status not in ("pending", "expired"):
        raise Conflict(f"top-up {topup_id} is {row.status}; only pending top-ups can be approved")
    mark_paid(db, topup_id, note=f"{row.product_id} approved by operator")
    return row


def expire(db: Session, topup_id: str) -> None:
    row = db.get(TopUp, topup_id)
    if row is not None and row.status == "pending":
        row.status = "expired"


def fail(db: Session, topup_id: str) -> None:
    row = db.get(TopUp, topup_id)
    if row is not None and row.status == "pending":
        row.status = "failed"


def refund(db: Session, topup_id: str, *, refunded_fraction: float, ref: str) -> int:
    """Reverse credits for the refunded share of a top-up, counting earlier partial refunds."""
    row = db.get(TopUp, topup_id)
    if row is None or row.status not in ("paid", "refunded", "disputed"):
        return 0
    target = int(row.credits * min(1.0, max(0.0, refunded_fraction)))
    done = (
        -sum(
            db.scalars(
                select(LedgerEntry.amount_milli).where(
                    LedgerEntry.kind == "refund", LedgerEntry.ref.like(f"refund:{row.id}:%")
                )
            )
        )
        // 1000
    )
    taken = (
        ledger.reverse(
            db,
            row.account_id,
            max(0, target - done),
            ref=f"refund:{row.id}:{ref}",
            note=f"refund of {row.id}",
        )
        if target > done
        else 0
    )
    if refunded_fraction >= 1.0:
        row.status = "refunded"
    return taken


def _taken(db: Session, topup_id: str) -> int:
    """Millicredits refunds and disputes have already taken back from this top-up."""
    return -sum(
        db.scalars(
            select(LedgerEntry.amount_milli).where(
                LedgerEntry.kind.in_(ledger.REVERSAL_KINDS),
                LedgerEntry.ref.like(f"refund:{topup_id}:%") | LedgerEntry.ref.like(f"dispute:{topup_id}:%"),
            )
        )
    )


def dispute(db: Session, topup_id: str, *, dispute_id: str, amount_cents: int) -> int:
    """A chargeback opened: take the disputed share of the credits back now (held ones included,
    owed until their session ends). Returns credits taken."""
    row = db.get(TopUp, topup_id)
    if row is None or row.status not in ("paid", "disputed", "refunded"):
        return 0
    share = min(1.0, amount_cents / row.amount_cents) if row.amount_cents > 0 else 1.0
    left = max(0, row.credits * 1000 - _taken(db, row.id)) // 1000  # never more than the top-up gave
    taken = ledger.reverse(
        db, row.account_id, min(left, int(row.credits * share)), ref=f"dispute:{row.id}:{dispute_id}",
        note=f"dispute {dispute_id} on {row.id}", kind="dispute",
    )  # fmt: skip
    if row.status == "paid":
        row.status = "disputed"
    return taken


def dispute_won(db: Session, topup_id: str, *, dispute_id: str) -> int:
    """The dispute closed in our favour: return exactly what it took, once. Returns millicredits."""
    row = db.get(TopUp, topup_id)
    if row is None:
        return 0
    back = ledger.reinstate(
        db, row.account_id, f"dispute:{row.id}:{dispute_id}", ref=f"dispute-won:{row.id}:{dispute_id}",
        note=f"dispute {dispute_id} on {row.id} won: credits returned",
    )  # fmt: skip
    if row.status == "disputed":
        row.status = "paid"
    return back


def dispute_lost(db: Session, topup_id: str, *, dispute_id: str) -> None:
    """The chargeback stands: the credits stay taken and the top-up can never be paid again."""
    row = db.get(TopUp, topup_id)
    if row is not None and row.status in ("paid", "disputed"):
        row.status = "charged_back"


def pending(db: Session, limit: int = 100) -> list[TopUp]:
    return list(
        db.scalars(select(TopUp).where(TopUp.status == "pending").order_by(TopUp.created_at).limit(limit))
    )
