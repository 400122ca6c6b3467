"""A live session measured where it matters: at a second participant's browser.

Pieces shared by the end-to-end test and ``bench/live.py``: the real server (platform app with
its local executor, so every session runs in its own worker process) on loopback, a headless
Chromium participant whose microphone the test speaks into at chosen moments (a WebAudio source
behind ``getUserMedia``; the camera is Chromium's fake device), recorders of the bot's audio
and video as the participant receives them, and the analysis: recognised text, lips re-detected
on received frames against the received audio envelope, voice-to-voice latency, stop time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selfcast.settings import Settings
from tests.meeting.helpers import (
    RECORD_FETCH_JS,
    RECORD_START_JS,
    decode_recording,
    free_port,
    recording_clock,
)

BOT_TILE = ".tile:not([data-self]) video"
FACE_CROP = (0.28, 0.0, 0.44, 0.78)  # x, y, w, h: where the avatar's head sits in its 16:9 frame

# The participant's microphone: a WebAudio destination handed out by getUserMedia, so the test
# decides when the participant speaks (Chromium's file capture starts with the page and loops).
MIC_INIT_JS = """
(() => {
  const md = navigator.mediaDevices; const orig = md.getUserMedia.bind(md);
  let ctx = null, dest = null;
  const ensure = () => { if (!ctx) { ctx = new AudioContext({sampleRate: 48000}); dest = ctx.createMediaStreamDestination(); } };
  md.getUserMedia = async (c) => {
    const wantAudio = !!(c && c.audio), wantVideo = !!(c && c.video);
    const s = wantVideo ? await orig({video: c.video, audio: false}) : new MediaStream();
    if (wantAudio) { ensure(); s.addTrack(dest.stream.getAudioTracks()[0]); }
    return s;
  };
  window.__mic = {
    play: async (b64, rate) => {
      ensure(); await ctx.resume();
      const bin = atob(b64); const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      const pcm = new Float32Array(u8.buffer);
      const buf = ctx.createBuffer(1, pcm.length, rate); buf.copyToChannel(pcm, 0);
      const src = ctx.createBufferSource(); src.buffer = buf; src.connect(dest);
      const when = ctx.currentTime + 0.05; src.start(when);
      return {startEpoch: performance.timeOrigin + performance.now() + 50, duration: pcm.length / rate};
    },
  };
})();
"""

# Every displayed frame of the bot's tile: the face region (fractions of the frame), as a small
# JPEG, with its display time (epoch ms). Cropping keeps the capture cheap, so it misses no frames.
FRAMES_START_JS = """
([sel, w, h, crop]) => {
  const v = document.querySelector(sel); const cv = document.createElement('canvas');
  cv.width = w; cv.height = h; const cx = cv.getContext('2d');
  const F = window.__frames = {list: [], stop: false};
  const step = (now, meta) => {
    if (F.stop) return;
    const vw = v.videoWidth, vh = v.videoHeight;
    cx.drawImage(v, crop[0] * vw, crop[1] * vh, crop[2] * vw, crop[3] * vh, 0, 0, w, h);
    const t = performance.timeOrigin + (meta.expectedDisplayTime || now);
    F.list.push({t, jpg: cv.toDataURL('image/jpeg', 0.85)});
    F.last = [t, meta.presentedFrames]; if (!F.first) F.first = F.last;
    v.requestVideoFrameCallback(step);
  };
  v.requestVideoFrameCallback(step);
  return true;
}
"""
FRAMES_FETCH_JS = """
() => { const F = window.__frames; F.stop = true; const out = {list: F.list, first: F.first, last: F.last}; F.list = []; return out; }
"""

# Every peer connection the page makes, so the test can read WebRTC's own receive statistics.
PC_HOOK_JS = """
(() => { const O = window.RTCPeerConnection; if (!O) return; window.__pcs = [];
  window.RTCPeerConnection = class extends O { constructor(...a) { super(...a); window.__pcs.push(this); } }; })();
