"""MeetingBot: one browser that joins one meeting, with selfcast as its camera, mic and ears.

The live session uses it like this::

    async with MeetingBot(url, "Ada (AI)", settings.meeting) as bot:
        result = await bot.join(timeout_s=120)
        if not result.ok: ...                         # result.outcome names what happened
        await bot.send_video(VideoFrame(rgb, pts))    # pts on bot.media_time()'s clock
        await bot.send_audio(AudioChunk(pcm, 24000, pts))
        async for chunk in bot.audio_in(): ...        # 16 kHz mono, same clock
        async for ev in bot.events(): ...             # participants, speaker, chat, captions, state
        await bot.leave()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from selfcast.botname import check_bot_name
from selfcast.errors import BadInput
from selfcast.media.frames import AudioChunk, VideoFrame
from selfcast.meeting.bridge.channel import MediaBridge
from selfcast.meeting.browser import BrowserSession, LaunchOptions
from selfcast.meeting.netguard import GuardProxy, Refused, Unresolved, checked_addresses
from selfcast.meeting.outcomes import EventKind, Health, JoinResult, MeetingEvent, Outcome
from selfcast.meeting.platforms import LinkRule, PlatformAdapter, get_spec, resolve_link
from selfcast.settings import MeetingSettings

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)


class MeetingBot:
    """Async context manager around one bot browser in one meeting."""

    def __init__(
        self,
        url: str,
        bot_name: str,
        settings: MeetingSettings,
        *,
        platform: str | None = None,
        password: str | None = None,
        headless: bool | None = None,
        screenshot_dir: str | Path | None = None,
        width: int = 1280,
        height: int = 720,
        server_base_url: str | None = None,
    ) -> None:
        bot_name = check_bot_name(bot_name or "")  # the API checks the same rule on create
        # The same link rule as the API (server_base_url: this server's own rooms).
        self.rule = LinkRule.from_settings(settings, server_base_url)
        link = resolve_link(url, platform, self.rule)
        self.url = link.url
        self.bot_name = bot_name
        self.settings = settings
        self.platform = link.platform
        self.spec = get_spec(self.platform)
        self.password = password
        self.adapter = PlatformAdapter(self.spec)
        headless_default = not (self.spec.headful or settings.headful)
        self._launch = LaunchOptions.from_settings(settings, headless=headless_default if headless is None else headless)
        self._launch.width, self._launch.height = width, height
        self.screenshot_dir = Path(screenshot_dir or Path(tempfile.gettempdir()) / "selfcast-meeting")
        self.bridge = MediaBridge(width=width, height=height, video_delay_s=settings.video_delay_ms / 1000.0)
        # Every connection of the browser passes the guard (no loopback/private/metadata addresses).
        self.guard = GuardProxy(self._may_reach, upstream=settings.proxy,
                                direct=lambda: [f"127.0.0.1:{urlsplit(self.bridge.ws_url).port}"])
        self.browser = BrowserSession(settings, self._launch, guard=self.guard)
        self.page: Page | None = None
        self.outcome: Outcome | None = None
        self._events: asyncio.Queue[MeetingEvent] = asyncio.Queue(maxsize=2000)
        self._monitor: asyncio.Task | None = None
        self._closing = False
        self._alone_since: float | None = None
        self._room_reconnects = 0
        self.crashed_at: float | None = None

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> MeetingBot:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        await self.bridge.start()
        try:
            context = await self.browser.start()
            await context.add_init_script(script=self.bridge.init_script())
            context.on("close", lambda *_: self._on_browser_gone("the browser closed"))
            page = context.pages[0] if context.pages else await context.new_page()
            page.on("crash", lambda *_: self._on_browser_gone("the page crashed"))
            self.page = page
            self.bridge.on_disconnect.append(self._on_bridge_drop)
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        self._closing = True
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(BaseException):
                await self._monitor
            self._monitor = None
        await self.browser.close()
        await self.bridge.close()

    # ------------------------------------------------------------------ join / leave
    async def join(self, timeout_s: float | None = None) -> JoinResult:
        """Open the meeting and go through its join flow; never raises for platform outcomes."""
        if self.page is None:
            raise BadInput("start the bot first: use `async with MeetingBot(...)`")
        timeout_s = self.settings.waiting_room_timeout_s if timeout_s is None else timeout_s
        target = self.spec.rewrite_url(self.url, bot_name=self.bot_name, password=self.password)
        t0 = time.monotonic()
        refused = await self._refused(target)
        if refused:
            self.outcome = Outcome.NETWORK_ERROR
            return JoinResult(Outcome.NETWORK_ERROR, refused, steps=[f"open {target}: {refused}"])
        seen = len(self.guard.decisions)
        try:
            await self.page.goto(target, wait_until="domcontentloaded", timeout=min(30.0, timeout_s) * 1000)
        except Exception as exc:
            msg = str(exc).splitlines()[0]
            # A page that loads is a platform outcome; a goto that fails is the network (DNS, refused, reset).
            outcome = Outcome.TIMED_OUT if "Timeout" in msg else Outcome.NETWORK_ERROR
            if self._gone():
                outcome = Outcome.CRASHED
            why = next((d.reason for d in reversed(self.guard.decisions[seen:]) if not d.allowed), "")
            self.outcome = outcome
            msg = f"{msg} ({why})" if why else msg
            return JoinResult(outcome, f"could not open {target}: {msg}", steps=[f"open {target}: {msg}"])
        await self.bridge.wait_connected(5.0)
        result = await self.adapter.join(
            self.page, bot_name=self.bot_name, password=self.password,
            timeout_s=max(0.0, timeout_s - (time.monotonic() - t0)), on_event=self._emit,
            screenshot_dir=self.screenshot_dir,
        )
        result.steps.insert(0, f"opened {target} ({self.platform})")
        self.outcome = result.outcome if self.crashed_at is None else Outcome.CRASHED
        if result.ok:
            self._monitor = asyncio.create_task(self._watch(), name=f"meeting-monitor-{self.platform}")
        return result

    async def leave(self) -> None:
        """Leave the call (button, then confirmation if asked); safe to call twice."""
        if self.outcome is not None and self.outcome.in_call and self.page is not None and not self._gone():
            with contextlib.suppress(Exception):
                await self.adapter.leave(self.page)
            self._set_outcome(Outcome.LEFT, "left the meeting")
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(BaseException):
                await self._monitor
            self._monitor = None

    # ------------------------------------------------------------------ media
    def media_time(self) -> float:
        """Seconds on the session media clock (stamp outgoing media ahead of this)."""
        return self.bridge.media_time()

    def clock_origin(self) -> float:
        """Wall-clock epoch seconds of media time 0."""
        return self.bridge.origin

    def set_clock_origin(self, epoch_s: float) -> None:
        self.bridge.set_clock_origin(epoch_s)

    def wants_frame(self) -> bool:
        """Whether the camera would take a frame now (ask before rendering one)."""
        return self.bridge.wants_frame()

    @property
    def crashed(self) -> bool:
        return self.crashed_at is not None

    async def send_video(self, frame: VideoFrame) -> None:
        await self.bridge.send_video(frame)

    async def send_audio(self, chunk: AudioChunk) -> None:
        await self.bridge.send_audio(chunk)

    async def clear_output(self) -> None:
        """Drop speech and frames not yet played (barge-in)."""
        await self.bridge.clear_output()

    def audio_in(self) -> AsyncIterator[AudioChunk]:
        return self.bridge.audio_in()

    # ------------------------------------------------------------------ chat & events
    async def send_chat(self, text: str) -> None:
        if self.page is None or not (self.outcome and self.outcome.in_call):
            raise BadInput("the bot is not in a call; join first")
        await self.adapter.send_chat(self.page, text)

    async def events(self) -> AsyncIterator[MeetingEvent]:
        while True:
            yield await self._events.get()

    @property
    def participants(self) -> list[str]:
        return self.adapter.participants

    def health(self) -> Health:
        s = self.bridge.stats
        page = s.page
        now = time.monotonic()
        connected = self.bridge.connected and self.crashed_at is None
        return Health(
            connected=connected,
            in_call=bool(self.outcome and self.outcome.in_call),
            audio_arriving=s.last_audio_in_at > 0 and now - s.last_audio_in_at < 2.0,
            audio_voiced_recently=s.last_voiced_at > 0 and now - s.last_voiced_at < 10.0,
            remote_audio_tracks=int(page.get("remoteAudioTracks", 0)),
            fps_sent=self.bridge.fps_sent(),
            fps_written=float(page.get("fps", 0.0)),
            bridge_delay_ms=float(page.get("meanLatenessMs", 0.0)) + abs(self.settings.video_delay_ms),
            video_mode=str(page.get("mode", "")),
            page_visibility=str(page.get("visibility", "")),
            video_out_flowing=connected and (self.bridge.fps_sent() > 0 or int(page.get("framesWritten", 0)) > 0),
            audio_out_flowing=connected and int(page.get("audioChunks", 0)) > 0,
            page_clock_offset_ms=self.bridge.page_clock_offset_ms,
        )

    # ------------------------------------------------------------------ internals
    def _may_reach(self, host: str, port: int) -> bool:
        """Hosts the guard lets through on any address: the operator's and this bot's own bridge."""
        bridge = urlsplit(self.bridge.ws_url)
        return self.rule.exempt(host, port) or (host in ("127.0.0.1", "localhost") and port == bridge.port)

    async def _refused(self, target: str) -> str:
        """Why the guard would refuse the link's host (it resolves to a non-public address), or ""."""
        parts = urlsplit(target)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            await asyncio.to_thread(checked_addresses, parts.hostname or "", port, self._may_reach(parts.hostname or "", port))
        except Refused as exc:
            return f"refused: {exc} (meeting links must reach public addresses)"
        except Unresolved:
            return ""  # the browser's own attempt reports it, as a network error
        return ""

    def _emit(self, ev: MeetingEvent) -> None:
        if self._events.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._events.get_nowait()
        self._events.put_nowait(ev)

    def _set_outcome(self, outcome: Outcome, message: str) -> None:
        if self.outcome in (Outcome.CRASHED, Outcome.LEFT, Outcome.REMOVED, Outcome.ENDED):
            return
        self.outcome = outcome
        self._emit(MeetingEvent(EventKind.STATE, {"outcome": outcome.value, "message": message}))

    def _gone(self) -> bool:
        return self.crashed_at is not None or self.page is None or self.page.is_closed()

    def _on_browser_gone(self, why: str) -> None:
        if self._closing or self.crashed_at is not None:
            return
        self.crashed_at = time.monotonic()
        log.warning("meeting bot browser gone: %s", why)
        self.outcome = None if self.outcome is None else self.outcome
        self._set_outcome(Outcome.CRASHED, why)

    def _on_bridge_drop(self) -> None:
        """The page's socket closed: a navigation (harmless) or a dead browser (report fast)."""
        if self._closing:
            return

        page = self.page
        if page is None:
            return

        async def confirm() -> None:
            for _ in range(20):
                await asyncio.sleep(0.2)
                if self.bridge.connected:
                    return
                if self.browser.pid is None:
                    self._on_browser_gone("the browser process is gone")
                    return
                try:
                    await asyncio.wait_for(page.evaluate("1"), 1.0)
                except Exception:
                    if self._closing:
                        return
                    self._on_browser_gone("the page stopped responding")
                    return

        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().create_task(confirm())

    async def _watch(self) -> None:
        """Poll the call: terminal states, people, speaker, chat, captions, auto-leave."""
        page = self.page
        if page is None:
            return
        while not self._closing and self.crashed_at is None:
            try:
                terminal = await self.adapter.check(page)
                if terminal is not None:
                    self._set_outcome(terminal, f"the platform shows {terminal.value}")
                    return
                for ev in await self.adapter.probe(page):
                    self._emit(ev)
                if self.platform == "room":
                    n = await page.evaluate("() => (window.__room ? window.__room.reconnects : 0)")
                    if n > self._room_reconnects:
                        self._room_reconnects = n
                        self._emit(MeetingEvent(EventKind.RECONNECTED, {"count": n}))
                if await self._auto_leave(page):
                    return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._gone() or page.is_closed():
                    self._on_browser_gone(f"lost the page: {exc}")
                    return
                log.debug("probe failed: %s", exc)
            await asyncio.sleep(0.5)

    async def _auto_leave(self, page: Page) -> bool:
        if self.adapter.participants:
            self._alone_since = None
            return False
        now = time.monotonic()
        self._alone_since = self._alone_since or now
        if now - self._alone_since >= self.settings.alone_timeout_s:
            self._emit(MeetingEvent(EventKind.AUTO_LEAVE, {"reason": f"alone for {self.settings.alone_timeout_s:.0f} s"}))
            with contextlib.suppress(Exception):
                await self.adapter.leave(page)
            self._set_outcome(Outcome.LEFT, "left: alone in the call")
            return True
        return False
