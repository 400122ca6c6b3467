"""Writing deliveries in the caller's transaction (the outbox pattern).

The registry records a state change, transcript lines or notes and, in the same transaction,
one delivery row per subscribed endpoint: either both are stored or neither, and a delivery
survives a crash or restart of the server until the dispatcher has sent it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from selfcast.platform.ids import utcnow
from selfcast.platform.sessions.states import State
from selfcast.platform.store.models import MeetingSession, WebhookDelivery, WebhookEndpoint
from selfcast.platform.webhooks.events import (
    BALANCE_LOW,
    NOTES_READY,
    SESSION_STATE,
    TRANSCRIPT_SEGMENT,
    JsonValue,
    envelope,
    message_id,
)
from selfcast.transcript import TranscriptLine

STATE_KINDS = frozenset(s.value for s in State)


def subscribers(db: Session, account_id: str, event_type: str) -> list[WebhookEndpoint]:
    rows = db.scalars(select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id))
    return [r for r in rows if event_type in r.events.split()]


def enqueue(db: Session, account_id: str, event_type: str, data: Mapping[str, JsonValue]) -> int:
    """One delivery per endpoint of ``account_id`` subscribed to ``event_type``; how many were queued."""
    targets = subscribers(db, account_id, event_type)
    if not targets:
        return 0
    body, msg, now = envelope(event_type, data), message_id(), utcnow()
    for ep in targets:
        db.add(WebhookDelivery(
            endpoint_id=ep.id, account_id=account_id, message_id=msg, event_type=event_type, body=body,
            status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now,
        ))
    return len(targets)


def _has_endpoints(db: Session, account_id: str) -> bool:
    return db.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.account_id == account_id).limit(1)) is not None


def session_event(db: Session, session_id: str, kind: str, data: Mapping[str, JsonValue]) -> None:
    """A session event the registry records: state changes, and low balance or credits run out
    (``balance.low`` with ``out_of_credits``), become webhooks."""
    if kind in STATE_KINDS:
        event_type, payload = SESSION_STATE, {"session_id": session_id, "state": kind, **data}
    elif kind == "low_balance":
        event_type, payload = BALANCE_LOW, {"session_id": session_id, "out_of_credits": False, **data}
    elif kind == "out_of_credits":  # the session leaves now: the last word on the balance
        event_type, payload = BALANCE_LOW, {"session_id": session_id, "out_of_credits": True, "credits_left": 0.0}
    else:
        return
    account_id = db.scalar(select(MeetingSession.account_id).where(MeetingSession.id == session_id))
    if account_id is not None:
        enqueue(db, account_id, event_type, payload)


def transcript(db: Session, account_id: str, session_id: str, lines: Sequence[TranscriptLine]) -> None:
    """One ``transcript.segment`` per line, in order."""
    if not lines or not _has_endpoints(db, account_id):
        return
    for seg in lines:
        enqueue(db, account_id, TRANSCRIPT_SEGMENT, {
            "session_id": session_id, "speaker": seg.speaker, "text": seg.text, "start": seg.start,
            "end": seg.end, "bot": seg.bot,
        })


def notes(db: Session, account_id: str, session_id: str, markdown: str) -> None:
    enqueue(db, account_id, NOTES_READY, {"session_id": session_id, "markdown": markdown})
