"""Top-ups, independent of the provider: start, credit exactly once, expire, refund."""

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
    if row.status in ("refunded",):
        raise Conflict(f"top-up {topup_id} was refunded; it cannot be paid again")
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
    row.status = "paid"
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
    if row is None or row.status not in ("paid", "refunded"):
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


def pending(db: Session, limit: int = 100) -> list[TopUp]:
    return list(
        db.scalars(select(TopUp).where(TopUp.status == "pending").order_by(TopUp.created_at).limit(limit))
    )
