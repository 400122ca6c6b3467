"""When a live session leaves by itself, and what it says first.

Pure decisions, no I/O: the session feeds it platform directives (credits, leave requests, max
duration), meeting outcomes (ended, removed, alone, crashed) and the clock, and it answers with
at most one warning per kind and one ``Leave`` with its reason and goodbye line.
"""

from __future__ import annotations

from dataclasses import dataclass

GOODBYES = {
    "user": "I've been asked to leave now. Thanks, everyone, goodbye!",
    "out_of_credits": "I've run out of credits, so I have to leave now. Goodbye!",
    "max_duration": "That's all the time I have for this meeting. Thanks, everyone, goodbye!",
    "waiting_room_timeout": "",
    "alone": "",  # nobody left to hear it
    "ended": "",
    "removed": "",
    "crashed": "",
}
LOW_BALANCE = "Just so you know, I only have about {minutes} of credit left, then I'll have to go."


@dataclass(frozen=True, slots=True)
class Leave:
    reason: str
    goodbye: str = ""


@dataclass(frozen=True, slots=True)
class Warn:
    text: str


class LeavePolicy:
    def __init__(self, *, max_duration_s: float | None = None, low_balance_minutes: float = 2.0) -> None:
        self.max_duration_s = max_duration_s
        self.low_balance_minutes = low_balance_minutes
        self.ready_at: float | None = None
        self.decided: Leave | None = None
        self._warned = False

    def ready(self, now: float) -> None:
        self.ready_at = self.ready_at if self.ready_at is not None else now

    def _leave(self, reason: str) -> Leave:
        if self.decided is None:
            self.decided = Leave(reason, GOODBYES.get(reason, ""))
        return self.decided

    def cancelled(self, reason: str = "") -> Leave:
        """The platform asked the session to leave: a leave request or SIGTERM (no reason), out of
        credits or past ``max_duration`` (the heartbeat's reason)."""
        return self._leave(reason if reason in GOODBYES else "user")

    def low_balance(self, low: bool) -> Warn | None:
        """One spoken warning when few minutes of credit remain (only once in the call)."""
        if low and not self._warned and self.ready_at is not None:
            self._warned = True
            m = self.low_balance_minutes
            minutes = "a minute" if m <= 1 else f"{m:g} minutes"
            return Warn(LOW_BALANCE.format(minutes=minutes))
        return None

    def rejoined(self) -> None:
        """A crash was handled by rejoining: the next outcome decides afresh."""
        self.decided = None

    def on_outcome(self, outcome: str) -> Leave | None:
        """Meeting outcomes that end the stay. ``left`` is the bot's own alone-timeout."""
        mapping = {"ended": "ended", "removed": "removed", "left": "alone", "crashed": "crashed",
                   "denied": "removed", "timed_out": "waiting_room_timeout"}
        reason = mapping.get(outcome)
        return self._leave(reason) if reason else None

    def tick(self, now: float) -> Leave | None:
        """The local backstop for ``max_duration`` (the platform's heartbeat normally says it first)."""
        if self.ready_at is not None and self.max_duration_s and now - self.ready_at >= self.max_duration_s:
            return self._leave("max_duration")
        return None
