"""``/v1/webhooks``: an account's webhook endpoints and their delivery log.

``POST`` returns the signing secret (``whsec_…``) once; verify deliveries with any Standard
Webhooks library (``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` headers).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from selfcast.platform.deps import CallerDep, PlatformDep
from selfcast.platform.store.models import WebhookEndpoint
from selfcast.platform.webhooks import endpoints
from selfcast.platform.webhooks.events import EVENT_TYPES


class WebhookIn(BaseModel):
    url: str = Field(description="https:// URL of a public host that receives the events")
    events: list[str] | None = Field(default=None, description=f"any of {', '.join(EVENT_TYPES)}; default all")


class WebhookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    created_at: datetime


class NewWebhookOut(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_…). Shown this once; store it now.")


class WebhookList(BaseModel):
    webhooks: list[WebhookOut]


class DeliveryOut(BaseModel):
    id: int
    message_id: str = Field(description="the webhook-id header: the same on every attempt")
    event_type: str
    status: str = Field(description="pending | delivered | failed")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    response_code: int | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    deliveries: list[DeliveryOut]


class Deleted(BaseModel):
    id: str
    deleted: bool


def _out(row: WebhookEndpoint) -> WebhookOut:
    return WebhookOut(id=row.id, url=row.url, events=row.events.split(), created_at=row.created_at)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["webhooks"])

    @router.post("/webhooks", response_model=NewWebhookOut, status_code=201)
    def create_webhook(body: WebhookIn, platform: PlatformDep, caller: CallerDep) -> NewWebhookOut:
        """Subscribe a URL to this account's events (400 naming the problem for a URL that is not
        a public https endpoint)."""
        with platform.store.write() as db:
            new = endpoints.create(db, caller.account_id, body.url, body.events, box=platform.webhooks.box,
                                   allow_loopback=platform.settings.webhooks.allow_loopback)
            return NewWebhookOut(**_out(new.row).model_dump(), secret=new.secret)

    @router.get("/webhooks", response_model=WebhookList)
    def list_webhooks(platform: PlatformDep, caller: CallerDep) -> WebhookList:
        with platform.store.read() as db:
            return WebhookList(webhooks=[_out(r) for r in endpoints.list_for(db, caller.account_id)])

    @router.delete("/webhooks/{webhook_id}", response_model=Deleted)
    def delete_webhook(webhook_id: str, platform: PlatformDep, caller: CallerDep) -> Deleted:
        """Delete an endpoint and its pending deliveries; 404 when this account has none with that id."""
        with platform.store.write() as db:
            endpoints.remove(db, caller.account_id, webhook_id)
        return Deleted(id=webhook_id, deleted=True)

    @router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryList)
    def list_deliveries(
        webhook_id: str, platform: PlatformDep, caller: CallerDep, limit: int = Query(100, ge=1, le=500)
    ) -> DeliveryList:
        """The delivery log, newest first: status, attempts, last error and response code."""
        with platform.store.read() as db:
            rows = endpoints.deliveries(db, caller.account_id, webhook_id, limit=limit)
            return DeliveryList(deliveries=[DeliveryOut(
                id=r.id, message_id=r.message_id, event_type=r.event_type, status=r.status, attempts=r.attempts,
                next_attempt_at=r.next_attempt_at if r.status == "pending" else None, last_error=r.last_error,
                response_code=r.response_code, created_at=r.created_at, delivered_at=r.delivered_at,
            ) for r in rows])

    return router
