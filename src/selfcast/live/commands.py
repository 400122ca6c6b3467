"""The command channel platform → worker: ``speak`` and ``chat`` sent by an agent (MCP, API).

Commands travel as session events of kind ``command`` (``{"id", "type", "text"}``) written by the
platform's ``POST /v1/sessions/{id}/commands``; the worker polls for the ones it has not seen and
answers each with a ``command_done`` event (``{"id", "interrupted", "heard", ...}``). No new
table, no new process: the session's event log is already shared by both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

COMMAND_KINDS = ("speak", "chat")


@dataclass(frozen=True, slots=True)
class Command:
    seq: int  # the event row id: strictly increasing
    id: str
    type: str  # speak | chat
    text: str


class CommandSource(Protocol):
    def fetch(self, after: int) -> list[Command]: ...


class EventLogCommands:
    """Reads commands from the session's event log through the worker's reporter (``DbReporter``)."""

    def __init__(self, reporter: Any) -> None:
        self.registry = getattr(reporter, "registry", None)
        self.session_id = reporter.session_id

    @property
    def available(self) -> bool:
        return self.registry is not None

    def fetch(self, after: int) -> list[Command]:
        if self.registry is None:
            return []
        with self.registry.store.read() as db:
            rows = self.registry.events(db, self.session_id)
            out = []
            for e in rows:
                if e.kind != "command" or e.id <= after:
                    continue
                data = e.data or {}
                if data.get("type") in COMMAND_KINDS:
                    out.append(Command(e.id, str(data.get("id", e.id)), str(data["type"]), str(data.get("text", ""))))
            return out