"""
INBOUND_JS = """
async () => {
  const out = {};
  for (const pc of (window.__pcs || [])) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' && r.jitterBufferEmittedCount) out[r.kind] = {
      t: r.timestamp, framesDecoded: r.framesDecoded || 0, freezeCount: r.freezeCount || 0,
      freezesS: r.totalFreezesDuration || 0, width: r.frameWidth, height: r.frameHeight,
      playout: [r.jitterBufferDelay, r.jitterBufferEmittedCount]}; });
  }
  return out;
}
"""


def mean_playout_ms(a: dict, b: dict) -> dict:
    """Mean jitter-buffer delay per kind between two ``inbound_stats`` snapshots."""
    out = {}
    for kind in ("audio", "video"):
        if kind in a and kind in b and b[kind]["playout"][1] > a[kind]["playout"][1]:
            (d0, n0), (d1, n1) = a[kind]["playout"], b[kind]["playout"]
            out[kind] = round(1000 * (d1 - d0) / (n1 - n0))
    return out


# The bot's audio level as received, for waiting on "it is talking" / "it went quiet".
LEVEL_JS = """
(sel) => {
  if (!window.__lvl) {
    const v = document.querySelector(sel); const ctx = new AudioContext();
    const src = ctx.createMediaStreamSource(new MediaStream(v.srcObject.getAudioTracks()));
    const an = ctx.createAnalyser(); an.fftSize = 2048; src.connect(an);
    const buf = new Float32Array(an.fftSize);
    window.__lvl = () => { an.getFloatTimeDomainData(buf); let s = 0; for (const x of buf) s += x * x; return Math.sqrt(s / buf.length); };
    ctx.resume();
  }
  return window.__lvl();
}
"""


# ----------------------------------------------------------------------------- speech for the mic
def espeak(text: str, rate: int = 48000, voice: str = "en-us+f3", wpm: int = 150) -> np.ndarray:
    """A synthesised question (espeak-ng, a different voice than the bot's), as float32 at ``rate``."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt install espeak-ng)")
    wav = subprocess.run([exe, "-v", voice, "-s", str(wpm), "--stdout", text], check=True, capture_output=True).stdout
    with wave.open(io.BytesIO(wav)) as w:
        sr = w.getframerate()
        pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768.0
    import soxr

    pcm = soxr.resample(pcm, sr, rate).astype(np.float32)
    peak = float(np.max(np.abs(pcm))) or 1.0
    return np.concatenate([pcm * (0.5 / peak), np.zeros(int(0.3 * rate), np.float32)])


def voice_question(text: str, rate: int = 48000, voice_id: str = "joe") -> np.ndarray:
    """A question spoken by the bundled Joe voice (natural enough for Whisper), float32 at ``rate``."""
    import soxr

    from selfcast.voice import get_tts

    chunks = list(get_tts(voice_id, Settings()).stream(text))
    sr = chunks[0].sample_rate
    pcm = soxr.resample(np.concatenate([c.pcm for c in chunks]).astype(np.float32), sr, rate).astype(np.float32)
    peak = float(np.max(np.abs(pcm))) or 1.0
    return np.concatenate([pcm * (0.5 / peak), np.zeros(int(0.3 * rate), np.float32)])


def b64_f32(pcm: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(pcm, np.float32).tobytes()).decode()


# ----------------------------------------------------------------------------- the server
class LiveServer:
    """The platform app (v1 API, commands, built-in room) in a thread; workers are real processes."""

    def __init__(self, data_dir: Path, **overrides) -> None:
        port = free_port()
        self.settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, secret_key="e2e-secret-0123456789abcdef",
                                 **overrides)
        self._server = None
        self._thread: threading.Thread | None = None
        self.key = ""

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    def start(self) -> LiveServer:
        import uvicorn

        from selfcast.cli.demo import prepare
        from selfcast.platform.app import create_app

        self.settings.ensure_dirs()
        app = create_app(self.settings)
        cfg = uvicorn.Config(app, host="127.0.0.1", port=self.settings.port, log_level="warning", ws="websockets",
                             lifespan="on")
        self._server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.time() + 30
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("the selfcast server did not start")
            time.sleep(0.05)
        _, self.key, _ = prepare(self.settings)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(30)
            self._server = None

    def http(self):
        import httpx

        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"DevKey {self.key}"}, timeout=60)

    def worker_log(self, session_id: str) -> str:
        p = self.settings.data_dir / "sessions" / session_id / "worker.log"
        return p.read_text(errors="replace")[-6000:] if p.exists() else "(no worker log)"


