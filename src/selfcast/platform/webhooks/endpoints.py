"""An account's webhook endpoints: create (the secret is returned this once), list, delete, and
the delivery log. Another account's endpoint is answered exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from selfcast.errors import BadInput
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.store.models import WebhookDelivery, WebhookEndpoint
from selfcast.platform.store.owned import owned
from selfcast.platform.webhooks.events import parse_events
from selfcast.platform.webhooks.secretbox import SecretBox
from selfcast.platform.webhooks.urls import check_url

MAX_ENDPOINTS = 10  # per account


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    row: WebhookEndpoint
    secret: str  # whsec_…: shown once


def create(
    db: Session, account_id: str, url: object, events: object, *, box: SecretBox, allow_loopback: bool
) -> NewEndpoint:
    """Check, store (the secret sealed), and return the secret in the clear this once."""
    checked = check_url(url, allow_loopback=allow_loopback)
    types = parse_events(events)
    count = db.scalar(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id))
    if (count or 0) >= MAX_ENDPOINTS:
        raise BadInput(f"this account already has {MAX_ENDPOINTS} webhook endpoints; delete one first")
    secret = SecretBox.new_secret()
    row = WebhookEndpoint(id=new_id("whk"), account_id=account_id, url=checked, events=" ".join(types),
                          secret=box.seal(secret), created_at=utcnow())
    db.add(row)
    db.flush()
    return NewEndpoint(row, secret)


def list_for(db: Session, account_id: str) -> list[WebhookEndpoint]:
    return list(db.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id).order_by(WebhookEndpoint.created_at)))


def get(db: Session, account_id: str, endpoint_id: str) -> WebhookEndpoint:
    return owned(db, WebhookEndpoint, endpoint_id, account_id, what="webhook")


def remove(db: Session, account_id: str, endpoint_id: str) -> None:
    """Delete the endpoint and its deliveries (pending ones are not sent)."""
    row = get(db, account_id, endpoint_id)
    db.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == row.id))
    db.delete(row)


def deliveries(db: Session, account_id: str, endpoint_id: str, *, limit: int = 100) -> list[WebhookDelivery]:
    """Newest first."""
    get(db, account_id, endpoint_id)
    return list(db.scalars(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc()).limit(max(1, min(limit, 500)))))
