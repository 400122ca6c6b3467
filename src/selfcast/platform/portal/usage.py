"""What the Usage page shows: credits spent per day (as an inline SVG bar chart) and sessions
with their duration, cost and status. Everything is read from the ledger and the registry."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from selfcast.platform.billing.pricing import MILLI
from selfcast.platform.ids import utcnow
from selfcast.platform.store.models import LedgerEntry, MeetingSession

ACTIVE = ("created", "joining", "waiting_room", "ready", "leaving")


@dataclass(frozen=True)
class DayUse:
    day: date
    credits: float


@dataclass(frozen=True)
class SessionLine:
    id: str
    bot_name: str
    platform: str
    status: str
    created_at: datetime
    duration_s: float
    credits: float
    error_message: str

    @property
    def duration(self) -> str:
        m, s = divmod(round(self.duration_s), 60)
        h, m = divmod(m, 60)
        return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def daily_use(db: Session, account_id: str, days: int = 30, today: date | None = None) -> list[DayUse]:
    """Credits captured per UTC day, oldest first, one entry per day (zeros included)."""
    today = today or utcnow().date()
    start = today - timedelta(days=days - 1)
    since = datetime(start.year, start.month, start.day, tzinfo=utcnow().tzinfo)
    rows = db.execute(
        select(LedgerEntry.created_at, LedgerEntry.amount_milli).where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.kind == "capture",
            LedgerEntry.created_at >= since,
        )
    ).all()
    per: dict[date, int] = defaultdict(int)
    for at, amount in rows:
        per[at.date()] += -amount
    return [DayUse(start + timedelta(days=i), per[start + timedelta(days=i)] / MILLI) for i in range(days)]


def sessions(db: Session, account_id: str, limit: int = 50) -> list[SessionLine]:
    rows = list(
        db.scalars(
            select(MeetingSession)
            .where(MeetingSession.account_id == account_id)
            .order_by(MeetingSession.created_at.desc())
            .limit(limit)
        )
    )
    cost: dict[str, int] = {}
    if rows:
        cost = dict(
            db.execute(
                select(LedgerEntry.session_id, func.sum(LedgerEntry.amount_milli))
                .where(LedgerEntry.session_id.in_([r.id for r in rows]), LedgerEntry.kind == "capture")
                .group_by(LedgerEntry.session_id)
            ).all()
        )
    return [line(r, -int(cost.get(r.id) or 0) / MILLI) for r in rows]


def line(row: MeetingSession, credits: float) -> SessionLine:
    end = row.ended_at or row.billing_ended_at or (utcnow() if row.state in ACTIVE else row.updated_at)
    duration = (end - row.ready_at).total_seconds() if row.ready_at and end else 0.0
    return SessionLine(
        id=row.id, bot_name=row.bot_name, platform=row.platform, status=row.state, created_at=row.created_at,
        duration_s=max(0.0, duration), credits=credits, error_message=row.error_message or "",
    )  # fmt: skip


def session_cost(db: Session, session_id: str) -> float:
    total = db.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_milli), 0)).where(
            LedgerEntry.session_id == session_id, LedgerEntry.kind == "capture"
        )
    )
    return -int(total or 0) / MILLI


def chart_svg(days: list[DayUse], width: int = 720, height: int = 180) -> str:
    """A bar chart of credits per day: bars and grid in an inline SVG that stretches to any width,
    axis labels in HTML around it (so text stays readable on a phone). Accessible: the SVG has a
    title and description, and every bar a tooltip; the page also offers the figures as a table."""
    peak = max((d.credits for d in days), default=0.0)
    top = _nice_ceiling(peak)
    bar_w = width / max(1, len(days))
    total = sum(d.credits for d in days)
    svg = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-t chart-d" '
        f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">',
        '<title id="chart-t">Credits used per day</title>',
        f'<desc id="chart-d">{len(days)} days, {total:,.1f} credits in total, '
        f"at most {peak:,.1f} on one day.</desc>",
    ]
    for frac in (0.0, 0.5, 1.0):
        y = 1 + (height - 2) * (1 - frac)
        svg.append(
            f'<line class="grid" x1="0" x2="{width}" y1="{y:.1f}" y2="{y:.1f}" vector-effect="non-scaling-stroke"/>'
        )
    for i, d in enumerate(days):
        h = 0.0 if top == 0 else (height - 2) * d.credits / top
        x = i * bar_w + bar_w * 0.15
        label = escape(f"{d.day.isoformat()}: {d.credits:,.1f} credits")
        svg.append(
            f'<rect class="bar" x="{x:.1f}" y="{height - 1 - h:.1f}" width="{bar_w * 0.7:.1f}" '
            f'height="{max(h, 0.0):.1f}"><title>{label}</title></rect>'
        )
    svg.append("</svg>")
    ticks = [days[i].day.strftime("%b %d") for i in (0, len(days) // 2, len(days) - 1)] if days else []
    y_labels = "".join(f"<span>{top * f:,.0f}</span>" for f in (1.0, 0.5, 0.0))
    x_labels = "".join(f"<span>{t}</span>" for t in ticks)
    return (
        f'<div class="chart-box"><div class="chart-y" aria-hidden="true">{y_labels}</div>'
        f'<div class="chart-plot">{"".join(svg)}</div>'
        f'<div class="chart-x" aria-hidden="true">{x_labels}</div></div>'
    )


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 0.0
    for step in (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000):
        if value <= step:
            return float(step)
    return float(int(value * 1.1))
