"""``DbReporter``: the ``SessionReporter`` (``live.contract``) a worker hands to the live session,
backed by the store. The worker's heartbeat thread is the session's one heartbeat; the session
reads its latest answer with ``directive()``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from selfcast.errors import Conflict
from selfcast.live.contract import Command, Directive
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.sessions.states import TERMINAL, State
from selfcast.transcript import TranscriptLine


class DbReporter:
    def __init__(self, registry: SessionRegistry, session_id: str) -> None:
        self.registry = registry
        self.session_id = session_id
        self.cancelled = threading.Event()
        self.state: str = State.CREATED.value
        self._directive = Directive()

    def set_state(
        self,
        state: str,
        *,
        video_connected: bool | None = None,
        bot_connected: bool | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        try:
            row = self.registry.set_state(
                self.session_id,
                state,
                video_connected=video_connected,
                bot_connected=bot_connected,
                error_code=error_code,
                error_message=error_message,
            )
        except Conflict:
            # A leave was requested meanwhile (state is already ``leaving`` or terminal): the runner
            # learns it through ``cancelled`` and should wind down; its late progress is dropped.
            if State(state) in TERMINAL:
                raise
            self.cancelled.set()
            return
        self.state = row.state
        if row.cancel_requested:
            self.cancelled.set()

    def heartbeat(self) -> Directive:
        """Called by the worker's heartbeat thread only."""
        d = self.registry.heartbeat(self.session_id)
        self._directive = d
        if d.cancel:
            self.cancelled.set()
        return d

    def directive(self) -> Directive:
        return self._directive

    def commands_after(self, seq: int) -> list[Command]:
        return self.registry.commands_after(self.session_id, seq)

    def store_transcript(self, lines: Sequence[TranscriptLine]) -> None:
        self.registry.store_transcript(self.session_id, lines)

    def store_notes(self, data: dict[str, Any], markdown: str) -> None:
        self.registry.store_notes(self.session_id, data, markdown)

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        self.registry.event(self.session_id, kind, data)
