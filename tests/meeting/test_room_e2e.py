"""End to end on loopback: the bot joins the built-in room with real Chromium and real WebRTC,
and a separate headless participant sees, hears and chats with it."""

from __future__ import annotations

import asyncio
import itertools
import os
import time

import numpy as np
import pytest
from playwright.async_api import async_playwright

from selfcast.meeting.bot import MeetingBot
from selfcast.meeting.outcomes import EventKind, Outcome
from tests.meeting.helpers import (
    BITS,
    BLOCK_H,
    BLOCK_W,
    DECODE_JS,
    RECORD_FETCH_JS,
    RECORD_START_JS,
    TOP,
    Participant,
    decode_recording,
    peak_hz,
    pump_media,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
BOT_TILE = '.tile:not([data-self]) video'
RECEIVER_STATS_JS = """async () => { const out = {};
  for (const [id, e] of window.__room.peers) { const st = await e.pc.getStats();
    st.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') Object.assign(out, {fps: r.framesPerSecond,
      decoded: r.framesDecoded, dropped: r.framesDropped, w: r.frameWidth, h: r.frameHeight, decodeMs: 1000 * r.totalDecodeTime / r.framesDecoded,
      freezes: r.freezeCount}); }); }
  return out; }"""
# The bot's camera as WebRTC's encoder gets it: each frame's timestamp (its capture time).
CAMERA_TAP_JS = """async () => {
  const track = (await navigator.mediaDevices.getUserMedia({video: true})).getVideoTracks()[0];
  const reader = new MediaStreamTrackProcessor({track}).readable.getReader();
  const T = window.__tap = [];
  (async () => { for (;;) { const {value, done} = await reader.read(); if (done) break;
    if (T.length < 2000) T.push(value.timestamp); value.close(); } })();
  return true; }"""


class Events:
    """Keeps every event the bot reports, so a test can wait for one without losing the others."""

    def __init__(self, bot) -> None:
        self.seen: list = []
        self._task = asyncio.create_task(self._collect(bot))

    async def _collect(self, bot) -> None:
        async for ev in bot.events():
            self.seen.append(ev)

    async def wait(self, kind, pred=lambda e: True, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.seen:
                if ev.kind is kind and pred(ev):
                    return ev
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no {kind} event in {timeout} s; saw {[(e.kind, e.data) for e in self.seen]}")


async def test_bot_and_participant_see_hear_and_chat_then_bot_leaves(room_server, settings, tone660, tmp_path, record_property):
    room = room_server.registry.create_room("e2e")
    async with async_playwright() as pw:
        alice = Participant(pw, settings.meeting.chromium_path, tone660)
        await alice.open(room_server.invite(room.id), "Alice")
        async with MeetingBot(room_server.invite(room.id, name="Selfcast Bot"), "Selfcast Bot", settings.meeting) as bot:
            events = Events(bot)
            result = await bot.join(timeout_s=30)
            assert result.outcome is Outcome.JOINED, result
            await events.wait(EventKind.PARTICIPANT_JOINED, lambda e: e.data["name"] == "Alice")
            assert bot.participants == ["Alice"]

            await alice.page.wait_for_function(f"document.querySelector('{BOT_TILE}') && document.querySelector('{BOT_TILE}').srcObject")
            await alice.page.evaluate(DECODE_JS, [BOT_TILE, BITS, BLOCK_W, BLOCK_H, TOP, 1280])
            await alice.page.evaluate(RECORD_START_JS, BOT_TILE)
            heard = []

            async def listen():
                async for chunk in bot.audio_in():
                    heard.append(chunk)

            listener = asyncio.create_task(listen())
            await bot.page.evaluate(CAMERA_TAP_JS)
            pump = asyncio.create_task(pump_media(bot, 9.0, tone_hz=440.0, lead=0.3))
            await asyncio.sleep(5.5)
            s0, t0 = await alice.page.evaluate(RECEIVER_STATS_JS), time.monotonic()
            await asyncio.sleep(3.0)
            s1, t1 = await alice.page.evaluate(RECEIVER_STATS_JS), time.monotonic()
            received_fps = (s1["decoded"] - s0["decoded"]) / (t1 - t0)
            sched = await pump
            await asyncio.sleep(0.5)
            listener.cancel()
            decoded = await alice.page.evaluate("() => { window.__decode.stop = true; return window.__decode; }")
            rec = await alice.page.evaluate(RECORD_FETCH_JS)
            await alice.page.screenshot(path=str(tmp_path / "participant.png"))

            # Video: what Alice shows are the frames Python sent, in order, at ≥ 25 fps.
            frames = decoded["frames"]
            valid = [f for f in frames if f["n"] >= 0]
            assert len(valid) >= 0.9 * len(frames) > 0, f"{len(frames) - len(valid)} of {len(frames)} frames undecodable"
            ns = [f["n"] for f in valid]
            assert set(ns) <= set(sched["pts"]), "the receiver showed a counter Python never sent"
            assert all(b >= a for a, b in itertools.pairwise(ns)), "frames arrived out of order"
            t_end = max(f["t"] for f in valid)
            last3 = {f["n"] for f in valid if f["t"] > t_end - 3000}
            fps = len(last3) / 3.0
            sizes = decoded["sizes"]
            settled = max(sizes, key=sizes.get)
            record_property("receiver_fps", round(fps, 1))
            record_property("receiver_sizes", sizes)
            webrtc = await alice.page.evaluate(RECEIVER_STATS_JS)
            record_property("received_fps", round(received_fps, 1))
            print(f"\nreceiver: decoded {received_fps:.1f} fps, presented {fps:.1f} fps over the last 3 s, sizes {sizes}, settled {settled}; "
                  f"bridge {bot.bridge.stats.page}, dropped in Python {bot.bridge.stats.frames_dropped}; webrtc {webrtc}")

            # Each frame reaches the encoder stamped with when it was written (a decoded JPEG says 0:
            # the receiver then froze ~200 ms every 0.6 s), so Alice's WebRTC renders them evenly.
            stamps = np.diff(np.asarray(await bot.page.evaluate("window.__tap"), np.float64)) / 1000.0
            assert len(stamps) > 100 and np.all(stamps > 0), "camera frames do not carry increasing capture times"
            assert 25 < np.median(stamps) < 42, f"camera frame stamps {np.median(stamps):.1f} ms apart at 30 fps"
            assert s1["freezes"] - s0["freezes"] <= 1, f"the receiver froze {s1['freezes'] - s0['freezes']} times in 3 s"

            # Audio out: Alice hears the bot's 440 Hz tone.
            pcm, _, rate = decode_recording(rec)
            tail = pcm[-3 * rate :]
            assert np.sqrt(np.mean(tail**2)) > 0.02, "the bot's microphone is silent at the receiver"
            assert abs(peak_hz(tail, rate) - 440.0) < 8.0

            # Audio in: Python hears Alice's microphone (a 660 Hz WAV), timestamped, at 16 kHz.
            assert heard and all(c.sample_rate == 16000 for c in heard)
            pts = [c.pts for c in heard]
            assert all(b > a for a, b in itertools.pairwise(pts))
            got = np.concatenate([c.pcm for c in heard])[-3 * 16000 :]
            assert abs(peak_hz(got, 16000) - 660.0) < 8.0
            # Stamped by sample count: consecutive chunks meet exactly (no jitter between them).
            gaps = np.array([b.pts - a.end for a, b in itertools.pairwise(heard)])
            assert np.mean(np.abs(gaps) < 1e-6) > 0.95, f"incoming audio stamps jitter: {np.percentile(np.abs(gaps), [50, 95])}"
            # Alice's microphone lights her tile: the bot reports her as the active speaker.
            await events.wait(EventKind.ACTIVE_SPEAKER, lambda e: e.data["name"] == "Alice")
            h = bot.health()
            assert h.audio_arriving and h.audio_voiced_recently and h.remote_audio_tracks == 1
            # The page's clock is measured through the ping/pong, not assumed to be ours.
            assert h.page_clock_offset_ms is not None and bot.bridge.stats.clock_rtt_ms is not None
            print(f"page clock offset {h.page_clock_offset_ms:+.2f} ms (round trip {bot.bridge.stats.clock_rtt_ms:.2f} ms)")
            assert abs(h.page_clock_offset_ms) < 1000 and bot.bridge.stats.clock_rtt_ms < 50

            # Chat both ways.
            await bot.send_chat("hello from selfcast")
            await alice.page.wait_for_function(
                "[...document.querySelectorAll('#chat-log .msg')].some(m => m.innerText.includes('hello from selfcast'))")
            await alice.page.fill("#chat-input", "hi bot, can you hear me?")
            await alice.page.click("#chat-send")
            ev = await events.wait(EventKind.CHAT)
            assert ev.data == {"id": ev.data["id"], "author": "Alice", "text": "hi bot, can you hear me?"}

            # Leave cleanly: Alice sees the bot's tile go.
            await bot.leave()
            assert bot.outcome is Outcome.LEFT
            await alice.page.wait_for_function("document.querySelectorAll('.tile').length === 1", timeout=10000)

            # Frame rate last, so everything above is checked even on an overloaded machine. The bar
            # is 25 fps received (decoded by Alice's WebRTC stack; what her headless compositor then
            # presents is reported alongside). SELFCAST_TEST_MIN_FPS may lower it. A machine running
            # more than twice as many runnable tasks as it has cores cannot show real-time figures:
            # the test then reports them as an expected failure instead of a pass or a false alarm.
            assert fps >= 5.0, f"video is not flowing: {fps:.1f} fps presented"
            min_fps = float(os.environ.get("SELFCAST_TEST_MIN_FPS", "25"))
            load, cores = os.getloadavg()[0], os.cpu_count() or 1
            if received_fps < min_fps and load > 2 * cores:
                pytest.xfail(f"machine overloaded (load {load:.1f} on {cores} cores): received {received_fps:.1f} fps, "
                             f"presented {fps:.1f} fps at {settled}")
            assert received_fps >= min_fps, f"receiver decoded {received_fps:.1f} fps (presented {fps:.1f}, sizes {sizes})"
        await alice.close()


CSP_WATCH_JS = """(() => { window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`)); })();"""


async def test_room_page_runs_under_its_csp_and_a_hostile_title_stays_text(room_server, settings):
    """Two plain Chromium pages (no CSP bypass, as a real participant's browser) join a room whose
    title is a script break-out: nothing runs from it, the title shows as text, the policy blocks
    nothing the page needs, and the two see each other over WebRTC."""
    title = "</script><script>window.pwned=1</script>\u2028<b>x</b>"
    room = room_server.registry.create_room(title)
    flags = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=settings.meeting.chromium_path, headless=True, args=flags)
        try:
            pages = []
            for name in ("Ann", "Bob"):
                ctx = await browser.new_context()
                await ctx.add_init_script(script=CSP_WATCH_JS)
                page = await ctx.new_page()
                await page.goto(room_server.invite(room.id) + f"&name={name}")
                await page.click("#join")
                await page.wait_for_selector('body[data-state="joined"]', timeout=20000)
                pages.append(page)
            for page in pages:
                await page.wait_for_function("() => [...window.__room.peers.values()].some((e) => e.pc.connectionState === 'connected')",
                                             timeout=20000)
                assert await page.evaluate("() => window.pwned") is None
                assert await page.text_content("#title") == title
                assert await page.evaluate("() => window.__csp") == []
        finally:
            await browser.close()


async def test_a_page_presenting_another_tabs_peer_key_replaces_it_without_a_reconnect_fight(room_server, settings):
    """The key the server issued is what keeps a peer's id: a second tab holding the same key (a
    duplicated tab) takes the place over, and the first page stops instead of taking it back."""
    room = room_server.registry.create_room("tabs")
    flags = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=settings.meeting.chromium_path, headless=True, args=flags)
        try:
            url = room_server.invite(room.id) + "&name=Ann"
            first = await (await browser.new_context()).new_page()
            await first.goto(url)
            await first.click("#join")
            await first.wait_for_selector('body[data-state="joined"]', timeout=20000)
            store = f"selfcast-peer-key-{room.id}"
            key = await first.evaluate(f"() => sessionStorage.getItem('{store}')")
            peer_id = await first.get_attribute(".tile[data-self]", "data-peer-id")
            assert key and peer_id
            ctx = await browser.new_context()
            await ctx.add_init_script(script=f"sessionStorage.setItem('{store}', {key!r});")
            second = await ctx.new_page()
            await second.goto(url)
            await second.click("#join")
            await second.wait_for_selector('body[data-state="joined"]', timeout=20000)
            assert await second.get_attribute(".tile[data-self]", "data-peer-id") == peer_id
            await first.wait_for_selector('body[data-state="replaced"]', timeout=10000)
            await asyncio.sleep(2.0)  # no reconnect loop: each page keeps its state
            assert await first.evaluate("() => document.body.dataset.state") == "replaced"
            assert await second.evaluate("() => document.body.dataset.state") == "joined"
            status = await (await second.request.get(f"{room_server.base_url}/room/{room.id}/status")).json()
            assert status["participants"] == ["Ann"]
        finally:
            await browser.close()
