"""Stripe webhook handling: verify the signature with the SDK, then apply each event once.

The event id is inserted into ``webhook_events`` in the same transaction as the ledger entry,
so a replay (or a concurrent duplicate delivery) finds the row and credits nothing. Every
verified event that can be read is answered 2xx, including ones that change nothing (a payment
for a top-up already refunded): Stripe retries anything else for days. A verified but malformed
event is a 400 naming the field, and nothing of it is stored.

Disputes (``charge.dispute.*``) take the disputed share of the top-up's credits back with the
refund mechanism (held credits included, owed until the session ends) and return them if the
dispute is won or closed as a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from selfcast.errors import BadInput, Unavailable
from selfcast.platform.payments import topups
from selfcast.platform.payments.stripe_events import StripeEvent, StripeObject, parse_event
from selfcast.platform.store import Store
from selfcast.platform.store.models import TopUp, WebhookEvent

TOLERANCE_S = 300
PAID_TYPES = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
DISPUTE_RETURNED = ("won", "warning_closed")  # the merchant keeps the money


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    type: str
    # credited | duplicate | expired | refunded | recorded | ignored | after_refund | disputed
    # | dispute_won | dispute_lost
    outcome: str


def verify(payload: bytes, signature: str | None, secret: str) -> StripeEvent:
    if not secret:
        raise Unavailable("Stripe webhooks are not configured: set SELFCAST_PAYMENTS__STRIPE_WEBHOOK_SECRET")
    try:
        import stripe
    except ImportError as exc:
        raise Unavailable("the stripe SDK is not installed: pip install 'selfcast[stripe]'") from exc
    if not signature:
        raise BadInput("missing Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8", "replace"), signature, secret, TOLERANCE_S
        )
    except stripe.SignatureVerificationError as exc:
        raise BadInput(f"bad Stripe signature: {exc.user_message or 'verification failed'}") from exc
    return parse_event(payload)


def _topup_for_session(db: Session, obj: StripeObject) -> TopUp | None:
    tid = obj.text("client_reference_id") or obj.meta("topup_id")
    oid = obj.text("id")
    row = db.get(TopUp, tid) if tid else None
    if row is None and oid:
        row = db.scalar(select(TopUp).where(TopUp.provider_ref == oid))
    if row is not None and row.provider_ref and oid and row.provider_ref != oid:
        return None  # the event names a different checkout than the one we opened
    return row


def _topup_for_charge(db: Session, obj: StripeObject) -> TopUp | None:
    pi = obj.text("payment_intent")
    return db.scalar(select(TopUp).where(TopUp.payment_ref == pi)) if pi else None


def _dispute(db: Session, etype: str, obj: StripeObject) -> str:
    row = _topup_for_charge(db, obj)
    dispute_id = obj.text("id")
    if row is None or not dispute_id:
        return "ignored"
    if etype == "charge.dispute.created":
        topups.dispute(db, row.id, dispute_id=dispute_id, amount_cents=obj.cents("amount"))
        return "disputed"
    status = obj.text("status") or ""
    if etype == "charge.dispute.closed" and status in DISPUTE_RETURNED:
        topups.dispute_won(db, row.id, dispute_id=dispute_id)
        return "dispute_won"
    if etype == "charge.dispute.closed":
        topups.dispute_lost(db, row.id, dispute_id=dispute_id)
        return "dispute_lost"
    return "recorded"  # updated, funds_withdrawn, funds_reinstated: the closing event decides


def apply(store: Store, event: StripeEvent) -> WebhookResult:
    event_id, etype, obj = event.id, event.type, event.object
    try:
        with store.write() as db:
            if db.get(WebhookEvent, event_id) is not None:
                return WebhookResult(event_id, etype, "duplicate")
            db.add(WebhookEvent(event_id=event_id, provider="stripe", type=etype))
            db.flush()
            outcome = "ignored"
            if etype in PAID_TYPES:
                row = _topup_for_session(db, obj)
                paid = etype.endswith("succeeded") or obj.text("payment_status") in (
                    "paid",
                    "no_payment_required",
                )
                if row is not None and row.status in topups.REVERSED:
                    outcome = "after_refund"  # recorded (the event row), never credited again
                elif row is not None and paid:
                    credited = topups.mark_paid(db, row.id, payment_ref=obj.text("payment_intent"))
                    outcome = "credited" if credited else "duplicate"
                elif row is not None:
                    row.payment_ref = row.payment_ref or obj.text("payment_intent")
                    outcome = "recorded"
            elif etype == "checkout.session.async_payment_failed":
                row = _topup_for_session(db, obj)
                if row is not None:
                    topups.fail(db, row.id)
                    outcome = "recorded"
            elif etype == "checkout.session.expired":
                row = _topup_for_session(db, obj)
                if row is not None:
                    topups.expire(db, row.id)
                    outcome = "expired"
            elif etype == "charge.refunded":
                row = _topup_for_charge(db, obj)
                amount = obj.cents("amount")
                if row is not None and amount > 0:
                    topups.refund(
                        db, row.id, refunded_fraction=obj.cents("amount_refunded") / amount, ref=event_id
                    )
                    outcome = "refunded"
            elif etype.startswith("charge.dispute."):
                outcome = _dispute(db, etype, obj)
            return WebhookResult(event_id, etype, outcome)
    except IntegrityError:
        # a concurrent delivery of the same event committed first
        return WebhookResult(event_id, etype, "duplicate")
