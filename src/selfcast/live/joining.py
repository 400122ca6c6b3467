"""Getting the bot into the meeting, proving its media flows, and rejoining after a crash.

One ``Connection`` per session holds the current bot (a ``MeetingPort``). A rejoined bot keeps
the first one's media clock, so the face, the speech cursor and the transcript times carry on
where they were; a rejoin waits a short time (we were admitted minutes ago, so a long wait
means it failed) while the first join may sit in a waiting room.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from selfcast.errors import SelfcastError
from selfcast.live.contract import SessionSpec
from selfcast.live.ports import MeetingPort
from selfcast.media.frames import AudioChunk
from selfcast.meeting.outcomes import JoinResult, Outcome
from selfcast.settings import Settings

PortFactory = Callable[[SessionSpec, Settings], MeetingPort]
READY_POLL_S = 0.1


class BotCrashed(SelfcastError):
    code, http_status, exit_code = "meeting_bot_crashed", 502, 4


class MediaNotFlowing(SelfcastError):
    code, http_status, exit_code = "media_not_flowing", 502, 4


def meeting_bot(spec: SessionSpec, settings: Settings) -> MeetingPort:
    """The real port: a Chromium meeting bot (its window keeps the bot's default size, the
    join flow needs room for its buttons; the camera takes frames of any size)."""
    from selfcast.meeting.bot import MeetingBot
    from selfcast.meeting.room.output import bot_platform  # a page session's bot is in a built-in room

    return MeetingBot(spec.meet_url, spec.bot_name, settings.meeting, platform=bot_platform(spec.platform),
                      password=spec.meeting_password or None, server_base_url=settings.base_url)


@dataclass(frozen=True, slots=True)
class JoinAttempt:
    """A join in flight; ``rejoin`` when it replaces a crashed bot."""

    port: MeetingPort
    result: asyncio.Future[JoinResult]
    rejoin: bool


class Connection:
    def __init__(self, spec: SessionSpec, settings: Settings, make_port: PortFactory) -> None:
        self.spec, self.settings, self.make_port = spec, settings, make_port
        self.port: MeetingPort | None = None
        self.crashes = 0
        self.crashed_at: float | None = None  # monotonic time of the last crash (rejoin time is measured from it)
        self._origin: float | None = None

    async def join(self) -> JoinAttempt:
        """Start a bot and begin joining; the caller awaits ``result`` while engines load."""
        port = self.make_port(self.spec, self.settings)
        if self._origin is None:
            self._origin = port.clock_origin()
        else:
            port.set_clock_origin(self._origin)
        self.port = port
        await port.start()
        rejoin = self.crashes > 0
        timeout = self.settings.meeting.waiting_room_timeout_s
        if rejoin:
            timeout = min(timeout, self.settings.live.rejoin_timeout_s)
        return JoinAttempt(port, asyncio.ensure_future(port.join(timeout_s=timeout)), rejoin)

    def failed_by_crash(self, attempt: JoinAttempt, result: JoinResult) -> bool:
        """A join that ended because the browser died (or a rejoin that never got back in)."""
        return attempt.port.crashed or (attempt.rejoin and result.outcome is Outcome.TIMED_OUT)

    def crashed(self) -> None:
        self.crashes += 1
        self.crashed_at = time.monotonic()

    def may_rejoin(self) -> bool:
        return self.crashes <= self.settings.live.rejoin_attempts

    async def wait_media(self, port: MeetingPort) -> None:
        """Admitted is not enough: ``ready`` means the camera and the microphone both flow."""
        await port.send_audio(AudioChunk(np.zeros(4800, np.float32), 48000, port.media_time() + 0.1))
        limit = self.settings.live.ready_timeout_s
        deadline = time.monotonic() + limit
        while True:
            h = port.health()
            if h.connected and h.video_out_flowing and h.audio_out_flowing:
                return
            if time.monotonic() > deadline:
                raise MediaNotFlowing(
                    f"admitted, but the bot's camera/microphone did not start within {limit:.0f} s "
                    f"(video {'on' if h.video_out_flowing else 'off'}, audio {'on' if h.audio_out_flowing else 'off'}); "
                    "check `selfcast doctor`")
            await asyncio.sleep(READY_POLL_S)

    async def close(self, timeout_s: float = 10.0) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.port.close(), timeout_s)

    async def leave(self, timeout_s: float = 10.0) -> None:
        if self.port is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.port.leave(), timeout_s)
