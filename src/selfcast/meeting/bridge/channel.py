"""The Python end of the media bridge: a loopback WebSocket the page's init script dials.

Why a WebSocket and not Playwright's ``expose_binding``: a 1280×720 I420 frame is 1.4 MB, 30 times
a second; CDP would base64 it through JSON. A local socket carries it as one binary message.

Clock contract: every timestamp is seconds on the session media clock (``clock.MediaClock``:
monotonic, integer nanoseconds), whose zero is ``origin`` (epoch seconds; by default when the
bridge started, the live session may set its own with :meth:`MediaBridge.set_clock_origin`). A
sample or frame stamped ``pts`` is played at ``origin + pts``, plus the measured audio/video path
offset ``video_delay_s``: positive holds video back (audio reaches receivers later than video),
negative holds audio back. Due times go to the page on the page's own clock, whose offset from
ours is measured by ping/pong (``clock.PageClock``). Items that arrive late go out at once (audio
skips its late part, so the two stay in step). Incoming audio is stamped on the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import secrets
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from selfcast.media.encode import JpegEncoder, encode_i420
from selfcast.media.frames import AudioChunk, EncodedPicture, VideoFrame
from selfcast.meeting.bridge.clock import MediaClock, PageClock, SampleStamper

log = logging.getLogger(__name__)

_VIDEO_HDR = struct.Struct("<BBHHHd")
_AUDIO_HDR = struct.Struct("<BBBBId")
_IN_HDR = struct.Struct("<B3xIdd")  # kind 3, sample rate, page-clock ms of the first sample, its index
_FORMATS = {"i420": 0, "jpeg": 1}
PING_EVERY_S = 1.0  # clock pings once the page is connected (the first few come faster)


@dataclass(slots=True)
class BridgeStats:
    """What the page last reported (once a second) plus what Python counted."""

    connected: bool = False
    page: dict = field(default_factory=dict)
    frames_sent: int = 0
    frames_dropped: int = 0  # too late to show: dropped here rather than delaying the picture
    frames_skipped: int = 0  # the page had not taken the previous frames yet (it is behind)
    audio_sent_s: float = 0.0
    audio_in_chunks: int = 0
    audio_in_reanchors: int = 0  # incoming audio whose sample count and measured time disagreed
    clock_rtt_ms: float | None = None  # the round trip of the ping that set the page clock offset
    last_audio_in_at: float = 0.0  # monotonic
    last_audio_in_rms: float = 0.0
    last_voiced_at: float = 0.0  # monotonic time of the last chunk above the noise floor


class MediaBridge:
    """Camera and microphone into the page, meeting audio out of it."""

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        video_delay_s: float = 0.0,
        max_ahead_s: float = 1.0,
        max_late_s: float = 0.1,
        max_in_flight: int = 2,
        capture_rate: int = 16000,
        force_canvas: bool = False,
        hide_video: bool = True,
        video_format: str = "jpeg",
    ) -> None:
        self.width, self.height = width, height
        self.video_delay_s = video_delay_s
        self.max_ahead_s = max_ahead_s
        self.max_late_s = max_late_s
        self.max_in_flight = max_in_flight
        self._in_flight = 0
        self.capture_rate = capture_rate
        self.force_canvas = force_canvas
        self.hide_video = hide_video
        if video_format not in ("jpeg", "i420"):
            raise ValueError(f"video_format must be 'jpeg' or 'i420', not {video_format!r}")
        self.video_format = video_format
        self.clock = MediaClock()
        self.page_clock = PageClock()
        self._stamper = SampleStamper()
        self.stats = BridgeStats()
        self._token = secrets.token_urlsafe(16)
        self._server: Server | None = None
        self._port = 0
        self._ws: ServerConnection | None = None  # control + audio
        self._vws: ServerConnection | None = None  # video only
        self._connected = asyncio.Event()
        self._audio_q: asyncio.Queue[AudioChunk] = asyncio.Queue(maxsize=500)
        self._send_lock = asyncio.Lock()
        self._vsend_lock = asyncio.Lock()
        self._fps_times: deque[float] = deque(maxlen=90)
        self.on_disconnect: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        server = await serve(
            self._handle, "127.0.0.1", 0, compression=None, max_size=2**20 * 8,
            ping_interval=None, write_limit=2**22,
        )
        self._server = server
        self._port = server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/bridge?token={self._token}"

    def init_script(self) -> str:
        cfg = {
            "wsUrl": self.ws_url, "width": self.width, "height": self.height,
            "captureRate": self.capture_rate, "forceCanvas": self.force_canvas,
            "hideVideo": self.hide_video,
        }
        js = resources.files("selfcast.meeting.bridge").joinpath("bridge.js").read_text()
        return f"const SELFCAST_CFG = {json.dumps(cfg)};\n{js}"

    async def wait_connected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
            return True
        except TimeoutError:
            return False

    @property
    def connected(self) -> bool:
        return self._ws is not None

    # ------------------------------------------------------------------ clock
    @property
    def origin(self) -> float:
        """Epoch seconds of media time 0."""
        return self.clock.origin_epoch

    def set_clock_origin(self, epoch_s: float) -> None:
        self.clock.set_origin_epoch(epoch_s)

    def media_time(self) -> float:
        """Now, on the session media clock."""
        return self.clock.media_time()

    @property
    def page_clock_offset_ms(self) -> float | None:
        """The page's clock minus ours, as measured (None until the first pong)."""
        off = self.page_clock.offset_ns
        return None if off is None else off / 1e6

    def _page_ms(self, media_s: float) -> float:
        """A media time as the page's clock reads it."""
        return self.page_clock.to_page_ms(self.clock.epoch_ns(media_s))

    # ------------------------------------------------------------------ outgoing
    def wants_frame(self) -> bool:
        """A frame rendered now would be sent (the page is connected and not behind)."""
        return self._vws is not None and self._in_flight < self.max_in_flight

    async def send_video(self, frame: VideoFrame) -> None:
        """Send a frame for its time; one the producer encoded already (``frame.encoded``) goes
        as it is, a raw one is encoded here on a worker thread."""
        due = frame.pts + max(0.0, self.video_delay_s)
        ahead = due - self.media_time()
        if ahead > self.max_ahead_s:  # backpressure: the page holds at most ~max_ahead of frames
            await asyncio.sleep(ahead - self.max_ahead_s)
        if self.media_time() - due > self.max_late_s:
            self.stats.frames_dropped += 1
            return
        ws = self._vws
        if ws is None:
            return
        if self._in_flight >= self.max_in_flight:
            # The page is behind: queueing more would only add delay (sockets buffer megabytes).
            self.stats.frames_skipped += 1
            return
        pic = frame.encoded
        if pic is None:
            encode = JpegEncoder() if self.video_format == "jpeg" else encode_i420
            pic = await asyncio.to_thread(encode, frame.rgb)
        self._in_flight += 1
        async with self._vsend_lock:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(_video_message(pic, self._page_ms(due)))
        self.stats.frames_sent += 1
        self._fps_times.append(time.monotonic())

    async def send_audio(self, chunk: AudioChunk) -> None:
        pcm = np.ascontiguousarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return
        due = self._page_ms(chunk.pts + max(0.0, -self.video_delay_s))
        await self._send(_AUDIO_HDR.pack(2, 0, 0, 0, int(chunk.sample_rate), due) + pcm.tobytes())
        self.stats.audio_sent_s += chunk.duration

    async def clear_output(self) -> None:
        """Drop queued speech and frames (barge-in)."""
        await self._send(json.dumps({"type": "clear"}))

    async def _send(self, data: bytes | str) -> None:
        ws = self._ws
        if ws is None:
            return  # not connected (page navigating or gone): media for that moment is lost
        async with self._send_lock:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(data)

    def fps_sent(self) -> float:
        t = self._fps_times
        if len(t) < 2 or time.monotonic() - t[-1] > 1.0:
            return 0.0
        return (len(t) - 1) / (t[-1] - t[0]) if t[-1] > t[0] else 0.0

    # ------------------------------------------------------------------ incoming
    async def audio_in(self) -> AsyncIterator[AudioChunk]:
        """Mixed meeting audio, 16 kHz mono, 20 ms chunks stamped on the media clock."""
        while True:
            yield await self._audio_q.get()

    # ------------------------------------------------------------------ socket
    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path if ws.request else ""
        if f"token={self._token}" not in path:
            await ws.close(4401, "bad token")
            return
        if "ch=video" in path:
            await self._handle_video(ws)
            return
        previous, self._ws = self._ws, ws
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous.close()
        self.stats.connected = True
        self.page_clock.reset()  # a new page: its clock may differ from the last one's
        self._stamper.reset()
        self._connected.set()
        pinger = asyncio.create_task(self._ping(ws), name="bridge-clock-ping")
        try:
            async for msg in ws:
                if isinstance(msg, bytes):
                    self._on_binary(msg)
                else:
                    self._on_text(msg)
        except ConnectionClosed:
            pass
        finally:
            pinger.cancel()
            if self._ws is ws:
                self._ws = None
                self.stats.connected = False
                self._connected.clear()
                for cb in list(self.on_disconnect):
                    cb()

    async def _handle_video(self, ws: ServerConnection) -> None:
        previous, self._vws = self._vws, ws
        self._in_flight = 0
        if previous is not None:
            with contextlib.suppress(Exception):
                await previous.close()
        try:
            async for _ack in ws:
                self._in_flight = max(0, self._in_flight - 1)
        except ConnectionClosed:
            pass
        finally:
            if self._vws is ws:
                self._vws = None

    async def _ping(self, ws: ServerConnection) -> None:
        """Measure the page's clock: a burst at connect, then one ping a second."""
        with contextlib.suppress(ConnectionClosed):
            for k in itertools.count():
                pid = self.page_clock.ping(self.clock.now_epoch_ns())
                async with self._send_lock:
                    await ws.send(json.dumps({"type": "ping", "id": pid}))
                await asyncio.sleep(0.05 if k < 5 else PING_EVERY_S)

    def _on_text(self, msg: str) -> None:
        try:
            data = json.loads(msg)
        except ValueError:
            return
        kind = data.get("type")
        if kind == "stats":
            self.stats.page = data
        elif kind == "pong":
            try:
                pid, page_ms = int(data["id"]), float(data["epoch"])
            except (KeyError, TypeError, ValueError):
                log.debug("malformed pong from the page: %r", data)
                return
            self.page_clock.pong(pid, page_ms, self.clock.now_epoch_ns())
            best = self.page_clock.best
            self.stats.clock_rtt_ms = None if best is None else best.rtt_ns / 1e6

    def _on_binary(self, msg: bytes) -> None:
        if len(msg) < _IN_HDR.size or msg[0] != 3:
            return
        _, sr, first_ms, first_index = _IN_HDR.unpack_from(msg)
        pcm = np.frombuffer(msg, dtype=np.float32, offset=_IN_HDR.size).copy()
        if sr <= 0:
            return
        measured = self.clock.media_of_epoch_ns(self.page_clock.from_page_ms(first_ms))
        before = self._stamper.reanchors
        pts = self._stamper.stamp(int(first_index), sr, measured, pcm.size)
        self.stats.audio_in_reanchors += self._stamper.reanchors - before
        now = time.monotonic()
        rms = float(np.sqrt(np.mean(pcm * pcm))) if pcm.size else 0.0
        self.stats.audio_in_chunks += 1
        self.stats.last_audio_in_at = now
        self.stats.last_audio_in_rms = rms
        if rms > 1e-3:
            self.stats.last_voiced_at = now
        _put_dropping(self._audio_q, AudioChunk(pcm=pcm, sample_rate=sr, pts=pts))


def _video_message(pic: EncodedPicture, due_page_ms: float) -> bytes:
    return _VIDEO_HDR.pack(1, _FORMATS[pic.format], pic.width, pic.height, 0, due_page_ms) + pic.data


def _put_dropping(q: asyncio.Queue[AudioChunk], item: AudioChunk) -> None:
    """Keep the newest: a consumer that falls behind loses the oldest items, not the live ones."""
    if q.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            q.get_nowait()
    q.put_nowait(item)
