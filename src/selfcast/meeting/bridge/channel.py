"""The Python end of the media bridge: a loopback WebSocket the page's init script dials.

Why a WebSocket and not Playwright's ``expose_binding``: a 1280×720 I420 frame is 1.4 MB, 30 times
a second; CDP would base64 it through JSON. A local socket carries it as one binary message.

Clock contract: every timestamp is seconds on the session media clock, whose zero is
``origin`` (wall-clock epoch seconds, by default when the bridge started; the live session may
set its own with :meth:`MediaBridge.set_clock_origin`). A sample or frame stamped ``pts`` is
played at ``origin + pts``, plus the measured audio/video path offset ``video_delay_s``: positive
holds video back (audio reaches receivers later than video), negative holds audio back. Items that arrive late go out at once (audio skips its late part, so
the two stay in step). Incoming audio is stamped on the same clock.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from selfcast.media.frames import AudioChunk, VideoFrame
from selfcast.meeting.bridge.i420 import rgb_to_i420, rgb_to_jpeg

log = logging.getLogger(__name__)

_VIDEO_HDR = struct.Struct("<BBHHHd")
_AUDIO_HDR = struct.Struct("<BBBBId")
_IN_HDR = struct.Struct("<BBHId")


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
        per_track: bool = False,
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
        self.per_track = per_track
        self.force_canvas = force_canvas
        self.hide_video = hide_video
        if video_format not in ("jpeg", "i420"):
            raise ValueError(f"video_format must be 'jpeg' or 'i420', not {video_format!r}")
        self.video_format = video_format
        self.origin = time.time()
        self.stats = BridgeStats()
        self._token = secrets.token_urlsafe(16)
        self._server = None
        self._port = 0
        self._ws: ServerConnection | None = None  # control + audio
        self._vws: ServerConnection | None = None  # video only
        self._connected = asyncio.Event()
        self._audio_q: asyncio.Queue[AudioChunk] = asyncio.Queue(maxsize=500)
        self._track_q: asyncio.Queue[AudioChunk] = asyncio.Queue(maxsize=500)
        self._messages: asyncio.Queue[dict] = asyncio.Queue(maxsize=1000)
        self._send_lock = asyncio.Lock()
        self._vsend_lock = asyncio.Lock()
        self._fps_times: deque[float] = deque(maxlen=90)
        self.on_disconnect: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, compression=None, max_size=2**20 * 8,
            ping_interval=None, write_limit=2**22,
        )
        self._port = self._server.sockets[0].getsockname()[1]

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
            "captureRate": self.capture_rate, "perTrack": self.per_track, "forceCanvas": self.force_canvas,
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
    def set_clock_origin(self, epoch_s: float) -> None:
        self.origin = epoch_s

    def media_time(self) -> float:
        """Now, on the session media clock."""
        return time.time() - self.origin

    # ------------------------------------------------------------------ outgoing
    def wants_frame(self) -> bool:
        """A frame rendered now would be sent (the page is connected and not behind)."""
        return self._vws is not None and self._in_flight < self.max_in_flight

    async def send_video(self, frame: VideoFrame) -> None:
        due = self.origin + frame.pts + max(0.0, self.video_delay_s)
        ahead = due - time.time()
        if ahead > self.max_ahead_s:  # backpressure: the page holds at most ~max_ahead of frames
            await asyncio.sleep(ahead - self.max_ahead_s)
        if time.time() - due > self.max_late_s:
            self.stats.frames_dropped += 1
            return
        ws = self._vws
        if ws is None:
            return
        if self._in_flight >= self.max_in_flight:
            # The page is behind: queueing more would only add delay (sockets buffer megabytes).
            self.stats.frames_skipped += 1
            return
        if self.video_format == "jpeg":
            fmt, (planes, w, h) = 1, await asyncio.to_thread(rgb_to_jpeg, frame.rgb)
        else:
            fmt, (planes, w, h) = 0, await asyncio.to_thread(rgb_to_i420, frame.rgb)
        self._in_flight += 1
        async with self._vsend_lock:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(_VIDEO_HDR.pack(1, fmt, w, h, 0, due * 1000.0) + planes)
        self.stats.frames_sent += 1
        self._fps_times.append(time.monotonic())

    async def send_audio(self, chunk: AudioChunk) -> None:
        pcm = np.ascontiguousarray(chunk.pcm, dtype=np.float32).reshape(-1)
        if pcm.size == 0:
            return
        due = self.origin + chunk.pts + max(0.0, -self.video_delay_s)
        await self._send(_AUDIO_HDR.pack(2, 0, 0, 0, int(chunk.sample_rate), due * 1000.0) + pcm.tobytes())
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

    async def track_audio_in(self) -> AsyncIterator[AudioChunk]:
        """Per remote track (``meta['track']``), when the bridge runs with ``per_track``."""
        while True:
            yield await self._track_q.get()

    async def messages(self) -> AsyncIterator[dict]:
        while True:
            yield await self._messages.get()

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
        self._connected.set()
        try:
            async for msg in ws:
                if isinstance(msg, bytes):
                    self._on_binary(msg)
                else:
                    self._on_text(msg)
        except ConnectionClosed:
            pass
        finally:
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

    def _on_text(self, msg: str) -> None:
        try:
            data = json.loads(msg)
        except ValueError:
            return
        if data.get("type") == "stats":
            self.stats.page = data
        _put_dropping(self._messages, data)

    def _on_binary(self, msg: bytes) -> None:
        if len(msg) < _IN_HDR.size or msg[0] != 3:
            return
        _, index, _, sr, first_ms = _IN_HDR.unpack_from(msg)
        pcm = np.frombuffer(msg, dtype=np.float32, offset=_IN_HDR.size).copy()
        chunk = AudioChunk(pcm=pcm, sample_rate=sr, pts=first_ms / 1000.0 - self.origin, meta={"track": index})
        if index == 0:
            now = time.monotonic()
            rms = float(np.sqrt(np.mean(pcm * pcm))) if pcm.size else 0.0
            self.stats.audio_in_chunks += 1
            self.stats.last_audio_in_at = now
            self.stats.last_audio_in_rms = rms
            if rms > 1e-3:
                self.stats.last_voiced_at = now
            _put_dropping(self._audio_q, chunk)
        else:
            _put_dropping(self._track_q, chunk)


def _put_dropping(q: asyncio.Queue, item) -> None:
    """Keep the newest: a consumer that falls behind loses the oldest items, not the live ones."""
    if q.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            q.get_nowait()
    q.put_nowait(item)
