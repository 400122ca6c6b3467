"""Shared machinery for the meeting tests: a restartable room server, a fake-media participant,
and the frame-counter pattern the receiver decodes."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np
import uvicorn

from selfcast.media.frames import AudioChunk, VideoFrame
from selfcast.meeting.browser import BrowserSession, LaunchOptions
from selfcast.meeting.room import RoomRegistry, create_room_app
from selfcast.settings import MeetingSettings, Settings

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
  // Only the strip with the pattern is drawn, at 640 px wide: cheap enough for every frame.
  const CW = 640, scale = CW / width, CH = Math.ceil((top + 2 * bh + 8) * scale);
  const cv = document.createElement('canvas'); cv.width = CW; cv.height = CH;
  const cx = cv.getContext('2d', {willReadFrequently: true});
  const R = window.__decode = {frames: [], sizes: {}, stop: false};
  const step = (now, meta) => {
    const w = video.videoWidth, h = video.videoHeight;
    if (w && h) {
      cx.drawImage(video, 0, 0, w, CH * w / CW, 0, 0, CW, CH);
      const px = cx.getImageData(0, 0, CW, CH).data;
      const at = (x, y) => px[(Math.round(y * scale) * CW + Math.round(x * scale)) * 4 + 1];
      let n = 0, ok = true;
      for (let i = 0; i < bits; i++) {
        const x = 40 + i * bw + bw / 2;
        const a = at(x, top + bh / 2), b = at(x, top + bh + bh / 2);
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


# The participant's own camera is not under test: keep it small so the machine's two cores go to
# the bot's 720p stream.
SMALL_CAMERA_JS = """
(() => { const md = navigator.mediaDevices; const g = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => g(c && c.video ? {...c, video: {width: 320, height: 180, frameRate: 15}} : c); })();
"""


class Participant:
    """A separate headless Chromium with a fake camera and a microphone fed from a WAV."""

    def __init__(self, pw, chromium: str, wav: Path) -> None:
        self.chromium, self.wav = chromium, wav
        self.session: BrowserSession | None = None
        self.page = None
        self._wav_dir = ""

    async def open(self, url: str, name: str) -> None:
        # The browser may run as an unprivileged user (as root it must, to keep its sandbox), and
        # pytest's tmp dirs are private to root: the microphone file goes where that user can read it.
        self._wav_dir = tempfile.mkdtemp(prefix="selfcast-wav-")
        os.chmod(self._wav_dir, 0o755)
        wav = Path(shutil.copy(self.wav, self._wav_dir))
        wav.chmod(0o644)
        opts = LaunchOptions(headless=True, extra_args=[
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}"])
        self.session = BrowserSession(MeetingSettings(chromium_path=self.chromium), opts)
        context = await self.session.start()
        await context.add_init_script(SMALL_CAMERA_JS)
        self.page = context.pages[0] if context.pages else await context.new_page()
        await self.page.goto(url + ("&" if "?" in url else "?") + f"name={name}")
        await self.page.click("#join")
        await self.page.wait_for_selector('body[data-state="joined"]', timeout=15000)

    def kill(self) -> None:
        """Hard-kill the participant's browser (a crash, not a polite leave)."""
        self.session.kill()

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self._wav_dir:
            shutil.rmtree(self._wav_dir, ignore_errors=True)
            self._wav_dir = ""


# A remote participant's audio as this page's WebRTC stack hands it to playback, read with a
# MediaStreamTrackProcessor: 10 ms chunks, each stamped (performance clock) when it was pulled
# for output. A WebAudio recorder instead runs on its own context clock behind a FIFO that
# slowly fills: its timing slid by ~90 ms over two minutes of recording.
RECORD_START_JS = """
(sel) => {
  const track = document.querySelector(sel).srcObject.getAudioTracks()[0];
  const reader = new MediaStreamTrackProcessor({track}).readable.getReader();
  const R = window.__rec = {chunks: [], clock: [], n: 0, rate: 48000, stop: false};
  (async () => {
    for (;;) {
      const {value, done} = await reader.read();
      if (done || R.stop) { if (value) value.close(); break; }
      const pcm = new Float32Array(value.numberOfFrames);
      value.copyTo(pcm, {planeIndex: 0, format: 'f32-planar'});
      if (R.chunks.length === 0) R.rate = value.sampleRate;
      R.clock.push([R.n, performance.timeOrigin + value.timestamp / 1000]);
      R.chunks.push(pcm); R.n += pcm.length; value.close();
    }
    reader.releaseLock();
  })();
  return true;
}
"""
RECORD_FETCH_JS = """
() => {
  const R = window.__rec; R.stop = true;
  const all = new Float32Array(R.n); let o = 0; for (const c of R.chunks) { all.set(c, o); o += c.length; }
  let bin = ''; const u8 = new Uint8Array(all.buffer);
  for (let i = 0; i < u8.length; i += 32768) bin += String.fromCharCode.apply(null, u8.subarray(i, i + 32768));
  return {clock: R.clock, rate: R.rate, b64: btoa(bin)};
}
"""


