"""Per-account quotas on the work that costs no credits: avatar generation, uploads, voice cloning.

Each attempt is a ``usage_events`` row, counted in a rolling hour and a rolling day under the
account's row lock, so concurrent requests (and several server processes) cannot overshoot. An
account with no credits at all (total 0) gets the smaller ``unfunded_per_day`` cap: enough to try
the portal, not enough to farm the engines. Over a limit is ``RateLimited`` (429) with the
seconds until the oldest counted attempt leaves the window (``Retry-After``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import delete, select

from selfcast.errors import BadInput, RateLimited
from selfcast.platform.billing import ledger
from selfcast.platform.ids import utcnow
from selfcast.platform.store import Store
from selfcast.platform.store.models import UsageEvent
from selfcast.settings import ActionQuota, QuotaSettings

Action = Literal["avatar_generate", "upload", "voice_clone"]
LABELS: dict[str, str] = {
    "avatar_generate": "avatar generations",
    "upload": "uploads",
    "voice_clone": "voice clones",
}
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    span: timedelta
    limit: int
    setting: str  # the settings key that sets this limit, named in the refusal
    what: str  # "per hour", "per day", "per day while the account has no credits"


def _wait(span: timedelta) -> str:
    s = int(span.total_seconds())
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{math.ceil(s / 60)} min"
    return f"{s / 3600:.1f} h"


def _windows(action: str, q: ActionQuota, funded: bool) -> list[Window]:
    base = f"quotas.{action}"
    out = [Window(HOUR, q.per_hour, f"{base}.per_hour", "per hour")]
    if funded or q.per_day <= q.unfunded_per_day:
        out.append(Window(DAY, q.per_day, f"{base}.per_day", "per day"))
    else:
        out.append(
            Window(
                DAY,
                q.unfunded_per_day,
                f"{base}.unfunded_per_day",
                "per day while the account has no credits",
            )
        )
    return out


def take(
    store: Store, quotas: QuotaSettings, account_id: str, action: Action, *, now: datetime | None = None
) -> None:
    """Count one attempt at ``action``, or raise ``RateLimited`` naming the limit it would pass."""
    if action not in LABELS:
        raise BadInput(f"unknown quota action {action!r}")
    q: ActionQuota = getattr(quotas, action)
    now = now or utcnow()
    with store.write() as db:
        ledger.lock_account(db, account_id)
        db.execute(
            delete(UsageEvent).where(
                UsageEvent.account_id == account_id,
                UsageEvent.action == action,
                UsageEvent.created_at <= now - DAY,
            )
        )
        times = sorted(
            db.scalars(
                select(UsageEvent.created_at).where(
                    UsageEvent.account_id == account_id,
                    UsageEvent.action == action,
                    UsageEvent.created_at > now - DAY,
                )
            )
        )
        funded = ledger.balance(db, account_id).total_milli > 0
        for w in _windows(action, q, funded):
            inside = [t for t in times if t > now - w.span]
            if len(inside) < w.limit:
                continue
            label = LABELS[action]
            if w.limit <= 0 and "no credits" in w.what:
                retry = w.span
                message = (
                    f"{label} need credits: none are allowed while the account has none ({w.setting} = 0)"
                )
            elif w.limit <= 0:
                retry = w.span
                message = f"{label} are turned off on this server ({w.setting} = 0)"
            else:
                retry = max(timedelta(seconds=1), inside[-w.limit] + w.span - now)
                message = f"{label} limit reached: {w.limit} {w.what} for each account ({w.setting})"
            hint = "top up credits or try again" if "no credits" in w.what else "try again"
            retry_s = math.ceil(retry.total_seconds())
            raise RateLimited(
                f"{message}; {hint} in {_wait(timedelta(seconds=retry_s))}",
                detail={"retry_after_s": retry_s, "limit": w.limit, "setting": w.setting},
            )
        db.add(UsageEvent(account_id=account_id, action=action, created_at=now))


def retry_headers(exc: Exception) -> dict[str, str] | None:
    """``Retry-After`` for a ``RateLimited`` error; None for anything else."""
    if isinstance(exc, RateLimited) and "retry_after_s" in exc.detail:
        return {"Retry-After": str(int(exc.detail["retry_after_s"]))}
    return None
