"""The server's delivery loop: sends due deliveries, records each attempt, schedules retries.

A delivery is claimed by pushing its ``next_attempt_at`` past the attempt's longest run before
sending (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two server processes never send it at
once, and one whose server died mid-attempt is simply tried again later: delivery is at least
once, and the stable ``webhook-id`` lets the receiver drop repeats. After the last retry in
``webhooks.retry_s`` it is ``failed`` for good (visible in the delivery log).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from selfcast.errors import Unavailable
from selfcast.platform.ids import utcnow
from selfcast.platform.store import Store
from selfcast.platform.store.models import WebhookDelivery, WebhookEndpoint
from selfcast.platform.webhooks.secretbox import SecretBox
from selfcast.platform.webhooks.sender import Attempt, send
from selfcast.settings import WebhookSettings

log = logging.getLogger("selfcast.platform.webhooks")
CLAIM_MARGIN_S = 30.0  # beyond the attempt timeout, before a claimed delivery is due again
PRUNE_EVERY_S = 3600.0


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    endpoint_id: str
    url: str
    sealed_secret: str
    message_id: str
    body: str


class WebhookDispatcher:
    def __init__(self, store: Store, settings: WebhookSettings, box: SecretBox) -> None:
        self.store = store
        self.settings = settings
        self.box = box
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None  # while started: attempts run side by side

    @property
    def max_attempts(self) -> int:
        return 1 + len(self.settings.retry_s)

    def claim(self) -> list[Claimed]:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.timeout_s + CLAIM_MARGIN_S)
        with self.store.read() as db:  # most rounds find nothing: no write lock for them (SQLite)
            if db.scalar(select(WebhookDelivery.id).where(
                    WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now).limit(1)) is None:
                return []
        with self.store.write() as db:
            rows = list(db.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
                .limit(max(1, self.settings.batch))
                .with_for_update(skip_locked=True)
            ))
            if not rows:
                return []
            eps = {e.id: e for e in db.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.id.in_({r.endpoint_id for r in rows})))}
            out = []
            for r in rows:
                r.next_attempt_at = lease
                ep = eps[r.endpoint_id]
                out.append(Claimed(r.id, ep.id, ep.url, ep.secret, r.message_id, r.body))
            return out

    def record(self, delivery_id: int, attempt: Attempt) -> None:
        now = utcnow()
        with self.store.write() as db:
            row = db.get(WebhookDelivery, delivery_id)
            if row is None:  # its endpoint was deleted meanwhile
                return
            row.attempts += 1
            row.response_code = attempt.status_code
            row.last_error = attempt.error[:300]
            if attempt.ok:
                row.status, row.delivered_at = "delivered", now
            elif row.attempts >= self.max_attempts:
                row.status = "failed"
                log.warning("webhook delivery %s to %s failed for good after %d attempts: %s",
                            row.message_id, row.endpoint_id, row.attempts, row.last_error)
            else:
                row.next_attempt_at = now + timedelta(seconds=self.settings.retry_s[row.attempts - 1])

    def _deliver(self, c: Claimed) -> None:
        try:
            attempt = send(c.url, self.box.open(c.sealed_secret), c.message_id, c.body, self.settings)
        except Unavailable as exc:  # the server's key changed: say so in the delivery log
            attempt = Attempt(False, None, exc.message[:300])
        except Exception as exc:  # a bug must not kill the loop; the attempt counts and is logged
            log.exception("webhook delivery %s: sender failed", c.message_id)
            attempt = Attempt(False, None, f"internal error: {type(exc).__name__}")
        self.record(c.id, attempt)

    def prune(self) -> int:
        """Drop finished deliveries older than ``keep_days`` (the log is for recent history)."""
        cutoff = utcnow() - timedelta(days=self.settings.keep_days)
        with self.store.write() as db:
            gone = db.execute(delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(("delivered", "failed")), WebhookDelivery.created_at < cutoff))
            return int(getattr(gone, "rowcount", 0) or 0)

    def run_once(self) -> int:
        """Send every delivery due now (one batch); how many were attempted."""
        claimed = self.claim()
        if self._pool is None:
            for c in claimed:
                self._deliver(c)
        else:
            for f in [self._pool.submit(self._deliver, c) for c in claimed]:
                f.result()
        return len(claimed)

    def start(self) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-send")
        self._thread = threading.Thread(target=self._loop, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        pruned_at = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - pruned_at > PRUNE_EVERY_S:
                    pruned_at = time.monotonic()
                    self.prune()
                busy = self.run_once() >= self.settings.batch
            except Exception:
                log.exception("webhook dispatcher round failed")
                busy = False
            if not busy:
                self._stop.wait(self.settings.poll_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.timeout_s + 5)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
