"""The session-status poll, the hottest route (every client polls it every ~2 s while joining).

One Core query resolves the key and the account-scoped session together, with no ORM objects
and no thread hop: a single indexed read on SQLite (WAL readers never wait) or one round trip on
PostgreSQL. The rare ``last_used_at`` write goes to the thread pool so it can never stall the
event loop.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from starlette.concurrency import run_in_threadpool

from selfcast.errors import NotFound, Unauthorized
from selfcast.platform import keys
from selfcast.platform.sessions.view import SessionView
from selfcast.platform.store import Store
from selfcast.platform.store.models import ApiKey, MeetingSession

_S = MeetingSession.__table__.c
_K = ApiKey.__table__.c

_STATUS = (
    select(
        _K.id.label("key_id"),
        _K.revoked_at,
        _K.last_used_at,
        _S.id,
        _S.state,
        _S.platform,
        _S.meet_url,
        _S.bot_name,
        _S.voice_id,
        _S.video_connected,
        _S.bot_connected,
        _S.error_code,
        _S.error_message,
        _S.minutes_charged,
        _S.low_balance,
        _S.created_at,
        _S.ready_at,
        _S.ended_at,
    )
    .select_from(
        ApiKey.__table__.outerjoin(
            MeetingSession.__table__, and_(_S.account_id == _K.account_id, _S.id == bindparam("sid"))
        )
    )
    .where(_K.key_hash == bindparam("key_hash"))
)


async def session_status(store: Store, authorization: str | None, session_id: str) -> SessionView:
    secret = keys.parse_authorization(authorization)
    with store.engine.connect() as conn:
        r = conn.execute(_STATUS, {"sid": session_id, "key_hash": keys.hash_key(secret)}).first()
    if r is None:
        raise Unauthorized("unknown developer key: create one with `selfcast keys create` or in the portal")
    key_id, revoked, last_used = r.key_id, r.revoked_at, r.last_used_at
    if revoked is not None:
        raise Unauthorized("this developer key was revoked: create a new one")
    if keys.needs_touch(last_used):
        await run_in_threadpool(_touch, store, key_id)
    if r.id is None:
        raise NotFound(f"no session {session_id} in this account")
    return SessionView.model_validate(r)


def _touch(store: Store, key_id: str) -> None:
    with store.write() as db:
        keys.touch(db, key_id)