def wait_status(http, sid: str, states: tuple[str, ...], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        s = http.get(f"/v1/sessions/{sid}").json()
        if s["status"] in states or time.monotonic() > deadline:
            return s
        if s["status"] in ("closed", "error") and s["status"] not in states:
            return s
        time.sleep(0.25)


def events(http, sid: str) -> list[dict]:
    return http.get(f"/v1/sessions/{sid}/events").json()


async def wait_bot_said(http, sid: str, n: int, timeout: float = 90.0) -> dict:
    """Wait until the bot has finished saying its ``n``-th line (a line reaches the transcript when
    it ends): what a participant cannot know from the sound alone when the bot pauses mid-answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = [x for x in http.get(f"/v1/sessions/{sid}/transcript").json() if x.get("bot")]
        if len(lines) >= n:
            return lines[n - 1]
        await asyncio.sleep(0.2)
    raise TimeoutError(f"the bot did not finish line {n} within {timeout:.0f} s")


# ----------------------------------------------------------------------------- the participant
class Listener:
    """A headless Chromium participant with a speakable mic, recording what it gets from the bot."""

    def __init__(self, pw, chromium: str) -> None:
        self.pw, self.chromium = pw, chromium
        self.browser = None
        self.page = None
        self.presented_fps = 0.0  # frames the page presented per second in the last fetch

    async def open(self, url: str, name: str) -> None:
        from selfcast.meeting.browser import LaunchOptions, chromium_flags

        flags = [*chromium_flags(LaunchOptions(headless=True)), "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]
        self.browser = await self.pw.chromium.launch(executable_path=self.chromium, headless=True, args=flags)
        # The measuring participant evaluates its recorders and waits on string predicates, which the
        # room page's CSP (no eval) forbids; the instrumentation, not the room, bypasses it.
        ctx = await self.browser.new_context(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        await ctx.add_init_script(script=MIC_INIT_JS)
        await ctx.add_init_script(script=PC_HOOK_JS)
        self.page = await ctx.new_page()
        await self.page.goto(url + ("&" if "?" in url else "?") + f"name={name}")
        await self.page.click("#join")
        await self.page.wait_for_selector('body[data-state="joined"]', timeout=30000)

    async def wait_bot_tile(self, timeout: float = 30.0) -> None:
        await self.page.wait_for_function(
            f"(() => {{ const v = document.querySelector('{BOT_TILE}'); return v && v.srcObject && v.videoWidth > 0; }})()",
            timeout=timeout * 1000)

    async def start_recording(self, frame_size: tuple[int, int] = (256, 256),
                              crop: tuple[float, float, float, float] = FACE_CROP) -> None:
        if await self.page.evaluate("() => !!window.__rec && !window.__rec.stop"):
            await self.page.evaluate(RECORD_FETCH_JS)  # a recording still running: end it first
        await self.page.evaluate(RECORD_START_JS, BOT_TILE)
        await self.page.evaluate(FRAMES_START_JS, [BOT_TILE, frame_size[0], frame_size[1], list(crop)])

    async def inbound_stats(self) -> dict:
        """WebRTC's receive counters for the bot's streams, per kind: decoded frames, freezes, size,
        and the cumulative jitter-buffer delay with its emitted count (``mean_playout_ms``)."""
        return await self.page.evaluate(INBOUND_JS)

    async def level(self) -> float:
        return float(await self.page.evaluate(LEVEL_JS, BOT_TILE))

    async def say(self, pcm48k: np.ndarray) -> tuple[float, float]:
        """Speak into the mic now; returns (start epoch s, duration s)."""
        r = await self.page.evaluate("([b, r]) => window.__mic.play(b, r)", [b64_f32(pcm48k), 48000])
        return r["startEpoch"] / 1000.0, r["duration"]

    async def wait_level(self, above: bool, threshold: float = 0.01, hold_s: float = 0.0, timeout: float = 30.0) -> float:
        """Wait until the bot's received level is above (or below, for ``hold_s``) the threshold."""
        deadline = time.monotonic() + timeout
        since = None
        while time.monotonic() < deadline:
            lv = await self.level()
            ok = lv > threshold if above else lv < threshold
            if ok:
                since = since or time.time()
                if time.time() - since >= hold_s:
                    return since
            else:
                since = None
            await asyncio.sleep(0.02)
        raise TimeoutError(f"bot audio never went {'above' if above else 'below'} {threshold} in {timeout:.0f} s")

    async def fetch(self) -> tuple[Recording, list[tuple[float, np.ndarray]]]:
        rec = await self.page.evaluate(RECORD_FETCH_JS)
        pcm, first, rate = decode_recording(rec)
        clock = recording_clock(rec)
        raw = await self.page.evaluate(FRAMES_FETCH_JS)
        frames = [(f["t"] / 1000.0, _jpeg(f["jpg"])) for f in raw["list"]]
        # The compositor presents frames even when this page is too busy to copy each one out.
        (t0, n0), (t1, n1) = raw["first"] or (0, 0), raw["last"] or (0, 0)
        self.presented_fps = (n1 - n0) / ((t1 - t0) / 1000) if t1 > t0 else 0.0
        return Recording(pcm, first, rate, clock), frames

    async def close(self) -> None:
        if self.browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.browser.close(), 15)
            self.browser = None


