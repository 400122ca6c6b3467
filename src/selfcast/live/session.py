"""``LiveSession``: one avatar in one meeting, from joining to the notes.

The session owns the order of things and nothing else; each step is a part with one job:

    joining (Connection)  start a bot, join, prove media flows, rejoin after a crash
    meeting_watch         the call's own events: admission, people, ending, chat, captions
    turns (TurnTaking)    hearing → barge-in / end of turn → brain → voice + face
    commands              agent speak/chat requests
    leaving, policy       why to leave (platform directives, outcomes, duration) and the goodbye
    conversation, notes   the record of what was really said, and the notes (remembered)
    reporting             the worker contract, off the event loop

The engines load on a thread while the bot joins; the camera shows the face as soon as they are in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from selfcast.brain.memory import MeetingInfo
from selfcast.brain.notes_llm import notes_model_for
from selfcast.live.commands import Commands
from selfcast.live.consent import Announcement
from selfcast.live.contract import SessionReporter, SessionSpec
from selfcast.live.conversation import Conversation, opening_context
from selfcast.live.engines import Engines, load_engines, memory_for
from selfcast.live.greeting import Greeter
from selfcast.live.joining import BotCrashed, Connection, JoinAttempt, PortFactory, meeting_bot
from selfcast.live.leaving import LeaveSignal, watch_platform
from selfcast.live.media_out import Speaker
from selfcast.live.meeting_watch import MeetingWatch
from selfcast.live.notes import build_notes
from selfcast.live.policy import Leave, LeavePolicy, Warn
from selfcast.live.ports import MeetingPort
from selfcast.live.reporting import Reporting
from selfcast.live.stats import media_stats, report_stats
from selfcast.live.tasks import Tasks
from selfcast.live.turns import TurnTaking
from selfcast.live.video_out import VideoPacer
from selfcast.meeting.outcomes import JoinResult
from selfcast.settings import Settings
from selfcast.transcript import TranscriptLine

log = logging.getLogger(__name__)


class LiveSession:
    def __init__(self, spec: SessionSpec, reporter: SessionReporter, settings: Settings, *,
                 engines: Engines | None = None, make_port: PortFactory = meeting_bot) -> None:
        self.spec, self.settings, self.options = spec, settings, settings.live
        self.reporting = Reporting(reporter)
        self.policy = LeavePolicy(max_duration_s=spec.max_duration_s,
                                  low_balance_minutes=settings.pricing.low_balance_minutes)
        self.signal = LeaveSignal()
        self.connection = Connection(spec, settings, make_port)
        self.greeter = Greeter(self.options.greeting, self.options.greeting_text, spec.bot_name)
        self.consent = Announcement(spec.consent_text)
        self.watch = MeetingWatch(reporting=self.reporting, policy=self.policy, signal=self.signal,
                                  on_people=self._greet)
        self.engines = engines
        self.tasks, self.bot_tasks = Tasks(), Tasks()
        self.pacer: VideoPacer | None = None
        self.speaker: Speaker | None = None
        self.conv: Conversation | None = None
        self.turns: TurnTaking | None = None
        self.commands: Commands | None = None

    @property
    def state(self) -> str:
        return self.reporting.state

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        await self.reporting.set_state("joining")
        loading = None
        if self.engines is None:
            loading = asyncio.ensure_future(asyncio.to_thread(
                load_engines, self.settings, image=self.spec.avatar_path, voice_id=self.spec.voice_id,
                bot_name=self.spec.bot_name))
        else:
            self.tasks.spawn(self._prepare_brain(self.engines), "brain-prepare")
        try:
            self.tasks.spawn(watch_platform(self.reporting, self.policy, self.signal, self._warn), "platform-watch")
            if loading is not None:
                self.tasks.spawn(self._prepare_brain(loading), "brain-prepare")
            attempt = await self._join()
            if loading is not None:
                self.engines = await loading
                self.reporting.timings.update({f"load_{k}": v for k, v in self.engines.timings.items()})
            self._wire(attempt.port)
            while True:
                leave = await self._attend(attempt)
                if leave.reason == "crashed" and self.connection.may_rejoin() and not self.reporting.cancelled:
                    await self.reporting.event("bot_crashed", {"rejoining": True, "attempt": self.connection.crashes})
                    self.signal.reset()
                    self.policy.rejoined()
                    attempt = await self._rejoin()
                    continue
                break
            await self._leave(leave)
        finally:
            await self._shutdown(loading)

    async def _prepare_brain(self, engines: Engines | asyncio.Future[Engines]) -> None:
        """The brain reads the card while the bot joins (a model's prefill takes seconds)."""
        eng = engines if isinstance(engines, Engines) else await asyncio.shield(engines)
        context = opening_context(self.spec.bot_name, self.spec.system_prompt)
        took = await asyncio.to_thread(eng.brain.prepare, context)
        if took is not None:
            self.reporting.timings["brain_prefill"] = round(took, 3)
            await self.reporting.event("brain_prepared", {"prefill_s": round(took, 3), "at_s": self.reporting.elapsed()})

    async def _join(self) -> JoinAttempt:
        attempt = await self.connection.join()
        self.bot_tasks.spawn(self.watch.watch(attempt.port), "meeting-events")
        return attempt

    def _wire(self, port: MeetingPort) -> None:
        """Face, voice, conversation and turn-taking, built once; a rejoin only retargets them."""
        eng = self.engines
        assert eng is not None
        opts = self.options
        self.pacer = VideoPacer(eng.avatar, port, fps=eng.avatar.fps, lead_s=opts.video_lead_ms / 1000)
        self.pacer.start()
        self.speaker = Speaker(eng.voice, eng.avatar, port, audio_lead_s=opts.audio_lead_ms / 1000,
                               max_ahead_s=opts.max_audio_ahead_s)
        self.conv = Conversation(self.spec.bot_name, eng.brain, self.spec.system_prompt,
                                 memory=memory_for(self.settings, self.spec.account_id, self.spec.bot_name,
                                                   system_prompt=self.spec.system_prompt),
                                 on_line=self._store_line, on_error=self._on_brain_error)
        self.turns = TurnTaking(hearing=eng.hearing, avatar=eng.avatar, speaker=self.speaker, conv=self.conv,
                                options=opts, reporting=self.reporting, tasks=self.tasks)
        self.turns.port = port
        self.speaker.on_speaking = self.turns.on_speaking
        self.commands = Commands(self.reporting, self.turns, self.tasks, poll_s=opts.command_poll_s)
        self.watch.hearing, self.watch.turns = eng.hearing, self.turns

    async def _rejoin(self) -> JoinAttempt:
        await self.bot_tasks.cancel()
        if self.speaker is not None:
            with contextlib.suppress(Exception):
                await self.speaker.interrupt()
        await self.connection.close()
        # The state machine has no way back from ready: the session stays ready (billing goes on
        # for these few seconds) while the flags say the bot and its video are gone.
        await self.reporting.set_state(self.reporting.state, video_connected=False, bot_connected=False)
        attempt = await self._join()
        assert self.pacer is not None and self.speaker is not None and self.turns is not None
        self.pacer.retarget(attempt.port)
        self.speaker.retarget(attempt.port)
        self.turns.port = attempt.port
        return attempt

    async def _attend(self, attempt: JoinAttempt) -> Leave:
        """Wait for the join, become ready, converse until something says leave."""
        result = await self._unless_leaving(attempt.result)
        if result is None:  # asked to leave while joining
            return self.signal.leave or self.policy.cancelled()
        if not result.ok:
            steps = {"outcome": result.outcome.value, "message": result.message, "steps": result.steps[-8:]}
            if self.connection.failed_by_crash(attempt, result):
                await self.reporting.event("rejoin_failed" if attempt.rejoin else "join_crashed", steps)
                self.connection.crashed()
                return Leave("crashed")
            await self.reporting.event("join_failed", steps)
            result.raise_for_outcome()
        await self._become_ready(attempt.port)
        assert self.turns is not None and self.commands is not None
        self.bot_tasks.spawn(self.turns.listen(attempt.port), "listen")
        self.bot_tasks.spawn(self.commands.poll(attempt.port), "commands")
        self.bot_tasks.spawn(report_stats(self.reporting, self.media_stats), "stats")
        await self._greet()
        leave = await self.signal.wait()
        if leave.reason == "crashed":
            self.connection.crashed()
        return leave

    async def _unless_leaving(self, fut: asyncio.Future[JoinResult]) -> JoinResult | None:
        waiter = asyncio.ensure_future(self.signal.wait())
        racing: set[asyncio.Future[Any]] = {fut, waiter}
        done, _ = await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if fut in done:
            return fut.result()
        fut.cancel()
        with contextlib.suppress(BaseException):
            await fut
        return None

    async def _become_ready(self, port: MeetingPort) -> None:
        await self.connection.wait_media(port)
        await self.reporting.set_state("ready", video_connected=True, bot_connected=True)
        self.policy.ready(time.monotonic())
        self.watch.people_changed(port)
        timings = self.reporting.timings
        data: dict[str, object] = {"join_s": timings.get("ready"), "timings": timings}
        if self.connection.crashed_at is not None:
            data["rejoin_s"] = round(time.monotonic() - self.connection.crashed_at, 2)
        await self.reporting.event("media_flowing", data)

    async def _greet(self) -> None:
        if self.state != "ready" or self.connection.crashes or self.turns is None:
            return
        if self.connection.port is not None:  # the consent announcement comes before any greeting
            await self.consent.make(self.connection.port, self.turns, self.reporting,
                                    people=len(self.watch.participants))
        text = self.greeter.line(len(self.watch.participants))
        if text:
            self.turns.say([text], source="greeting")

    def _warn(self, warning: Warn, credits_left: float) -> None:
        if self.turns is None:
            return
        self.tasks.spawn(self.reporting.event("low_balance_warning", {"credits_left": credits_left}), "warn")
        self.turns.say([warning.text], source="system")

    # ------------------------------------------------------------------ leaving
    async def _leave(self, leave: Leave) -> None:
        await self.reporting.event("leave", {"reason": leave.reason})
        if leave.reason == "crashed":
            raise BotCrashed(
                f"the meeting bot's browser crashed and {self.options.rejoin_attempts} rejoin attempt(s) failed; "
                "start a new session")
        port = self.connection.port
        in_call = port is not None and port.outcome is not None and port.outcome.in_call
        if self.state != "leaving":
            with contextlib.suppress(Exception):
                await self.reporting.set_state("leaving")
        if in_call and leave.goodbye and self.watch.participants and self.speaker and self.turns:
            with contextlib.suppress(Exception):
                await self.speaker.interrupt()
                await self.turns.say([leave.goodbye], source="goodbye").wait(timeout=self.options.goodbye_timeout_s)
        await self.connection.leave()

    async def _shutdown(self, loading: asyncio.Future[Engines] | None) -> None:
        await self.bot_tasks.cancel()
        await self.tasks.cancel()
        await self.reporting.close()
        if self.speaker is not None:
            with contextlib.suppress(Exception):
                await self.speaker.close()
        if self.pacer is not None:
            await self.pacer.stop()
        await self.connection.close(15.0)
        if loading is not None and not loading.done():
            loading.cancel()
        await self._store_notes()
        if self.engines is not None:
            await asyncio.to_thread(self.engines.close)

    async def _store_notes(self) -> None:
        """The notes, stored for the API and remembered by the bot for its next meeting."""
        if self.conv is None or self.policy.ready_at is None:
            return  # never in the meeting: nothing to take notes of
        try:
            lines, people = self.conv.transcript(), self.watch.participants
            model = notes_model_for(self.engines.brain if self.engines else None)
            try:  # the model writes them if it can in time; the worker must be gone before it is killed
                record = await asyncio.wait_for(asyncio.to_thread(
                    build_notes, lines, bot_name=self.spec.bot_name, participants=people, model=model),
                    timeout=self.options.notes_model_s if model is not None else None)
            except TimeoutError:
                log.warning("the model did not write the notes in %ss: the rules write them", self.options.notes_model_s)
                record = await asyncio.to_thread(build_notes, lines, bot_name=self.spec.bot_name, participants=people)
            await self.reporting.store_notes(*self.consent.annotate(record.data, record.markdown))
            if self.conv.memory is not None:
                meeting = MeetingInfo(self.spec.session_id, platform=self.spec.platform)
                await asyncio.to_thread(self.conv.memory.remember, record.notes, meeting=meeting,
                                        exchanges=record.said_to_bot)
        except Exception as exc:
            log.exception("notes failed")
            await self.reporting.event("notes_failed", {"error": f"{exc.__class__.__name__}: {exc}"[:300]})

    # ------------------------------------------------------------------ small callbacks
    def media_stats(self) -> dict[str, float | int]:
        lag = self.turns.hearing_lag if self.turns is not None else 0.0
        return media_stats(self.pacer, self.connection.port, lag)

    def _store_line(self, line: TranscriptLine) -> None:
        self.reporting.store_line(line)

    def _on_brain_error(self, msg: str) -> None:
        self.tasks.spawn(self.reporting.event("brain_error", {"message": msg}), "brain-error")
