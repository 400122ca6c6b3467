"""Agent commands to a live session: ``speak`` and ``chat`` (the MCP door's ``speak``/``send_chat``).

A command is appended to the session's event log (kind ``command``); the session's worker polls
the log, carries it out and answers with a ``command_done`` event, which
``GET /v1/sessions/{id}/commands/{command_id}`` reads back (``done``, ``interrupted``, ``heard``).
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from selfcast.errors import Conflict, NotFound
from selfcast.platform.deps import CallerDep, PlatformDep

MAX_TEXT = 2000


class CommandIn(BaseModel):
    type: Literal["speak", "chat"]
    text: str = Field(min_length=1, max_length=MAX_TEXT)


class CommandOut(BaseModel):
    id: str
    type: str
    done: bool
    result: dict[str, Any] = {}


def build_router(_settings: Any = None) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["sessions"])

    @router.post("/sessions/{session_id}/commands", response_model=CommandOut, status_code=202)
    def send_command(
        session_id: str, body: CommandIn, platform: PlatformDep, caller: CallerDep
    ) -> CommandOut:
        """Queue ``speak`` (the avatar says ``text``) or ``chat`` (posted in the meeting chat)."""
        with platform.store.read() as db:
            row = platform.registry.get(db, caller.account_id, session_id)
            state = row.state
        if state != "ready":
            raise Conflict(
                f"session {session_id} is {state}; commands need a session that is ready in its meeting"
            )
        text = body.text.strip()
        if not text:
            from selfcast.errors import BadInput

            raise BadInput("text is empty; say what the avatar should say or post")
        cid = "cmd_" + secrets.token_hex(6)
        platform.registry.event(session_id, "command", {"id": cid, "type": body.type, "text": text})
        return CommandOut(id=cid, type=body.type, done=False)

    @router.get("/sessions/{session_id}/commands/{command_id}", response_model=CommandOut)
    def get_command(session_id: str, command_id: str, platform: PlatformDep, caller: CallerDep) -> CommandOut:
        with platform.store.read() as db:
            platform.registry.get(db, caller.account_id, session_id)
            events = platform.registry.events(db, session_id)
        sent = next(
            (e for e in events if e.kind == "command" and (e.data or {}).get("id") == command_id), None
        )
        if sent is None:
            raise NotFound(f"no command {command_id} in session {session_id}")
        done = next(
            (e for e in events if e.kind == "command_done" and (e.data or {}).get("id") == command_id), None
        )
        return CommandOut(
            id=command_id,
            type=sent.data.get("type", ""),
            done=done is not None,
            result=dict(done.data) if done is not None else {},
        )

    return router
