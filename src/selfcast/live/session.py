"""``LiveSession``: one avatar in one meeting, from joining to the notes.

prepare (rig, voice, hearing, brain: on a thread, while the browser joins) → join through the
meeting bot → ``ready`` once admitted *and* its camera and microphone are flowing → the loop
(meeting audio → hearing → brain → voice → avatar → camera + microphone) → leave (goodbye when
someone can hear it) → transcript and notes stored. State goes to the platform through the
reporter; billing is the platform's business, the session only obeys its directives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from selfcast.errors import SelfcastError
from selfcast.live.commands import CommandSource, EventLogCommands
from selfcast.live.conversation import Conversation, Line, latency_record
from selfcast.live.engines import Engines, load_engines
from selfcast.live.media_out import Speaker, VideoPacer
from selfcast.live.policy import Leave, LeavePolicy, Warn
from selfcast.live.speech import SpeechHandle
from selfcast.media.frames import AudioChunk
from selfcast.settings import Settings

log = logging.getLogger(__name__)

CONTINUATION_S = 1.5  # a person's next turn this soon after their last one continues it


class BotCrashed(SelfcastError):
    code, http_status, exit_code = "meeting_bot_crashed", 502, 4


class MediaNotFlowing(SelfcastError):
    code, http_status, exit_code = "media_not_flowing", 502, 4


def _default_bot_factory(url: str, name: str, settings: Settings, platform: str, password: str | None, size):
    from selfcast.meeting.bot import MeetingBot

    # The browser window keeps the bot's default size (the join flow needs room for its buttons);
    # the camera takes frames of any size.
    return MeetingBot(url, name, settings.meeting, platform=platform, password=password or None)


class LiveSession:
    def __init__(
        self,
        spec: Any,  # selfcast.platform.sessions.protocol.SessionSpec (duck-typed: live sits below platform)
        reporter: Any,  # SessionReporter
        settings: Settings,
        *,
        engines: Engines | None = None,
        bot_factory: Callable[..., Any] = _default_bot_factory,
        commands: CommandSource | None = None,
    ) -> None:
        self.spec, self.reporter, self.settings = spec, reporter, settings
        self.cfg = settings.live
        self.engines = engines
        self.bot_factory = bot_factory
        self.commands = commands if commands is not None else EventLogCommands(reporter)
        self.policy = LeavePolicy(max_duration_s=spec.max_duration_s,
                                  low_balance_minutes=settings.pricing.low_balance_minutes)
        self.bot: Any = None
        self.speaker: Speaker | None = None
        self.pacer: VideoPacer | None = None
        self.conv: Conversation | None = None
        self.state = "created"
        self.leave_reason: Leave | None = None
        self._leave_now = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._bot_tasks: list[asyncio.Task] = []
        self._participants: list[str] = []
        self._crashes = 0
        self._greeted = False
        self._hearing_lag = 0.0
        self._rejoin_started: float | None = None
        self._reply: SpeechHandle | None = None
        self._clock_origin: float | None = None
        self.timings: dict[str, float] = {}
        self._t0 = time.monotonic()

    # ------------------------------------------------------------------ reporting (DB: threads)
    async def _set(self, state: str, **kw: Any) -> None:
        if state == self.state and not kw:
            return
        self.state = state
        self.timings.setdefault(state, round(time.monotonic() - self._t0, 3))
        await asyncio.to_thread(self.reporter.set_state, state, **kw)

    async def _event(self, kind: str, data: dict | None = None) -> None:
        try:
            await asyncio.to_thread(self.reporter.event, kind, data or {})
        except Exception:
            log.debug("event %s not recorded", kind, exc_info=True)

    def _spawn(self, coro, name: str, *, per_bot: bool = False) -> asyncio.Task:
        task = asyncio.create_task(coro, name=name)
        (self._bot_tasks if per_bot else self._tasks).append(task)
        return task

    def request_leave(self, leave: Leave) -> None:
        if self.leave_reason is None:
            self.leave_reason = leave
        self._leave_now.set()

    # ------------------------------------------------------------------ lifecycle
    async def run(self) -> None:
        await self._set("joining")
        engines_fut = None
        if self.engines is None:
            engines_fut = asyncio.ensure_future(asyncio.to_thread(
                load_engines, self.settings, image=self.spec.avatar_path, voice_id=self.spec.voice_id,
                bot_name=self.spec.bot_name))
        try:
            self._spawn(self._watch_platform(), "platform-watch")
            await self._connect(engines_fut)
            while True:
                leave = await self._attend()
                if leave.reason == "crashed" and self._crashes <= self.cfg.rejoin_attempts and not self.reporter.cancelled.is_set():
                    await self._event("bot_crashed", {"rejoining": True, "attempt": self._crashes})
                    self.leave_reason, self.policy.decided = None, None
                    self._leave_now.clear()
                    t_crash = time.monotonic()
                    await self._reconnect()
                    self._rejoin_started = t_crash
                    continue
                break
            await self._leave(leave)
        finally:
            await self._shutdown(engines_fut)

    async def _connect(self, engines_fut) -> None:
        """Start the browser and join while the engines load; the camera shows the face at once."""
        size = self._size()
        self.bot = self.bot_factory(self.spec.meet_url, self.spec.bot_name, self.settings, self.spec.platform,
                                    self.spec.meeting_password, size)
        # One media clock for the whole session: a rejoined bot continues the first one's timeline,
        # so the face, the speech cursor and the transcript times carry on where they were.
        if self._clock_origin is None:
            self._clock_origin = time.time() - self.bot.media_time()
        else:
            self.bot.set_clock_origin(self._clock_origin)
        await self.bot.start()
        self._bot_tasks = []
        self._spawn(self._watch_bot(self.bot), "bot-events", per_bot=True)
        timeout = self.settings.meeting.waiting_room_timeout_s
        if self._crashes:  # a rejoin: we were admitted minutes ago, so a long wait means it failed
            timeout = min(timeout, 20.0)
        join = asyncio.ensure_future(self.bot.join(timeout_s=timeout))
        try:
            if engines_fut is not None:
                self.engines = await engines_fut
                self.timings.update({f"load_{k}": v for k, v in self.engines.timings.items()})
            self._start_media()
            self._join_fut = join
        except BaseException:
            join.cancel()
            raise

    def _size(self) -> tuple[int, int]:
        from selfcast.live.engines import frame_size

        return frame_size(self.settings)

    def _start_media(self) -> None:
        eng = self.engines
        assert eng is not None
        if self.pacer is None:
            self.pacer = VideoPacer(eng.avatar, self.bot, fps=eng.avatar.fps, lead_s=self.cfg.video_lead_ms / 1000)
            self.pacer.start()
            self.speaker = Speaker(eng.voice, eng.avatar, self.bot, audio_lead_s=self.cfg.audio_lead_ms / 1000,
                                   max_ahead_s=self.cfg.max_audio_ahead_s, on_speaking=self._on_speaking)
            self.conv = Conversation(self.spec.bot_name, eng.brain, self.spec.system_prompt,
                                     on_line=self._store_line, on_error=self._on_brain_error)
        else:
            self.pacer.retarget(self.bot)
            self.speaker.retarget(self.bot)

    async def _reconnect(self) -> None:
        for t in self._bot_tasks:
            t.cancel()
        await asyncio.gather(*self._bot_tasks, return_exceptions=True)
        if self.speaker is not None:
            with contextlib.suppress(Exception):
                await self.speaker.interrupt()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.bot.close(), 10)
        # The state machine has no way back from ready: the session stays ready (billing goes on
        # for these few seconds) while the flags say the bot and its video are gone.
        await self._set(self.state, video_connected=False, bot_connected=False)
        await self._connect(None)

    async def _attend(self) -> Leave:
        """Join (or rejoin), become ready, converse until something says leave."""
        result = await self._race_cancel(self._join_fut)
        if result is None:  # asked to leave while joining
            return self.leave_reason or self.policy.on_cancelled()
        if not result.ok:
            if self.bot.crashed_at is not None or (self._crashes and result.outcome.value == "timed_out"):
                await self._event("rejoin_failed" if self._crashes else "join_crashed",
                                  {"outcome": result.outcome.value, "message": result.message, "steps": result.steps[-8:]})
                self._crashes += 1
                return Leave("crashed")
            await self._event("join_failed", {"outcome": result.outcome.value, "message": result.message,
                                              "steps": result.steps[-8:]})
            result.raise_for_outcome()
        await self._become_ready()
        self._spawn(self._listen(self.bot), "listen", per_bot=True)
        self._spawn(self._heartbeat(), "heartbeat", per_bot=True)
        self._spawn(self._poll_commands(), "commands", per_bot=True)
        self._spawn(self._report_stats(), "stats", per_bot=True)
        await self._greet()
        await self._leave_now.wait()
        leave = self.leave_reason or self.policy.on_cancelled()
        if leave.reason == "crashed":
            self._crashes += 1
        return leave

    async def _race_cancel(self, fut):
        waiter = asyncio.ensure_future(self._leave_now.wait())
        done, _ = await asyncio.wait({fut, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if fut in done:
            return fut.result()
        fut.cancel()
        with contextlib.suppress(BaseException):
            await fut
        return None

    async def _become_ready(self) -> None:
        bot = self.bot
        now = bot.media_time()
        await bot.send_audio(AudioChunk(np.zeros(4800, np.float32), 48000, now + 0.1))
        deadline = time.monotonic() + self.cfg.ready_timeout_s
        while True:
            h = bot.health()
            page = bot.bridge.stats.page if hasattr(bot, "bridge") else {}
            video = h.connected and (h.fps_written > 0 or page.get("framesWritten", 0) > 0)
            audio = h.connected and int(page.get("audioChunks", 0)) > 0
            if video and audio:
                break
            if time.monotonic() > deadline:
                raise MediaNotFlowing(
                    f"admitted, but the bot's camera/microphone did not start within {self.cfg.ready_timeout_s:.0f} s "
                    f"(video {'on' if video else 'off'}, audio {'on' if audio else 'off'}); check `selfcast doctor`")
            await asyncio.sleep(0.1)
        await self._set("ready", video_connected=True, bot_connected=True)
        self.policy.ready(time.monotonic())
        self._participants = list(bot.participants)
        self._set_participants()
        data = {"join_s": self.timings.get("ready"), "timings": self.timings}
        if self._rejoin_started is not None:
            data["rejoin_s"] = round(time.monotonic() - self._rejoin_started, 2)
        await self._event("media_flowing", data)

    async def _greet(self) -> None:
        """Greet once, when someone is there to hear it (at admission, or when the first person
        arrives); ``auto`` greets only one-to-one calls, ``on`` any call, ``off`` never."""
        mode = (self.cfg.greeting or "auto").lower()
        people = len(self._participants)
        if self._greeted or self.state != "ready" or mode == "off" or people == 0 or self._crashes:
            return
        if mode == "auto" and people > 1:
            self._greeted = True  # a group call: no greeting, not even when the group shrinks later
            return
        self._greeted = True
        name = self.spec.bot_name.split("(")[0].strip() or self.spec.bot_name
        text = (self.cfg.greeting_text or "Hi, I'm {name}. Ask me anything about what I've been working on.")
        self._say([text.format(name=name)], source="greeting")

    # ------------------------------------------------------------------ leaving
    async def _leave(self, leave: Leave) -> None:
        self.leave_reason = leave
        await self._event("leave", {"reason": leave.reason})
        in_call = self.bot is not None and self.bot.outcome is not None and self.bot.outcome.in_call
        if leave.reason == "crashed":
            raise BotCrashed(
                f"the meeting bot's browser crashed and {self.cfg.rejoin_attempts} rejoin attempt(s) failed; "
                "start a new session")
        if self.state not in ("leaving",):
            with contextlib.suppress(Exception):
                await self._set("leaving")
        if in_call and leave.goodbye and self._participants and self.speaker is not None:
            with contextlib.suppress(Exception):
                await self.speaker.interrupt()
                h = self._say([leave.goodbye], source="goodbye")
                await h.wait(timeout=12)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.bot.leave(), 10)

    async def _shutdown(self, engines_fut) -> None:
        for t in self._bot_tasks + self._tasks:
            t.cancel()
        await asyncio.gather(*self._bot_tasks, *self._tasks, return_exceptions=True)
        if self.speaker is not None:
            with contextlib.suppress(Exception):
                await self.speaker.close()
        if self.pacer is not None:
            await self.pacer.stop()
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.bot.close(), 15)
        if engines_fut is not None and not engines_fut.done():
            engines_fut.cancel()
        await self._store_notes()
        if self.engines is not None:
            await asyncio.to_thread(self.engines.close)

    async def _store_notes(self) -> None:
        if self.conv is None or self.policy.ready_at is None:
            return  # never in the meeting: nothing to take notes of
        from selfcast.live.notes import build_notes

        try:
            data, markdown = await asyncio.to_thread(
                build_notes, self.conv.transcript(), bot_name=self.spec.bot_name,
                brain=self.engines.brain if self.engines else None, context=self.spec.system_prompt,
                participants=self._participants)
            await asyncio.to_thread(self.reporter.store_notes, data, markdown)
        except Exception:
            log.exception("notes failed")

    # ------------------------------------------------------------------ loops
    async def _watch_platform(self) -> None:
        """The platform's cancel flag (leave request, SIGTERM) and the local duration backstop."""
        while True:
            if self.reporter.cancelled.is_set():
                d = getattr(self.reporter, "last_directive", None)
                reason = d.reason if d is not None and d.cancel and d.reason else "user"
                self.request_leave(self.policy.on_directive(True, reason, False))  # type: ignore[arg-type]
            leave = self.policy.tick(time.monotonic())
            if leave:
                self.request_leave(leave)
            await asyncio.sleep(0.2)

    async def _heartbeat(self) -> None:
        while True:
            try:
                d = await asyncio.to_thread(self.reporter.heartbeat)
                out = self.policy.on_directive(d.cancel, d.reason, d.low_balance)
                if isinstance(out, Leave):
                    self.request_leave(out)
                elif isinstance(out, Warn):
                    await self._event("low_balance_warning", {"credits_left": d.credits_left})
                    self._say([out.text], source="system")
            except Exception:
                log.debug("heartbeat failed", exc_info=True)
            await asyncio.sleep(2.0)

    async def _watch_bot(self, bot) -> None:
        from selfcast.meeting.outcomes import EventKind

        async for ev in bot.events():
            if ev.kind is EventKind.STATE:
                outcome = ev.data.get("outcome", "")
                if outcome == "waiting_room" and self.state == "joining":
                    await self._set("waiting_room", bot_connected=True)
                elif outcome in ("joined", "admitted") and self.state == "waiting_room":
                    await self._event("admitted")
                leave = self.policy.on_outcome(outcome)
                if leave is not None and self.state == "ready":
                    await self._event("meeting_outcome", {"outcome": outcome, "message": ev.data.get("message", "")})
                    self.request_leave(leave)
                elif outcome == "crashed":  # while joining: the join returns and the loop rejoins
                    await self._event("meeting_outcome", {"outcome": outcome})
            elif ev.kind in (EventKind.PARTICIPANT_JOINED, EventKind.PARTICIPANT_LEFT):
                self._participants = list(bot.participants)
                self._set_participants()
                await self._event(ev.kind.value, {"name": ev.data.get("name", ""), "participants": self._participants})
                if ev.kind is EventKind.PARTICIPANT_JOINED:
                    await self._greet()
            elif ev.kind is EventKind.AUTO_LEAVE:
                await self._event("auto_leave", ev.data)
            elif ev.kind is EventKind.CHAT:
                await self._event("chat", {"author": ev.data.get("author", ""), "text": ev.data.get("text", "")[:2000]})

    def media_stats(self) -> dict:
        """What the session measures about itself (the bench reads these from the event log)."""
        out: dict = {"hearing_lag_ms": round(self._hearing_lag * 1000, 1)}
        if self.pacer is not None:
            st = self.pacer.stats
            out.update(fps_rendered=round(st.fps(), 2), frames=st.frames, skipped=st.skipped,
                       render_ms=round(1000 * st.render_s / max(1, st.frames), 2))
        if self.bot is not None:
            h = self.bot.health()
            out.update(fps_sent=round(h.fps_sent, 2), fps_written=round(h.fps_written, 2),
                       bridge_delay_ms=round(h.bridge_delay_ms, 1))
        return out

    async def _report_stats(self, every_s: float = 5.0) -> None:
        import resource

        while True:
            await asyncio.sleep(every_s)
            ru = resource.getrusage(resource.RUSAGE_SELF)
            await self._event("media_stats", {**self.media_stats(), "cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
                                              "t": round(time.monotonic() - self._t0, 1)})

    def _set_participants(self) -> None:
        if self.engines is not None and hasattr(self.engines.hearing, "set_participants"):
            self.engines.hearing.set_participants(len(self._participants) + 1)

    async def _listen(self, bot) -> None:
        from selfcast.hearing.events import BargeIn, EndOfTurn, SpeechStarted

        hearing = self.engines.hearing
        async for chunk in bot.audio_in():
            lag = bot.media_time() - chunk.end  # capture → here: a backlog shows up as a growing lag
            self._hearing_lag = 0.98 * self._hearing_lag + 0.02 * lag
            try:
                events = hearing.feed(chunk)
            except Exception:
                log.exception("hearing failed on a chunk")
                continue
            for ev in events:
                if isinstance(ev, SpeechStarted):
                    self.engines.avatar.set_listening(True)
                elif isinstance(ev, BargeIn):
                    await self._barge_in(ev)
                elif isinstance(ev, EndOfTurn):
                    self.engines.avatar.set_listening(False)
                    self._on_turn(ev)

    async def _barge_in(self, ev) -> None:
        h = await self.speaker.interrupt()
        if h is not None:
            await self._event("barge_in", {"t": round(ev.t, 3), "cut_at": round(h.cut_at or 0.0, 3),
                                           "epoch": round(self.bot.bridge.origin + (h.cut_at or 0.0), 3)
                                           if hasattr(self.bot, "bridge") else None,
                                           "heard": h.heard_text, "speech_id": h.id})

    def _on_turn(self, ev) -> None:
        seg = ev.segment
        prev = self.conv.last_person_line()
        self.conv.heard(seg.speaker, seg.text, seg.start, seg.end)
        reply = ev.addressed or self.cfg.reply_to == "all"
        if not reply or not seg.text.strip():
            return
        now = self.bot.media_time()
        pending = self._reply
        if (pending is not None and not pending.done and prev is not None and prev.speaker == seg.speaker
                and seg.start - prev.end <= CONTINUATION_S):
            # The person went on after a short pause ("When is the release … Ada?"): one question.
            if pending.started_at is not None and pending.started_at <= now:
                return  # its answer is already being said; answering the tail again would be noise
            pending.cancel(now)  # not heard yet: answer the whole question instead
        decided = now
        handle = self._say(self.conv.reply_sentences(), source="brain")
        self._reply = handle

        async def measure() -> None:
            await handle.wait()
            rec = latency_record(seg.end, decided, handle)
            rec["reason"] = ev.reason
            rec |= {k: v for k, v in (ev.latency or {}).items() if k in ("silence_ms", "decode_ms", "cue")}
            self.conv.replies.append(rec)
            await self._event("reply", rec)

        self._spawn(measure(), f"measure-{handle.id}")

    def _say(self, sentences, *, source: str, handle_id: str = "") -> SpeechHandle:
        handle = self.speaker.say(sentences, source=source, handle_id=handle_id)

        async def record() -> None:
            await handle.wait()
            self.conv.said(handle)

        self._spawn(record(), f"record-{handle.id}")
        return handle

    def _on_speaking(self, speaking: bool) -> None:
        hearing = self.engines.hearing if self.engines else None
        if hearing is not None:
            t = self.bot.media_time() if self.bot is not None else None
            hearing.set_bot_speaking(speaking, t)

    def _on_brain_error(self, msg: str) -> None:
        self._spawn(self._event("brain_error", {"message": msg}), "brain-error")

    def _store_line(self, line: Line) -> None:
        # a plain dataclass of the worker protocol; no platform state is touched
        from selfcast.platform.sessions.protocol import TranscriptSegment

        seg = TranscriptSegment(line.speaker, line.text, round(line.start, 3), round(line.end, 3))

        async def store() -> None:
            try:
                await asyncio.to_thread(self.reporter.store_transcript, [seg])
            except Exception:
                log.exception("transcript not stored")

        self._spawn(store(), "store-line")

    async def _poll_commands(self) -> None:
        seen = 0
        while True:
            try:
                cmds = await asyncio.to_thread(self.commands.fetch, seen)
            except Exception:
                log.debug("command poll failed", exc_info=True)
                cmds = []
            for c in cmds:
                seen = max(seen, c.seq)
                self._spawn(self._run_command(c), f"command-{c.id}")
            await asyncio.sleep(self.cfg.command_poll_s)

    async def _run_command(self, c) -> None:
        try:
            if c.type == "speak":
                h = self._say([s for s in _split_sentences(c.text)], source="command", handle_id=c.id)
                await h.wait()
                await self._event("command_done", {"type": "speak", **h.result().to_dict()})
            elif c.type == "chat":
                await self.bot.send_chat(c.text)
                await self._event("command_done", {"id": c.id, "type": "chat", "ok": True})
        except Exception as exc:
            await self._event("command_done", {"id": c.id, "type": c.type, "error": str(exc)[:300]})


def _split_sentences(text: str) -> list[str]:
    import re

    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+", text.strip()) if p.strip()]
    return parts or [text]
