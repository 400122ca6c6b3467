"""Stripe webhook handling: verify the signature with the SDK, then apply each event once.

The event id is inserted into ``webhook_events`` in the same transaction as the ledger entry,
so a replay (or a concurrent duplicate delivery) finds the row and credits nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from selfcast.errors import BadInput, Unavailable
from selfcast.platform.payments import topups
from selfcast.platform.store import Store
from selfcast.platform.store.models import TopUp, WebhookEvent

TOLERANCE_S = 300


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    type: str
    outcome: str  # credited | duplicate | expired | refunded | recorded | ignored


def verify(payload: bytes, signature: str | None, secret: str) -> dict[str, Any]:
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
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadInput("webhook body is not JSON") from exc
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadInput("webhook body is not a Stripe event (no id/type)")
    return event


def _topup_for_session(db, obj: dict[str, Any]) -> TopUp | None:  # type: ignore[no-untyped-def]
    tid = obj.get("client_reference_id") or (obj.get("metadata") or {}).get("topup_id")
    row = db.get(TopUp, tid) if tid else None
    if row is None and obj.get("id"):
        row = db.scalar(select(TopUp).where(TopUp.provider_ref == obj["id"]))
    if row is not None and row.provider_ref and obj.get("id") and row.provider_ref != obj["id"]:
        return None  # the event names a different checkout than the one we opened
    return row


def apply(store: Store, event: dict[str, Any]) -> WebhookResult:
    event_id, etype = str(event["id"]), str(event["type"])
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with store.write() as db:
            if db.get(WebhookEvent, event_id) is not None:
                return WebhookResult(event_id, etype, "duplicate")
            db.add(WebhookEvent(event_id=event_id, provider="stripe", type=etype))
            db.flush()
            outcome = "ignored"
            if etype in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
                row = _topup_for_session(db, obj)
                paid = etype.endswith("succeeded") or obj.get("payment_status") in (
                    "paid",
                    "no_payment_required",
                )
                if row is not None and paid:
                    credited = topups.mark_paid(db, row.id, payment_ref=obj.get("payment_intent"))
                    outcome = "credited" if credited else "duplicate"
                elif row is not None:
                    row.payment_ref = row.payment_ref or obj.get("payment_intent")
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
                pi = obj.get("payment_intent")
                row = db.scalar(select(TopUp).where(TopUp.payment_ref == pi)) if pi else None
                amount = int(obj.get("amount") or 0)
                if row is not None and amount > 0:
                    topups.refund(
                        db,
                        row.id,
                        refunded_fraction=int(obj.get("amount_refunded") or 0) / amount,
                        ref=event_id,
                    )
                    outcome = "refunded"
            return WebhookResult(event_id, etype, outcome)
    except IntegrityError:
        # a concurrent delivery of the same event committed first
        return WebhookResult(event_id, etype, "duplicate")
