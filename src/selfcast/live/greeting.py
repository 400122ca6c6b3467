"""Whether and what the bot says when it arrives: once, when someone is there to hear it.

``auto`` greets only one-to-one calls (a greeting in a group call interrupts people), ``on`` any
call, ``off`` never. A rejoin after a crash does not greet again.
"""

from __future__ import annotations

DEFAULT_TEXT = "Hi, I'm {name}. Ask me anything about what I've been working on."


class Greeter:
    def __init__(self, mode: str, text: str, bot_name: str) -> None:
        self.mode = (mode or "auto").lower()
        self.text = text or DEFAULT_TEXT
        self.name = bot_name.split("(")[0].strip() or bot_name
        self.done = False

    def line(self, people: int) -> str | None:
        """The greeting to say now, given how many people (besides the bot) are in the call."""
        if self.done or self.mode == "off" or people == 0:
            return None
        self.done = True  # a group call under ``auto``: no greeting, not even when it shrinks later
        if self.mode == "auto" and people > 1:
            return None
        return self.text.format(name=self.name)
