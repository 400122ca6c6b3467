"""What the meeting says about itself: waiting room and admission, people coming and going,
the call ending or the bot removed, chat lines and captions.

State outcomes feed the leave policy (ended, removed, alone, crashed); people feed hearing's
addressing (a one-to-one call needs no name) and the greeting; captions go to turn-taking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from selfcast.live.leaving import LeaveSignal
from selfcast.live.policy import LeavePolicy
from selfcast.live.ports import HearingEngine, MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.turns import TurnTaking
from selfcast.meeting.outcomes import EventKind, MeetingEvent

CHAT_MAX = 2000  # characters of a chat line kept in the event log


class MeetingWatch:
    def __init__(self, *, reporting: Reporting, policy: LeavePolicy, signal: LeaveSignal,
                 on_people: Callable[[], Awaitable[None]]) -> None:
        self.reporting, self.policy, self.signal, self.on_people = reporting, policy, signal, on_people
        self.participants: list[str] = []
        self.hearing: HearingEngine | None = None  # set once the engines are loaded
        self.turns: TurnTaking | None = None

    def people_changed(self, port: MeetingPort) -> None:
        self.participants = list(port.participants)
        if self.hearing is not None:
            self.hearing.set_participants(len(self.participants) + 1)

    async def watch(self, port: MeetingPort) -> None:
        async for ev in port.events():
            await self.handle(ev, port)

    async def handle(self, ev: MeetingEvent, port: MeetingPort) -> None:
        rep = self.reporting
        if ev.kind is EventKind.STATE:
            outcome = str(ev.data.get("outcome", ""))
            if outcome == "waiting_room" and rep.state == "joining":
                await rep.set_state("waiting_room", bot_connected=True)
            elif outcome in ("joined", "admitted") and rep.state == "waiting_room":
                await rep.event("admitted")
            leave = self.policy.on_outcome(outcome)
            if leave is not None and rep.state == "ready":
                await rep.event("meeting_outcome", {"outcome": outcome, "message": ev.data.get("message", "")})
                self.signal.request(leave)
            elif outcome == "crashed":  # while joining: the join returns and the session rejoins
                await rep.event("meeting_outcome", {"outcome": outcome})
        elif ev.kind in (EventKind.PARTICIPANT_JOINED, EventKind.PARTICIPANT_LEFT):
            self.people_changed(port)
            await rep.event(ev.kind.value, {"name": ev.data.get("name", ""), "participants": self.participants})
            if ev.kind is EventKind.PARTICIPANT_JOINED:
                await self.on_people()
        elif ev.kind is EventKind.AUTO_LEAVE:
            await rep.event("auto_leave", ev.data)
        elif ev.kind is EventKind.CHAT:
            await rep.event("chat", {"author": ev.data.get("author", ""), "text": str(ev.data.get("text", ""))[:CHAT_MAX]})
        elif ev.kind is EventKind.CAPTION and self.turns is not None:
            await self.turns.caption(str(ev.data.get("speaker", "")), str(ev.data.get("text", "")))