def _jpeg(data_url: str) -> np.ndarray:
    from PIL import Image

    raw = base64.b64decode(data_url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"))


# ----------------------------------------------------------------------------- analysis
@dataclass
class Recording:
    pcm: np.ndarray
    first_epoch: float
    rate: int
    clock: tuple[np.ndarray, np.ndarray] | None = None  # (sample index, epoch s) anchors; None: a steady clock

    def epochs(self, idx: np.ndarray) -> np.ndarray:
        """Epoch seconds of sample indices (between anchors, the sample count; beyond, the nearest offset)."""
        idx = np.asarray(idx, np.float64)
        if self.clock is None or len(self.clock[0]) < 2:
            return self.first_epoch + idx / self.rate
        ai, ae = self.clock
        return idx / self.rate + np.interp(idx, ai, ae - ai / self.rate)

    def epoch(self, i: int) -> float:
        return float(self.epochs(np.asarray([i]))[0])

    def index(self, epoch: float) -> int:
        if self.clock is None or len(self.clock[0]) < 2:
            return round((epoch - self.first_epoch) * self.rate)
        ai, ae = self.clock
        return round(float(np.interp(epoch, ae, ai, left=ai[0] + (epoch - ae[0]) * self.rate,
                                     right=ai[-1] + (epoch - ae[-1]) * self.rate)))

    def segment(self, t0: float, t1: float) -> np.ndarray:
        a, b = max(0, self.index(t0)), max(0, self.index(t1))
        return self.pcm[a:b]

    def envelope(self, hop_s: float = 0.01, win_s: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
        """(epoch times, RMS) on a ``hop_s`` grid."""
        hop, win = int(self.rate * hop_s), int(self.rate * win_s)
        n = max(0, (len(self.pcm) - win) // hop)
        if n == 0:
            return np.zeros(0), np.zeros(0)
        idx = np.arange(n) * hop
        sq = np.concatenate([[0.0], np.cumsum(self.pcm.astype(np.float64) ** 2)])
        rms = np.sqrt((sq[idx + win] - sq[idx]) / win)
        return self.epochs(idx + win / 2), rms

    def voiced_spans(self, after: float, threshold: float = 0.01, min_gap_s: float = 0.6) -> list[tuple[float, float]]:
        t, rms = self.envelope()
        spans, start, last = [], None, None
        for ti, r in zip(t, rms, strict=False):
            if ti < after:
                continue
            if r > threshold:
                if start is None:
                    start = ti
                last = ti
            elif start is not None and ti - last > min_gap_s:
                spans.append((start, last))
                start = None
        if start is not None:
            spans.append((start, last))
        return spans


def transcribe(pcm: np.ndarray, rate: int) -> str:
    import soxr

    from selfcast.hearing.asr import get_asr

    asr = get_asr(Settings().hearing)
    try:
        return asr.transcribe(soxr.resample(pcm.astype(np.float32), rate, 16000).astype(np.float32))
    finally:
        asr.close()


def mouth_series(frames: list[tuple[float, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Mouth aspect ratio re-detected (MediaPipe face mesh) on each received frame."""
    from selfcast.avatar.landmarks import FaceLandmarker, mouth_aspect_ratio

    ts, mar = [], []
    with FaceLandmarker() as fl:
        for t, rgb in frames:
            faces = fl.detect(rgb)
            if faces:
                ts.append(t)
                mar.append(mouth_aspect_ratio(faces[0].landmarks))
    return np.asarray(ts), np.asarray(mar)


@dataclass
class SyncResult:
    corr: float  # at the best lag
    offset_ms: float  # > 0: the mouth moves after the sound
    corr_at_zero: float
    frames: int


def lip_sync(rec: Recording, mt: np.ndarray, mar: np.ndarray, t0: float, t1: float,
             max_lag_s: float = 0.2) -> SyncResult:
    """Correlate the mouth with the received audio envelope over [t0, t1], searching the lag."""
    te, env = rec.envelope(hop_s=0.005, win_s=0.06)
    sel = (mt >= t0) & (mt <= t1)
    mt, mar = mt[sel], mar[sel]
    if len(mt) < 10:
        return SyncResult(0.0, 0.0, 0.0, len(mt))
    best = (-2.0, 0.0)
    zero = 0.0
    for lag in np.arange(-max_lag_s, max_lag_s + 1e-9, 0.005):
        e = np.interp(mt - lag, te, env)  # the sound that the frame at t shows, if video lags by `lag`
        c = float(np.corrcoef(e, mar)[0, 1]) if np.std(e) > 0 and np.std(mar) > 0 else 0.0
        if abs(lag) < 1e-9:
            zero = c
        if c > best[0]:
            best = (c, float(lag))
    return SyncResult(best[0], best[1] * 1000.0, zero, len(mt))


def fixture_workspace(tmp: Path) -> Path:
    """The demo's Lighthouse workspace, copied out of any git repository."""
    from selfcast.live.demo.launch import demo_assets

    dest = Path(tempfile.mkdtemp(dir=tmp, prefix="ws-")) / "lighthouse"
    shutil.copytree(demo_assets() / "workspace", dest)
    return dest
