"""Meeting bridge benchmark: glass-to-glass delay of video and audio at a receiving participant,
their offset, sustained fps, and the CPU cost of one bot browser.

A bot joins the built-in room on loopback and sends 1280×720 frames carrying a frame counter and
a tone that beeps once a second; a second headless Chromium joins as a participant, decodes the
counter of every frame it presents (requestVideoFrameCallback) and records the audio it plays.
Both run on this machine, so wall clocks agree. The run is repeated with the bridge's video hold-
back set to the offset measured in the first run, to show the compensation.

    .venv/bin/python bench/bridge.py [--seconds 12] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.meeting.helpers import (
    BITS,
    BLOCK_H,
    BLOCK_W,
    DECODE_JS,
    RECORD_FETCH_JS,
    RECORD_START_JS,
    TOP,
    Participant,
    RoomServer,
    decode_recording,
    pump_media,
    tone_wav,
)

from selfcast.meeting.bot import MeetingBot
from selfcast.settings import Settings

BOT_TILE = ".tile:not([data-self]) video"
TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(root: int) -> float:
    """utime+stime of a process and all its descendants (Chromium's browser, renderers, GPU...)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12])) / TICK
    total, todo = 0.0, [root]
    while todo:
        p = todo.pop()
        total += times.get(p, 0.0)
        todo.extend(c for c, pp in parents.items() if pp == p)
    return total


def beep_onsets(pcm: np.ndarray, rate: int) -> list[float]:
    """Start times (s from the first sample) of tone bursts after silence."""
    win = int(0.002 * rate)
    env = np.convolve(np.abs(pcm), np.ones(win) / win, mode="same")
    loud = env > 0.08
    onsets, quiet_run, need_quiet = [], 0, int(0.3 * rate)
    for i in np.flatnonzero(np.diff(loud.astype(np.int8)) == 1):
        if i - quiet_run >= need_quiet:
            onsets.append((i + 1) / rate)
        quiet_run = i
    return onsets


async def one_run(server: RoomServer, settings: Settings, seconds: float, video_delay_ms: float) -> dict:
    settings.meeting.video_delay_ms = video_delay_ms
    room = server.registry.create_room("bench")
    wav = tone_wav(Path(tempfile.mkdtemp()) / "silence.wav", 660.0, seconds=60, amp=0.0)
    recv = Participant(None, settings.meeting.chromium_path, wav)
    await recv.open(server.invite(room.id), "Receiver")
    try:
        async with MeetingBot(server.invite(room.id, name="Bot"), "Bot", settings.meeting,
                              server_base_url=server.base_url) as bot:
            assert (await bot.join(30)).ok
            page = recv.page
            await page.wait_for_function(f"document.querySelector('{BOT_TILE}') && document.querySelector('{BOT_TILE}').srcObject")
            await page.evaluate(DECODE_JS, [BOT_TILE, BITS, BLOCK_W, BLOCK_H, TOP, 1280])
            await page.evaluate(RECORD_START_JS, BOT_TILE)
            pid = bot.browser.pid
            fps = 30
            beeps = list(np.arange(1.0, seconds - 0.5, 1.0))
            warm = 3.0  # WebRTC ramps resolution up over the first seconds; measure after
            pump = asyncio.create_task(pump_media(bot, seconds, fps=fps, beeps=beeps))
            await asyncio.sleep(warm)
            cpu0, wall0, py0 = tree_cpu_seconds(pid), time.monotonic(), time.process_time()
            sched = await pump
            start = sched["start"]
            beeps = np.array(beeps)
            wall = time.monotonic() - wall0
            cpu = (tree_cpu_seconds(pid) - cpu0) / wall
            py_cpu = (time.process_time() - py0) / wall
            await asyncio.sleep(0.6)
            decoded = await page.evaluate("() => { window.__decode.stop = true; return window.__decode; }")
            rec = await page.evaluate(RECORD_FETCH_JS)
            sender = await bot.page.evaluate("window.__selfcast.senderStats()")
            dropped_py = bot.bridge.stats.frames_dropped
            origin = bot.bridge.origin
    finally:
        await recv.close()

    # Video: delay of each counter's first presentation against when it was due.
    first_seen: dict[int, float] = {}
    for f in decoded["frames"]:
        if f["n"] >= 0 and f["n"] not in first_seen:
            first_seen[f["n"]] = f["t"] / 1000.0
    vdel = [first_seen[k] - (origin + sched["pts"][k]) for k in first_seen if k / fps >= warm and k in sched["pts"]]
    shown = [k for k in first_seen if k / fps >= warm]
    span = (max(shown) - min(shown)) / fps if shown else 1.0
    # Audio: delay of each beep's onset.
    pcm, first_epoch, rrate = decode_recording(rec)
    adel = []
    for onset in beep_onsets(pcm, rrate):
        at = first_epoch + onset
        expected = origin + start + beeps
        k = int(np.argmin(np.abs(at - expected)))
        d = at - expected[k]
        if beeps[k] >= warm and -0.2 < d < 1.5:
            adel.append(d)
    sizes = decoded["sizes"]
    return {
        "video_delay_ms": 1000 * float(np.median(vdel)) if vdel else float("nan"),
        "video_delay_p90_ms": 1000 * float(np.percentile(vdel, 90)) if vdel else float("nan"),
        "audio_delay_ms": 1000 * float(np.median(adel)) if adel else float("nan"),
        "beeps": len(adel),
        "fps": len(shown) / span if span > 0 else 0.0,
        "size": max(sizes, key=sizes.get) if sizes else "?",
        "sizes": sizes,
        "sender": sender,
        "bot_cpu_cores": cpu,
        "python_cpu_cores": py_cpu,
        "dropped_late_in_python": dropped_py,
        "video_hold_ms": video_delay_ms,
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--runs", type=int, default=2, help="1 = measure only; 2 = measure, then compensate")
    args = ap.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="selfcast-bench-")))
    server = RoomServer(settings)
    server.start()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    hold = 0.0
    try:
        for i in range(args.runs):
            r = await one_run(server, settings, args.seconds, hold)
            off = r["audio_delay_ms"] - r["video_delay_ms"]
            print(
                f"run {i + 1} (compensation {r['video_hold_ms']:+.0f} ms): video {r['video_delay_ms']:.0f} ms "
                f"(p90 {r['video_delay_p90_ms']:.0f}), audio {r['audio_delay_ms']:.0f} ms ({r['beeps']} beeps), "
                f"audio-video offset {off:+.0f} ms; {r['fps']:.1f} fps at {r['size']} {r['sizes']}; "
                f"bot browser CPU {r['bot_cpu_cores']:.2f} cores, Python side (bridge + this benchmark's "
                f"frame maker + server) {r['python_cpu_cores']:.2f}; frames dropped late in Python "
                f"{r['dropped_late_in_python']}; sender {r['sender']}"
            )
            if np.isfinite(off):
                hold = r["video_hold_ms"] + off  # positive: hold video back; negative: hold audio back
    finally:
        server.stop()
    print(f"suggested SELFCAST_MEETING__VIDEO_DELAY_MS={hold:.0f}; load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    asyncio.run(main())
