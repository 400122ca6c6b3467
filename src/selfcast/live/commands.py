"""Agent commands in a live call: ``speak`` (say this) and ``chat`` (post this in the chat).

The platform writes them (``POST /v1/sessions/{id}/commands``, the MCP door); the session reads
the ones newer than the last it saw through the reporter (an indexed ``id > seq`` query) and
answers each with a ``command_done`` event: what was heard and whether it was cut, or the error.
"""

from __future__ import annotations

import asyncio
import logging

from selfcast.live.contract import Command
from selfcast.live.ports import MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.tasks import Tasks
from selfcast.live.turns import TurnTaking
from selfcast.sentences import split_sentences

log = logging.getLogger(__name__)


class Commands:
    def __init__(self, reporting: Reporting, turns: TurnTaking, tasks: Tasks, *, poll_s: float) -> None:
        self.reporting, self.turns, self.tasks, self.poll_s = reporting, turns, tasks, poll_s
        self.seen = 0

    async def poll(self, port: MeetingPort) -> None:
        while True:
            try:
                for c in await self.reporting.commands_after(self.seen):
                    self.seen = max(self.seen, c.seq)
                    self.tasks.spawn(self.run(c, port), f"command-{c.id}")
            except Exception:
                log.warning("reading commands failed; retrying", exc_info=True)
            await asyncio.sleep(self.poll_s)

    async def run(self, c: Command, port: MeetingPort) -> None:
        try:
            if c.type == "speak":
                h = self.turns.say(split_sentences(c.text) or [c.text], source="command", handle_id=c.id)
                await h.wait()
                await self.reporting.event("command_done", {"type": "speak", **h.result().to_dict()})
            else:
                await port.send_chat(c.text)
                await self.reporting.event("command_done", {"id": c.id, "type": "chat", "ok": True})
        except Exception as exc:
            await self.reporting.event("command_done", {"id": c.id, "type": c.type, "error": str(exc)[:300]})
