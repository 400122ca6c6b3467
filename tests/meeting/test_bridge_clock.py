"""The bridge's clocks without a browser: the real MediaBridge on loopback, and a page played by a
WebSocket client whose clock runs 250 ms ahead of ours. Due times must reach it on its clock (as
measured through the ping/pong, not assumed), and its audio must come back on ours, stamped by
sample count."""

from __future__ import annotations

import asyncio
import itertools
import json
import struct
import time

import numpy as np
import pytest
from websockets.asyncio.client import connect

from selfcast.media.frames import AudioChunk, EncodedPicture, VideoFrame
from selfcast.meeting.bridge.channel import MediaBridge
from selfcast.meeting.bridge.clock import MediaClock, PageClock, SampleStamper

SKEW_MS = 250.0


def page_now_ms() -> float:
    return time.time() * 1000.0 + SKEW_MS


class SkewedPage:
    """The init script's side of the two sockets, with a clock ``SKEW_MS`` ahead of Python's."""

    def __init__(self, bridge: MediaBridge) -> None:
        self.bridge = bridge
        self.audio_due: list[tuple[float, float]] = []  # (due on the page clock, page clock when received)
        self.video_due: list[tuple[float, int, int, int]] = []  # (due, fmt, w, h)
        self.ctl = self.video = None

    async def open(self) -> None:
        self.ctl = await connect(self.bridge.ws_url + "&ch=ctl")
        self.video = await connect(self.bridge.ws_url + "&ch=video")
        self._tasks = [asyncio.create_task(self._control()), asyncio.create_task(self._camera())]

    async def _control(self) -> None:
        async for msg in self.ctl:
            if isinstance(msg, str):
                m = json.loads(msg)
                if m["type"] == "ping":
                    await self.ctl.send(json.dumps({"type": "pong", "id": m["id"], "epoch": page_now_ms()}))
            elif msg[0] == 2:
                self.audio_due.append((struct.unpack_from("<d", msg, 8)[0], page_now_ms()))

    async def _camera(self) -> None:
        async for msg in self.video:
            _, fmt, w, h, _, due = struct.unpack_from("<BBHHHd", msg)
            self.video_due.append((due, fmt, w, h))
            await self.video.send("a")

    async def send_audio(self, first_ms: float, index: int, n: int = 320, rate: int = 16000) -> None:
        pcm = np.full(n, 0.1, np.float32)
        await self.ctl.send(struct.pack("<B3xIdd", 3, rate, first_ms, float(index)) + pcm.tobytes())

    async def close(self) -> None:
        for t in self._tasks:
            t.cancel()
        await self.ctl.close()
        await self.video.close()


