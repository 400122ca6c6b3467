"""Shared machinery for the meeting tests: a restartable room server, a fake-media participant,
and the frame-counter pattern the receiver decodes."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import wave
from pathlib import Path

import numpy as np
import uvicorn

from selfcast.meeting.browser import chromium_flags, LaunchOptions
from selfcast.meeting.room import RoomRegistry, create_room_app
from selfcast.settings import Settings

BITS = 12
BLOCK_W, BLOCK_H, TOP = 80, 60, 40  # big blocks survive a 480×270 VP8 encode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RoomServer:
    """uvicorn in a thread, on a fixed port so a restart keeps every link valid."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = RoomRegistry.from_settings(settings)
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = create_room_app(self.settings, self.registry)
        cfg = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets")
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.time() + 10
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("room server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(10)
            self._server = None

    def invite(self, room_id: str, name: str = "", role: str = "guest") -> str:
        return self.registry.invite_url(self.base_url, room_id, self.registry.mint_token(room_id, name=name, role=role))


def tone_wav(path: Path, freq: float, seconds: float = 30.0, rate: int = 48000, amp: float = 0.4) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (amp * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def counter_frame(n: int, width: int = 1280, height: int = 720, base: np.ndarray | None = None) -> np.ndarray:
    """A frame whose top rows encode ``n`` as BITS black/white blocks, with the inverse below."""
    img = np.full((height, width, 3), 90, np.uint8) if base is None else base.copy()
    for i in range(BITS):
        bit = (n >> (BITS - 1 - i)) & 1
        x0 = 40 + i * BLOCK_W
        img[TOP : TOP + BLOCK_H, x0 : x0 + BLOCK_W] = 255 if bit else 0
        img[TOP + BLOCK_H : TOP + 2 * BLOCK_H, x0 : x0 + BLOCK_W] = 0 if bit else 255
    return img


# Decodes the counter on the receiver, per displayed frame (requestVideoFrameCallback), and
# records the wall-clock time each new counter value was presented.
DECODE_JS = """
([sel, bits, bw, bh, top, width]) => new Promise((resolve) => {
  const video = document.querySelector(sel);
  const cv = document.createElement('canvas'); const cx = cv.getContext('2d', {willReadFrequently: true});
  const R = window.__decode = {frames: [], sizes: {}, stop: false};
  const step = (now, meta) => {
    const w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
      cx.drawImage(video, 0, 0, w, h);
      const s = w / width; let n = 0, ok = true;
      for (let i = 0; i < bits; i++) {
        const x = Math.round((40 + i * bw + bw / 2) * s);
        const y1 = Math.round((top + bh / 2) * s), y2 = Math.round((top + bh + bh / 2) * s);
        const a = cx.getImageData(x, y1, 1, 1).data[1], b = cx.getImageData(x, y2, 1, 1).data[1];
        const bit = a > 128 ? 1 : 0;
        if ((b > 128 ? 1 : 0) === bit || Math.abs(a - b) < 60) ok = false;
        n = (n << 1) | bit;
      }
      const key = w + 'x' + h; R.sizes[key] = (R.sizes[key] || 0) + 1;
      R.frames.push({n: ok ? n : -1, t: performance.timeOrigin + (meta.expectedDisplayTime || now), w, h});
    }
    if (!R.stop) video.requestVideoFrameCallback(step);
  };
  video.requestVideoFrameCallback(step);
  resolve(true);
})
"""


class Participant:
    """A separate headless Chromium with a fake camera and a microphone fed from a WAV."""

    def __init__(self, pw, chromium: str, wav: Path) -> None:
        self.pw, self.chromium, self.wav = pw, chromium, wav
        self.browser = None
        self.page = None

    async def open(self, url: str, name: str) -> None:
        flags = chromium_flags(LaunchOptions(headless=True)) + [
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={self.wav}",
        ]
        self.browser = await self.pw.chromium.launch(executable_path=self.chromium, headless=True, args=flags)
        self.page = await self.browser.new_page(viewport={"width": 1280, "height": 720})
        await self.page.goto(url + ("&" if "?" in url else "?") + f"name={name}")
        await self.page.click("#join")
        await self.page.wait_for_selector('body[data-state="joined"]', timeout=15000)

    async def close(self) -> None:
        if self.browser is not None:
            try:
                await asyncio.wait_for(self.browser.close(), 10)
            except Exception:
                pass
            self.browser = None