def recording_clock(rec: dict, smooth_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(sample index, epoch s) anchors of a recording, smoothed: each anchor's offset from the
    sample count becomes the median over ``smooth_s`` around it (message jitter out, drift kept)."""
    c = np.asarray(rec["clock"], np.float64).reshape(-1, 2)
    if not len(c):
        return np.zeros(1), np.zeros(1)
    idx, epoch = c[:, 0], c[:, 1] / 1000.0
    t = idx / rec["rate"]
    off = epoch - t
    half = smooth_s / 2
    lo, hi = np.searchsorted(t, t - half), np.searchsorted(t, t + half, side="right")
    return idx, t + np.array([np.median(off[a:b]) for a, b in zip(lo, hi, strict=True)])


def decode_recording(rec: dict) -> tuple[np.ndarray, float, int]:
    """(pcm, epoch s of its first sample, rate); ``recording_clock`` times every other sample."""
    import base64

    pcm = np.frombuffer(base64.b64decode(rec["b64"]), dtype=np.float32)
    idx, epoch = recording_clock(rec)
    return pcm, float(epoch[0] - idx[0] / rec["rate"]), rec["rate"]


def peak_hz(pcm: np.ndarray, rate: int) -> float:
    win = pcm * np.hanning(len(pcm))
    spec = np.abs(np.fft.rfft(win))
    spec[: int(50 * len(pcm) / rate)] = 0  # ignore DC and hum
    return float(np.argmax(spec) * rate / len(pcm))


async def pump_media(bot, seconds: float, *, fps: int = 30, tone_hz: float = 440.0, rate: int = 48000,
                     beeps: list[float] | None = None, lead: float = 0.3) -> dict:
    """Send counter frames and a tone (or 100 ms 1 kHz beeps at given seconds) like a live
    producer: audio in 50 ms chunks ``lead`` ahead of its time; video rendered for "now" on the
    bot's media clock, skipping frames it is too late for (as a real-time renderer does).
    Returns the schedule: media start time and the pts of every frame sent."""
    start = bot.media_time() + lead
    base = np.full((720, 1280, 3), 90, np.uint8)
    end = start + seconds
    sent: dict[int, float] = {}

    async def audio() -> None:
        step = rate // 20
        k = 0
        while start + k * step / rate < end:
            pts = start + k * step / rate
            t = (k * step + np.arange(step)) / rate
            if beeps is None:
                pcm = 0.3 * np.sin(2 * np.pi * tone_hz * t)
            else:
                on = np.zeros(step, bool)
                for b in beeps:
                    on |= (t >= b) & (t < b + 0.1)
                pcm = np.where(on, 0.5 * np.sin(2 * np.pi * 1000 * t), 0.0)
            await bot.send_audio(AudioChunk(pcm.astype(np.float32), rate, pts))
            k += 1
            ahead = pts - lead - bot.media_time()
            if ahead > 0:
                await asyncio.sleep(ahead)

    async def video() -> None:
        n = 0
        while start + n / fps < end:
            now = bot.media_time()
            n = max(n, int(np.ceil((now - start) * fps)))  # skip frames already due
            pts = start + n / fps
            if pts >= end:
                break
            await bot.send_video(VideoFrame(counter_frame(n, base=base), pts))
            sent[n] = pts
            n += 1
            wait = start + n / fps - 0.02 - bot.media_time()
            if wait > 0:
                await asyncio.sleep(wait)

    await asyncio.gather(audio(), video())
    return {"start": start, "origin": bot.bridge.origin, "pts": sent, "fps": fps}