async def test_due_times_reach_the_page_on_its_measured_clock_and_its_audio_comes_back_on_ours():
    bridge = MediaBridge(width=64, height=32, video_delay_s=0.0)
    await bridge.start()
    page = SkewedPage(bridge)
    try:
        await page.open()
        assert await bridge.wait_connected(5)
        for _ in range(100):  # the first pings come 50 ms apart
            if bridge.page_clock_offset_ms is not None:
                break
            await asyncio.sleep(0.02)
        off = bridge.page_clock_offset_ms
        assert off is not None and abs(off - SKEW_MS) < 5, f"measured page clock offset {off} ms"
        assert bridge.stats.clock_rtt_ms is not None and bridge.stats.clock_rtt_ms < 50

        # Out: speech and a frame due 300 ms from now arrive stamped 300 ms ahead on the page's clock.
        pts = bridge.media_time() + 0.3
        await bridge.send_audio(AudioChunk(np.zeros(480, np.float32), 48000, pts))
        picture = EncodedPicture("jpeg", b"\xff\xd8fake", 64, 32)
        assert bridge.wants_frame()
        await bridge.send_video(VideoFrame(np.zeros((32, 64, 3), np.uint8), pts, encoded=picture))
        for _ in range(100):
            if page.audio_due and page.video_due:
                break
            await asyncio.sleep(0.01)
        (due, received), = page.audio_due
        assert abs(due - received - 300) < 15, f"audio due {due - received:.1f} ms ahead on the page clock"
        vdue, fmt, w, h = page.video_due[0]
        assert (fmt, w, h) == (1, 64, 32) and abs(vdue - due) < 1e-6

        # In: the page stamps with its own clock; chunks come back on ours, contiguous by sample index
        # even though the page's measured times jitter by ±8 ms.
        t0 = page_now_ms() - 100.0
        rng = np.random.default_rng(1)
        for k in range(10):
            await page.send_audio(t0 + 20.0 * k + rng.uniform(-8, 8), index=1000 + 320 * k)
        chunks = [await asyncio.wait_for(anext(bridge.audio_in()), 2) for _ in range(10)]
        now = bridge.media_time()
        assert abs(chunks[0].pts - (now - 0.1)) < 0.03, (chunks[0].pts, now)
        for a, b in itertools.pairwise(chunks):
            assert b.pts == pytest.approx(a.end, abs=1e-9)
        # a glitch (the count and the clock disagree by 200 ms) re-anchors, never backwards
        await page.send_audio(t0 + 400.0, index=1000 + 320 * 10)
        late = await asyncio.wait_for(anext(bridge.audio_in()), 2)
        assert late.pts == pytest.approx(chunks[0].pts + 0.4, abs=0.01) and bridge.stats.audio_in_reanchors == 1
    finally:
        await page.close()
        await bridge.close()


def test_page_clock_keeps_the_shortest_round_trip_and_forgets_a_previous_page():
    pc = PageClock()
    assert pc.offset_ns is None and pc.to_page_ms(1_000_000_000) == 1000.0
    a = pc.ping(0)
    b = pc.ping(10_000_000)
    # a: 40 ms round trip, the page answered late (its reading 30 ms after our midpoint)
    pc.pong(a, page_epoch_ms=20.0 + 5.0 + 30.0, received_epoch_ns=40_000_000)
    # b: 1 ms round trip: offset 5 ms
    pc.pong(b, page_epoch_ms=10.5 + 5.0, received_epoch_ns=11_000_000)
    assert pc.offset_ns == 5_000_000 and pc.best.rtt_ns == 1_000_000
    assert pc.pong(999, 1.0, 2) is None  # an unknown ping
    assert pc.from_page_ms(pc.to_page_ms(123_456_789)) == 123_456_789
    pc.reset()
    assert pc.offset_ns is None


def test_media_clock_is_monotonic_and_keeps_an_epoch_origin():
    c = MediaClock()
    origin = time.time() - 12.5
    c.set_origin_epoch(origin)
    assert c.origin_epoch == pytest.approx(origin, abs=1e-6)
    assert c.media_time() == pytest.approx(12.5, abs=0.05)
    assert c.media_of_epoch_ns(c.epoch_ns(3.25)) == pytest.approx(3.25, abs=1e-9)
    ts = [c.now_ns() for _ in range(1000)]
    assert all(b >= a for a, b in itertools.pairwise(ts))


def test_sample_stamper_counts_samples_and_reanchors_only_on_a_glitch():
    s = SampleStamper(tolerance_s=0.04)
    p0 = s.stamp(0, 16000, 10.0, 320)
    p1 = s.stamp(320, 16000, 10.031, 320)  # 11 ms of measurement jitter: ignored
    assert (p0, p1) == (10.0, 0.02 + 10.0) and s.reanchors == 0
    p2 = s.stamp(640, 16000, 9.5, 320)  # the clock says earlier: re-anchored, but not backwards
    assert p2 == pytest.approx(p1 + 0.02) and s.reanchors == 1
    s.reset()
    assert s.stamp(0, 16000, 3.0, 320) == 3.0 and s.reanchors == 1  # a new page: a first anchor, not a glitch
