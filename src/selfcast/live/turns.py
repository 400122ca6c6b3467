"""Turn-taking and replies: what hearing reports becomes speech, barge-ins and transcript lines.

The meeting's audio (or its captions) goes into hearing; a person starting to talk turns the
face towards listening, and the end of an addressed turn starts a streamed reply. A person who
goes on after a short pause ("When is the release … Ada?") asked one question: an answer not yet
heard is dropped for one to the whole question, one already playing is kept.

Talk over the bot pauses it at once (``HoldOn``); hearing then says whether it was nothing
(``Resume``: a backchannel, a cough; the reply goes on from a phrase pause before the cut) or an
interruption (``BargeIn``: the reply ends where the pause silenced it, and only the words played
before stay in the conversation). The interrupter's own words are then a turn like any other,
except that taking the floor ("Wait, sorry, let me stop you there", "hold on") is yielded to in
silence and asking for it ("Can I jump in?") gets "Sure, go ahead." and nothing more; a
question ("Wait, when is the demo?") is answered (``hearing.turns.interruption`` is the rule).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Iterable

from selfcast.hearing import turns as turn_rules
from selfcast.hearing.events import (
    BargeIn,
    EndOfTurn,
    HearingEvent,
    HoldOn,
    PartialTranscript,
    Resume,
    SpeechStarted,
)
from selfcast.live.conversation import Conversation, latency_record
from selfcast.live.media_out import Speaker
from selfcast.live.ports import AvatarEngine, HearingEngine, MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.speech import SpeechHandle
from selfcast.live.tasks import Tasks
from selfcast.settings import SessionOptions

log = logging.getLogger(__name__)

LAG_SMOOTHING = 0.02  # weight of each chunk in the hearing-lag average
GO_AHEAD = "Sure, go ahead."  # the whole reply to "Can I jump in?"
# A turn that starts this soon after a barge-in is the interrupter's (a caption line starts when
# the platform first captions it, often after the audio's barge-in).
INTERRUPTER_SLACK_S = 1.0


class TurnTaking:
    def __init__(self, *, hearing: HearingEngine, avatar: AvatarEngine, speaker: Speaker, conv: Conversation,
                 options: SessionOptions, reporting: Reporting, tasks: Tasks) -> None:
        self.hearing, self.avatar, self.speaker, self.conv = hearing, avatar, speaker, conv
        self.options, self.reporting, self.tasks = options, reporting, tasks
        self.port: MeetingPort | None = None
        self.hearing_lag = 0.0  # capture → hearing, seconds (a backlog shows as a growing lag)
        self._reply: SpeechHandle | None = None
        self._barged_at: float | None = None  # media time of the last barge-in; its speaker's turn is next
        self._recorded: set[str] = set()  # utterances whose heard words are in the conversation

    def now(self) -> float:
        return self.port.media_time() if self.port is not None else 0.0

    # -- in ------------------------------------------------------------------------------------
    async def listen(self, port: MeetingPort) -> None:
        async for chunk in port.audio_in():
            self.hearing_lag += LAG_SMOOTHING * ((port.media_time() - chunk.end) - self.hearing_lag)
            try:
                events = self.hearing.feed(chunk)
            except Exception:
                log.exception("hearing failed on a chunk")
                continue
            await self.handle(events)

    async def caption(self, speaker: str, text: str) -> None:
        """A platform caption (the transcript itself when ``hearing.provider = "captions"``)."""
        await self.handle(self.hearing.feed_caption(speaker, text, t=self.now(), final=False))

    async def handle(self, events: Iterable[HearingEvent]) -> None:
        for ev in events:
            if isinstance(ev, SpeechStarted):
                self.avatar.set_listening(True)
            elif isinstance(ev, PartialTranscript):
                self.conv.warm(ev.text)
            elif isinstance(ev, HoldOn):
                await self.hold_on(ev)
            elif isinstance(ev, Resume):
                await self.resume(ev)
            elif isinstance(ev, BargeIn):
                await self.barge_in(ev)
            elif isinstance(ev, EndOfTurn):
                self.avatar.set_listening(False)
                self.end_of_turn(ev)

    async def hold_on(self, ev: HoldOn) -> None:
        """A voice over the bot: silent now; hearing settles it, a watchdog makes sure of it."""
        h = await self.speaker.pause()
        if h is None:
            return
        self.tasks.spawn(self._unless_settled(h, h.pauses), f"hold-{h.id}")
        if self.port is not None:
            at = h.paused_at or 0.0
            await self.reporting.event("hold_on", {"t": round(ev.t, 3), "paused_at": round(at, 3),
                                                   "epoch": round(self.port.clock_origin() + at, 3), "speech_id": h.id})

    async def resume(self, ev: Resume) -> None:
        h = await self.speaker.resume()
        if h is not None:
            await self.reporting.event("resumed", {"t": round(ev.t, 3), "reason": ev.reason, "speech_id": h.id})

    async def _unless_settled(self, h: SpeechHandle, pause: int) -> None:
        """Resume a pause nobody settled (hearing lost the utterance) after ``resume_after_ms``."""
        await asyncio.sleep(self.options.turns.resume_after_ms / 1000.0)
        if h.paused and h.pauses == pause and self.speaker.current is h and h.resume():
            await self.reporting.event("resumed", {"t": round(self.now(), 3), "reason": "unsettled", "speech_id": h.id})

    async def barge_in(self, ev: BargeIn) -> None:
        h = await self.speaker.interrupt()
        if h is not None:
            self._barged_at = ev.t  # the interrupter's words come next
            self._record(h)  # and the words they cut come before them
        if h is not None and self.port is not None:
            cut = h.cut_at or 0.0
            await self.reporting.event("barge_in", {
                "t": round(ev.t, 3), "cut_at": round(cut, 3), "epoch": round(self.port.clock_origin() + cut, 3),
                "heard": h.heard_text, "speech_id": h.id, "paused_first": h.pauses > 0})

    def end_of_turn(self, ev: EndOfTurn) -> None:
        line = ev.segment
        prev = self.conv.last_person_line()
        self.conv.heard(line.speaker, line.text, line.start, line.end)
        barged, self._barged_at = self._barged_at, None
        interrupted = barged is not None and line.start <= barged + INTERRUPTER_SLACK_S
        if not (ev.addressed or self.options.reply_to == "all") or not line.text.strip():
            return
        if interrupted:  # the interrupter's words: a question is answered, taking the floor is not
            kind = turn_rules.interruption(line.text)
            if kind != "turn":
                self.tasks.spawn(self.reporting.event("yielded", {"text": line.text, "kind": kind}), "yielded")
                if kind == "permission":
                    self._reply = self.say([GO_AHEAD], source="yield")
                return
        now = self.now()
        pending = self._reply
        if (not interrupted and pending is not None and not pending.done and prev is not None and prev.speaker == line.speaker
                and line.start - prev.end <= self.options.turns.continuation_s):
            if pending.started_at is not None and pending.started_at <= now:
                return  # its answer is already being said; answering the tail again would be noise
            pending.cancel(now)  # not heard yet: answer the whole question instead
        handle = self.say(self.conv.reply_sentences(), source="brain")
        self._reply = handle
        self.tasks.spawn(self._measure(handle, ev, decided=now), f"measure-{handle.id}")

    async def _measure(self, handle: SpeechHandle, ev: EndOfTurn, *, decided: float) -> None:
        await handle.wait()
        rec = latency_record(ev.segment.end, decided, handle)
        rec["reason"] = ev.reason
        rec |= {k: v for k, v in (ev.latency or {}).items() if k in ("silence_ms", "decode_ms", "cue")}
        rec["brain"] = self.conv.brain.answered_by
        self.conv.replies.append(rec)
        await self.reporting.event("reply", rec)

    # -- out -----------------------------------------------------------------------------------
    def say(self, sentences: Iterable[str] | AsyncIterable[str], *, source: str, handle_id: str = "") -> SpeechHandle:
        """Speak; what was heard of it enters the conversation once it is done (or cut)."""
        handle = self.speaker.say(sentences, source=source, handle_id=handle_id)

        async def record() -> None:
            await handle.wait()
            self._record(handle)

        self.tasks.spawn(record(), f"record-{handle.id}")
        return handle

    def _record(self, handle: SpeechHandle) -> None:
        """What was heard of ``handle`` enters the conversation, once."""
        if handle.id not in self._recorded:
            self._recorded.add(handle.id)
            self.conv.said(handle)

    def on_speaking(self, speaking: bool) -> None:
        """The speaker's callback: hearing must know when the bot's own voice is playing."""
        self.hearing.set_bot_speaking(speaking, self.now() if self.port is not None else None)
