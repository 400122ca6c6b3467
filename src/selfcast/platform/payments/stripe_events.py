"""A signed Stripe event, read field by field with a clear error for anything malformed.

A correctly signed body can still be malformed (a hand-made test event, an API version we do not
know): every field the webhook uses is read here with its expected type, and a wrong one is a
``BadInput`` naming the field (a 400), never an ``AttributeError`` deep in the handler (a 500).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from selfcast.errors import BadInput

MAX_ID = 200  # webhook_events.event_id
MAX_TYPE = 80  # webhook_events.type


@dataclass(frozen=True)
class StripeObject:
    """``data.object`` of an event (a checkout session, a charge, a dispute)."""

    fields: Mapping[str, object]

    def text(self, name: str) -> str | None:
        """A string field (an id, a status); None when absent or null."""
        value = self.fields.get(name)
        if value is None:
            return None
        if isinstance(value, dict) and isinstance(value.get("id"), str):
            return value["id"]  # an expanded object stands for its id
        if not isinstance(value, str) or len(value) > MAX_ID:
            raise BadInput(f"Stripe event field data.object.{name} must be a string id, got {_show(value)}")
        return value

    def cents(self, name: str) -> int:
        """A non-negative amount in the smallest currency unit; 0 when absent."""
        value = self.fields.get(name, 0)
        if value is None:
            return 0
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise BadInput(
                f"Stripe event field data.object.{name} must be a whole non-negative amount, got {_show(value)}"
            )
        return value

    def meta(self, name: str) -> str | None:
        """``metadata.<name>``, a string or None."""
        md = self.fields.get("metadata")
        if md is None:
            return None
        if not isinstance(md, dict):
            raise BadInput(f"Stripe event field data.object.metadata must be an object, got {_show(md)}")
        value = md.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
            raise BadInput(
                f"Stripe event field data.object.metadata.{name} must be a string, got {_show(value)}"
            )
        return value


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    object: StripeObject


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_event(payload: bytes) -> StripeEvent:
    """The verified body as a ``StripeEvent``; ``BadInput`` saying what is missing or mistyped."""
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise BadInput("webhook body is not JSON") from exc
    if not isinstance(event, dict):
        raise BadInput("webhook body is not a Stripe event: expected a JSON object")
    eid, etype = event.get("id"), event.get("type")
    if not isinstance(eid, str) or not eid or len(eid) > MAX_ID:
        raise BadInput(f"webhook body is not a Stripe event: id must be a string of 1–{MAX_ID} characters")
    if not isinstance(etype, str) or not etype or len(etype) > MAX_TYPE:
        raise BadInput(
            f"webhook body is not a Stripe event: type must be a string of 1–{MAX_TYPE} characters"
        )
    data = event.get("data")
    if not isinstance(data, dict):
        raise BadInput(f"Stripe event {eid} has no data object (data must be a JSON object)")
    obj = data.get("object")
    if not isinstance(obj, dict):
        raise BadInput(f"Stripe event {eid} has no data.object (it must be a JSON object)")
    return StripeEvent(eid, etype, StripeObject(obj))
