"""The consent announcement in a live call: said and posted in the chat once, on joining.

The platform resolved the sentence (``SessionSpec.consent_text``; "" = none). It is made when the
bot is in the call and someone is there to hear it, before any greeting, never again after a
rejoin; a ``consent`` event records it and the notes carry it.
"""

from __future__ import annotations

import contextlib
import time

from selfcast.live.ports import MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.turns import TurnTaking


class Announcement:
    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.made_at: float | None = None  # wall clock, once made
        self.chat_posted = False

    async def make(self, port: MeetingPort, turns: TurnTaking, reporting: Reporting, *, people: int) -> bool:
        """Announce now if due (a text, not yet made, someone listening); True when it was made."""
        if not self.text or self.made_at is not None or people == 0:
            return False
        self.made_at = time.time()
        turns.say([self.text], source="consent")
        with contextlib.suppress(Exception):  # a platform without a chat still hears it
            await port.send_chat(self.text)
            self.chat_posted = True
        await reporting.event("consent", {"text": self.text, "spoken": True, "chat": self.chat_posted})
        return True

    def annotate(self, data: dict[str, object], markdown: str) -> tuple[dict[str, object], str]:
        """The notes with the announcement recorded in them (unchanged when none was made)."""
        if self.made_at is None:
            return data, markdown
        when = time.strftime("%H:%M UTC", time.gmtime(self.made_at))
        data = {**data, "consent": {"text": self.text, "at": self.made_at, "chat": self.chat_posted}}
        where = "said and posted in the chat" if self.chat_posted else "said"
        return data, f"{markdown.rstrip()}\n\n## Consent\n\nAt {when} the assistant {where}: \u201c{self.text}\u201d\n"
