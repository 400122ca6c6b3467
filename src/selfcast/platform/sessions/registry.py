"""The session registry: creation (with its credit hold), state changes, heartbeats and minute
charges, leave requests, settlement, and dead-worker detection.

Billing window: from the moment a session is ``ready`` until the earliest of the leave request,
the end of the session, or (for a worker that died) its last heartbeat. Each started minute in
that window is captured once; the hold is released when the session reaches a terminal state.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from selfcast.botname import check_bot_name
from selfcast.errors import BadInput, InsufficientCredits, NotFound
from selfcast.live.contract import COMMAND_TYPES, Command, Directive, SessionSpec
from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import MILLI, join_hold_milli, low_balance_milli, minute_cost_milli
from selfcast.platform.ids import utcnow
from selfcast.platform.sessions.states import ACTIVE, TERMINAL, State, check_move
from selfcast.platform.store import Store
from selfcast.platform.store.models import MeetingSession, NotesRow, SessionEvent, TranscriptRow, Voice
from selfcast.platform.store.owned import owned
from selfcast.platform.webhooks import outbox
from selfcast.settings import Settings
from selfcast.transcript import TranscriptLine

MAX_PROMPT_CHARS = 20_000
MAX_TRANSCRIPT_SEGMENTS = 500  # per call
EVENTS_LIMIT = 1000  # the most events one query returns


@dataclass(frozen=True)
class SessionRequest:
    meet_url: str
    platform: str
    bot_name: str
    voice_id: str
    avatar_path: Path | None = None
    system_prompt: str = ""
    meeting_password: str = ""
    max_duration_s: float | None = None
    language: str = ""  # a Whisper language code, normalised by ``launch``; "" = hearing.language
    consent_text: str = ""  # the announcement on joining, resolved by ``launch``; "" = none


class SessionRegistry:
    def __init__(self, store: Store, settings: Settings, *, dead_after_s: float = 15.0, start_grace_s: float = 60.0) -> None:
        self.store = store
        self.settings = settings
        self.pricing = settings.pricing
        self.dead_after = timedelta(seconds=dead_after_s)
        self.start_grace = timedelta(seconds=start_grace_s)  # a worker's first heartbeat may take a while

    # ---- reading -----------------------------------------------------------------------------
    def get(self, db: Session, account_id: str, session_id: str) -> MeetingSession:
        return owned(db, MeetingSession, session_id, account_id, what="session")

    def list(
        self, db: Session, account_id: str, *, limit: int = 50, active_only: bool = False
    ) -> list[MeetingSession]:
        q = select(MeetingSession).where(MeetingSession.account_id == account_id)
        if active_only:
            q = q.where(MeetingSession.state.in_([s.value for s in ACTIVE]))
        return list(db.scalars(q.order_by(MeetingSession.created_at.desc()).limit(max(1, min(limit, 200)))))

    def spec(self, session_id: str) -> SessionSpec:
        with self.store.read() as db:
            row = db.get(MeetingSession, session_id)
            if row is None:
                raise NotFound(f"no session {session_id}")
            return SessionSpec(
                session_id=row.id,
                account_id=row.account_id,
                platform=row.platform,
                meet_url=row.meet_url,
                bot_name=row.bot_name,
                voice_id=row.voice_id,
                avatar_path=Path(row.avatar_path) if row.avatar_path else None,
                system_prompt=row.system_prompt,
                meeting_password=row.meeting_password,
                max_duration_s=row.max_duration_s,
                work_dir=self.work_dir(row.id),
                language=row.language or "",
                consent_text=row.consent_text or "",
            )

    def work_dir(self, session_id: str) -> Path:
        return self.settings.data_dir / "sessions" / session_id

    def transcript(self, db: Session, account_id: str, session_id: str) -> list[TranscriptLine]:
        self.get(db, account_id, session_id)
        rows = db.scalars(
            select(TranscriptRow).where(TranscriptRow.session_id == session_id).order_by(TranscriptRow.id)
        )
        return [TranscriptLine(r.speaker, r.text, r.start_s, r.end_s, r.bot) for r in rows]

    def notes(self, db: Session, account_id: str, session_id: str) -> NotesRow | None:
        self.get(db, account_id, session_id)
        return db.get(NotesRow, session_id)

    def events(
        self, db: Session, session_id: str, *, kinds: Sequence[str] = (), after: int = 0, limit: int = EVENTS_LIMIT
    ) -> list[SessionEvent]:
        """Events in order, newer than ``after``, at most ``limit`` (bounded: a long meeting logs many)."""
        q = select(SessionEvent).where(SessionEvent.session_id == session_id, SessionEvent.id > after)
        if kinds:
            q = q.where(SessionEvent.kind.in_(list(kinds)))
        return list(db.scalars(q.order_by(SessionEvent.id).limit(max(1, min(limit, EVENTS_LIMIT)))))

    def commands_after(self, session_id: str, seq: int) -> list[Command]:
        """The agent commands newer than ``seq`` (indexed on session, kind and id)."""
        with self.store.read() as db:
            out = []
            for e in self.events(db, session_id, kinds=("command",), after=seq):
                data = e.data or {}
                if data.get("type") in COMMAND_TYPES:
                    out.append(Command(e.id, str(data.get("id", e.id)), data["type"], str(data.get("text", ""))))
            return out

    # ---- creating ----------------------------------------------------------------------------
    def validate(self, db: Session, account_id: str, req: SessionRequest) -> None:
        check_bot_name(req.bot_name)  # the bot's own rule: what it would refuse is refused here
        if len(req.system_prompt) > MAX_PROMPT_CHARS:
            raise BadInput(f"system_prompt is too long: keep it under {MAX_PROMPT_CHARS} characters")
        if len(req.meeting_password) > 200:
            raise BadInput("meeting_password is too long")
        if req.max_duration_s is not None and not (10 <= req.max_duration_s <= 24 * 3600):
            raise BadInput("max_duration_s must be between 10 seconds and 24 hours")
        if not req.voice_id or len(req.voice_id) > 120:
            raise BadInput("voice_id must be 1–120 characters")
        owner = db.scalar(select(Voice.account_id).where(Voice.voice_id == req.voice_id))
        if owner is not None and owner != account_id:
            raise NotFound(f"no voice {req.voice_id} in this account")

    def create(
        self, account_id: str, session_id: str, req: SessionRequest, *, executor: str = "local"
    ) -> MeetingSession:
        """Insert the session and its hold in one transaction (all or nothing)."""
        with self.store.write() as db:
            self.validate(db, account_id, req)
            hold = join_hold_milli(self.pricing)
            ledger.reserve(
                db, account_id, session_id, hold, min_available_milli=self.pricing.min_credits_to_join * MILLI
            )
            now = utcnow()
            row = MeetingSession(
                id=session_id,
                account_id=account_id,
                state=State.CREATED.value,
                platform=req.platform,
                meet_url=req.meet_url,
                bot_name=req.bot_name.strip(),
                voice_id=req.voice_id,
                avatar_path=str(req.avatar_path or ""),
                system_prompt=req.system_prompt,
                meeting_password=req.meeting_password,
                max_duration_s=req.max_duration_s,
                language=req.language,
                consent_text=req.consent_text,
                executor=executor,
                created_at=now,
                updated_at=now,
            )
            db.add(row)
            db.flush()
            self._event(db, session_id, "created", {"platform": req.platform})
            return row

    def set_worker(self, session_id: str, pid: int | None) -> None:
        with self.store.write() as db:
            row = self._lock(db, session_id)
            row.worker_pid = pid

    # ---- state changes -----------------------------------------------------------------------
    def set_state(
        self,
        session_id: str,
        state: str,
        *,
        video_connected: bool | None = None,
        bot_connected: bool | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> MeetingSession:
        target = State(state)
        with self.store.write() as db:
            row = self._lock(db, session_id)
            now = utcnow()
            if video_connected is not None:
                row.video_connected = video_connected
            if bot_connected is not None:
                row.bot_connected = bot_connected
            if target.value != row.state:
                check_move(row.state, target)
                row.state = target.value
                self._event(db, session_id, target.value, {"code": error_code} if error_code else {})
                if target is State.READY and row.ready_at is None:
                    row.ready_at = now
                    self._charge_due(db, row, now)  # the first started minute, covered by the hold
                if target is State.ERROR:
                    row.error_code = error_code or "internal"
                    row.error_message = error_message or "the session failed"
                if target in TERMINAL:
                    row.video_connected = row.bot_connected = False
                    row.ended_at = now
                    self._settle(db, row, end=now)
            row.updated_at = now
            if target not in TERMINAL:
                row.heartbeat_at = now
            return row

    def request_leave(self, account_id: str, session_id: str) -> tuple[MeetingSession, bool]:
        """Ask a session to leave. Billing stops now. Returns (row, worker_must_be_told)."""
        with self.store.write() as db:
            row = self.get(db, account_id, session_id)
            db.refresh(row, with_for_update=True)
            if row.state in (State.CLOSED, State.ERROR):
                return row, False
            now = utcnow()
            self._charge_due(db, row, now)
            row.cancel_requested = True
            row.billing_ended_at = row.billing_ended_at or now
            row.updated_at = now
            if row.state == State.CREATED and row.worker_pid is None:
                row.state = State.CLOSED.value
                row.ended_at = now
                self._event(db, session_id, "closed", {"by": "leave"})
                self._settle(db, row, end=now)
                return row, False
            if row.state != State.LEAVING:
                row.state = State.LEAVING.value
                self._event(db, session_id, "leaving", {"by": "user"})
            return row, True

    def heartbeat(self, session_id: str) -> Directive:
        with self.store.write() as db:
            row = self._lock(db, session_id)
            now = utcnow()
            if row.state in (State.CLOSED, State.ERROR):
                return Directive(cancel=True, reason="ended")
            row.heartbeat_at = now
            reason = "user" if row.cancel_requested else ""
            if (
                row.ready_at
                and row.max_duration_s
                and not row.cancel_requested
                and (now - row.ready_at).total_seconds() >= row.max_duration_s
            ):
                row.cancel_requested, reason = True, "max_duration"
                row.billing_ended_at = now
                self._event(db, session_id, "max_duration", {"seconds": row.max_duration_s})
            if not self._charge_due(db, row, now):
                if not row.cancel_requested:
                    self._event(db, session_id, "out_of_credits", {})
                row.cancel_requested, reason = True, "out_of_credits"
                row.billing_ended_at = row.billing_ended_at or now
            spendable = self._spendable(db, row)
            low = row.ready_at is not None and spendable < low_balance_milli(self.pricing)
            if low and not row.low_balance:
                row.low_balance = True
                self._event(db, session_id, "low_balance", {"credits_left": spendable / MILLI})
            if row.cancel_requested and row.state not in (State.LEAVING,):
                row.state = State.LEAVING.value
            return Directive(
                cancel=row.cancel_requested, reason=reason, low_balance=low, credits_left=spendable / MILLI
            )

    def is_cancel_requested(self, session_id: str) -> bool:
        with self.store.read() as db:
            return bool(
                db.scalar(select(MeetingSession.cancel_requested).where(MeetingSession.id == session_id))
            )

    # ---- transcript and notes ----------------------------------------------------------------
    def store_transcript(self, session_id: str, lines: Sequence[TranscriptLine]) -> None:
        if len(lines) > MAX_TRANSCRIPT_SEGMENTS:
            raise BadInput(f"at most {MAX_TRANSCRIPT_SEGMENTS} transcript lines per call")
        with self.store.write() as db:
            row = self._lock(db, session_id)
            outbox.transcript(db, row.account_id, session_id, lines)  # webhooks, in this transaction
            for seg in lines:
                db.add(
                    TranscriptRow(
                        session_id=session_id,
                        speaker=seg.speaker[:200],
                        text=seg.text,
                        start_s=seg.start,
                        end_s=seg.end,
                        bot=seg.bot,
                    )
                )

    def store_notes(self, session_id: str, data: dict[str, Any], markdown: str) -> None:
        with self.store.write() as db:
            outbox.notes(db, self._lock(db, session_id).account_id, session_id, markdown)
            row = db.get(NotesRow, session_id)
            if row is None:
                db.add(NotesRow(session_id=session_id, data=data, markdown=markdown, created_at=utcnow()))
            else:
                row.data, row.markdown = data, markdown

    def event(self, session_id: str, kind: str, data: dict[str, Any] | None = None) -> None:
        with self.store.write() as db:
            self._event(db, session_id, kind[:40], data or {})

    # ---- dead workers ------------------------------------------------------------------------
    def reap(self, is_alive: Callable[[MeetingSession], bool], *, now: datetime | None = None) -> list[str]:
        """End sessions whose worker is gone: no process, or no heartbeat for ``dead_after_s``.

        A session that was leaving ends ``closed``; any other ends in ``error`` (``worker_lost``).
        Minutes are charged only up to the last heartbeat, and the hold is released."""
        now = now or utcnow()
        with self.store.read() as db:
            rows = list(
                db.scalars(select(MeetingSession).where(MeetingSession.state.in_([s.value for s in ACTIVE])))
            )
        ended: list[str] = []
        for snap in rows:
            if snap.heartbeat_at is not None:
                stale = now - snap.heartbeat_at > self.dead_after
            else:
                stale = now - snap.created_at > self.start_grace
            if not stale and is_alive(snap):
                continue
            with self.store.write() as db:
                row = self._lock(db, snap.id)
                if row.state not in {s.value for s in ACTIVE}:
                    continue
                if row.heartbeat_at != snap.heartbeat_at:
                    continue  # it spoke up meanwhile
                end = row.heartbeat_at or row.created_at
                row.ended_at = now
                row.updated_at = now
                row.video_connected = row.bot_connected = False
                if row.state == State.LEAVING and row.cancel_requested:
                    row.state = State.CLOSED.value
                    self._event(db, row.id, "closed", {"by": "worker_exit"})
                else:
                    row.state = State.ERROR.value
                    row.error_code = "worker_lost"
                    row.error_message = (
                        "the session's worker process stopped without reporting (crashed, killed, or the "
                        "server restarted); minutes were charged only up to its last heartbeat"
                    )
                    self._event(db, row.id, "error", {"code": "worker_lost"})
                self._settle(db, row, end=end)
                ended.append(row.id)
        return ended

    # ---- internals ---------------------------------------------------------------------------
    def _lock(self, db: Session, session_id: str) -> MeetingSession:
        row = db.scalar(select(MeetingSession).where(MeetingSession.id == session_id).with_for_update())
        if row is None:
            raise NotFound(f"no session {session_id}")
        return row

    def _event(self, db: Session, session_id: str, kind: str, data: dict[str, Any]) -> None:
        db.add(SessionEvent(session_id=session_id, kind=kind, data=data, created_at=utcnow()))
        outbox.session_event(db, session_id, kind, data)  # state changes and low balance: webhooks

    def _minutes_due(self, row: MeetingSession, end: datetime) -> int:
        if row.ready_at is None:
            return 0
        if row.billing_ended_at is not None:
            end = min(end, row.billing_ended_at)
        elapsed = (end - row.ready_at).total_seconds()
        return 0 if elapsed < 0 else math.floor(elapsed / 60.0) + 1

    def _charge_due(self, db: Session, row: MeetingSession, end: datetime) -> bool:
        """Capture every started minute up to ``end``; False when the credits ran out."""
        due = self._minutes_due(row, end)
        cost = minute_cost_milli(self.pricing)
        while row.minutes_charged < due:
            try:
                ledger.capture(db, row.id, row.minutes_charged, cost)
            except InsufficientCredits:
                return False
            row.minutes_charged += 1
        return True

    def _spendable(self, db: Session, row: MeetingSession) -> int:
        bal = ledger.balance(db, row.account_id)
        from selfcast.platform.store.models import Hold

        own = db.scalar(
            select(func.coalesce(Hold.reserved_milli - Hold.captured_milli, 0)).where(
                Hold.session_id == row.id, Hold.status == "open"
            )
        )
        return max(0, bal.free_milli + max(0, int(own or 0)))  # what is owed comes out of the hold first

    def _settle(self, db: Session, row: MeetingSession, *, end: datetime) -> None:
        self._charge_due(db, row, end)
        ledger.release(db, row.id)
