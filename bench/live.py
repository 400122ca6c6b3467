"""Live sessions measured at the participant: join time, voice-to-voice latency, lip-sync offset and
drift, received fps, CPU per session, and how many sessions this machine holds at >= 25 fps.

    .venv/bin/python bench/live.py                 # everything, ~15 min (10-minute drift run)
    .venv/bin/python bench/live.py --drift-min 2 --questions 6 --max-sessions 3
    .venv/bin/python bench/live.py --skip conversation,capacity --sessions 4   # N sessions share the LLM

The brain is the configured one (the embedded LLM by default: the server process is the node and
holds the one model every session's worker talks to); each reply says who answered it ("llm", or
"extractive" when the model missed its first-sentence deadline).

All real: the server with its local executor (a worker process per session), the bot's Chromium
in the built-in room, a headless Chromium participant who asks synthesised questions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live import harness as H

QUESTIONS = [
    "Ada, when is the first public release planned?",
    "Who leads the project?",
    "Where does the dashboard run?",
    "What are you fixing right now?",
    "Who built the wind sensor driver?",
    "How are the charts drawn?",
    "What is next for the dashboard?",
    "Where are the readings kept?",
]
LONG_TEXT = ("Lighthouse is a small weather station dashboard. Sensors on the roof send readings every minute, "
             "and the dashboard shows temperature, wind and rain for the last week. The first public release is "
             "planned for Friday. Maria leads the project and reviews every change, and Tom built the wind sensor "
             "driver. Right now the rain gauge reports double the real rainfall after midnight, so that is being "
             "fixed. Next comes a dark mode for the dashboard.")


FPS_OK = 24.5  # "25 fps": a 20 s window of a 25 fps stream measures 24.95-25.05


def pct(xs: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(xs), p)) if xs else float("nan")


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process and all its descendants (the worker and its Chromium)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_descendants(pid)]:
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def _descendants(pid: int) -> list[int]:
    kids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(p.name))
            except (OSError, IndexError, ValueError):
                continue
    return kids + [g for k in kids for g in _descendants(k)]


def worker_pid(srv: H.LiveServer, sid: str) -> int:
    from selfcast.platform.store import Store
    from selfcast.platform.store.models import MeetingSession

    store = Store.open(srv.settings.db_url)
    try:
        with store.read() as db:
            return int(db.get(MeetingSession, sid).worker_pid)
    finally:
        store.dispose()


def received_fps(frames: list, presented: float, s0: dict, s1: dict) -> dict:
    """Frames WebRTC decoded per second and its freezes (the stream), frames the participant's page
    presented per second, and how many of them the page managed to copy out for lip analysis."""
    out = {"presented": round(presented, 1),
           "analysed": round((len(frames) - 1) / (frames[-1][0] - frames[0][0]), 1) if len(frames) > 1 else 0}
    v0, v1 = s0.get("video"), s1.get("video")
    if v0 and v1 and v1["t"] > v0["t"]:
        dt = (v1["t"] - v0["t"]) / 1000
        out |= {"decoded": round((v1["framesDecoded"] - v0["framesDecoded"]) / dt, 1),
                "freezes": v1["freezeCount"] - v0["freezeCount"], "freeze_s": round(v1["freezesS"] - v0["freezesS"], 2),
                "size": f"{v1['width']}x{v1['height']}"}
    return out


async def conversation(srv: H.LiveServer, args, out: dict) -> None:
    from playwright.async_api import async_playwright

    from selfcast.brain.workspace import build_card
    from selfcast.live.demo.launch import send_avatar

    tmp = Path(tempfile.mkdtemp())
    card = build_card(H.fixture_workspace(tmp), subject="Ada").text
    t0 = time.monotonic()
    room = await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt=card, wait_ready_s=120)
    out["join_to_ready_s"] = [round(time.monotonic() - t0, 2)]
    http = srv.http()
    sid = room.session_id
    async with async_playwright() as pw:
        alice = H.Listener(pw, "/usr/bin/chromium")
        await alice.open(room.guest_url, "Alice")
        await alice.wait_bot_tile()
        await alice.start_recording()
        v0 = await alice.inbound_stats()
        # the bot's lines reach the transcript when they end: a question goes in after the whole
        # greeting or answer, not in a pause inside it (silence alone misled earlier runs)
        said_n = 0
        try:
            await alice.wait_level(True, timeout=60)
            await H.wait_bot_said(http, sid, 1, timeout=60)
            said_n = 1
            await alice.wait_level(False, hold_s=0.3, timeout=30)
        except TimeoutError:
            pass
        lat, playout = [], []
        for q in QUESTIONS[: args.questions]:
            p0 = await alice.inbound_stats()
            t_q, dur = await alice.say(H.espeak(q))
            q_end = t_q + dur - 0.3
            try:
                a0 = await alice.wait_level(True, timeout=60)
                await H.wait_bot_said(http, sid, said_n + 1, timeout=60)
                said_n += 1
                await alice.wait_level(False, hold_s=0.3, timeout=60)
            except TimeoutError:
                continue
            if a0 > q_end:  # sound before the question ended is the tail of an earlier answer
                lat.append((a0 - q_end) * 1000)
            playout.append(H.mean_playout_ms(p0, await alice.inbound_stats()))
        rec, frames = await alice.fetch()
        replies = [e["data"] for e in H.events(http, sid) if e["kind"] == "reply"]
        out["voice_to_voice_ms"] = {"n": len(lat), "p50": round(pct(lat, 50)), "p95": round(pct(lat, 95)),
                                    "all": [round(x) for x in lat],
                                    # the session's own clock: end of turn -> reply decided -> first sample due
                                    "bot_side": [{k: r.get(k) for k in ("decide_ms", "first_audio_ms", "silence_ms",
                                                                        "decode_ms", "cue", "brain")} for r in replies]}
        said = http.get(f"/v1/sessions/{sid}/transcript").json()
        said = said.get("lines", said.get("segments", [])) if isinstance(said, dict) else said
        out["answers"] = [ln.get("text") for ln in said if isinstance(ln, dict) and ln.get("bot")]
        out["brain_prefill_s"] = _prefill(http, sid)
        spans = rec.voiced_spans(rec.first_epoch)
        mt, mar = H.mouth_series(frames)
        syncs = [H.lip_sync(rec, mt, mar, a, b) for a, b in spans if b - a > 1.0]
        out["lip_sync_answers"] = [{"corr": round(s.corr, 3), "offset_ms": round(s.offset_ms)} for s in syncs]
        out["playout_ms_per_question"] = playout  # the receiver's mean jitter-buffer delays
        out["received_fps"] = received_fps(frames, alice.presented_fps, v0, await alice.inbound_stats())

        out["barge_in"] = await barge_ins(alice, http, sid, args.barge_ins)

        # drift: the avatar talks for args.drift_min minutes (agent `speak` commands back to back)
        wpid = worker_pid(srv, sid)
        cpu0, w0 = proc_cpu_s(wpid), time.monotonic()
        windows = []
        end = time.monotonic() + args.drift_min * 60
        await alice.start_recording()
        v0 = await alice.inbound_stats()
        while time.monotonic() < end:
            r = http.post(f"/v1/sessions/{sid}/commands", json={"type": "speak", "text": LONG_TEXT}).json()
            while not http.get(f"/v1/sessions/{sid}/commands/{r['id']}").json()["done"]:
                await asyncio.sleep(0.5)
            rec, frames = await alice.fetch()
            v1 = await alice.inbound_stats()
            await alice.start_recording()
            mt, mar = H.mouth_series(frames)
            sp = rec.voiced_spans(rec.first_epoch, min_gap_s=2.0)
            if sp:
                s = H.lip_sync(rec, mt, mar, sp[0][0], sp[-1][1])
                windows.append({"t_min": round((time.monotonic() - w0) / 60, 2), "corr": round(s.corr, 3),
                                "offset_ms": round(s.offset_ms), "fps": received_fps(frames, alice.presented_fps, v0, v1)})
                print("  drift window", windows[-1], flush=True)
            v0 = v1
        wall = time.monotonic() - w0
        out["cpu_per_session_talking"] = round((proc_cpu_s(wpid) - cpu0) / wall, 2)
        offs = [w["offset_ms"] for w in windows]
        out["drift"] = {"minutes": round(wall / 60, 1), "windows": windows,
                        "offset_first_ms": offs[0] if offs else None, "offset_last_ms": offs[-1] if offs else None,
                        "drift_ms": (offs[-1] - offs[0]) if len(offs) > 1 else None,
                        "offset_median_ms": statistics.median(offs) if offs else None}
        await alice.close()
    http.post(f"/v1/sessions/{sid}/leave")
    H.wait_status(http, sid, ("closed", "error"), 60)
    http.close()


def _first_sound(pcm: np.ndarray, rate: int = 48000, threshold: float = 0.02) -> float:
    """Seconds from a clip's start to its first sound (the synthesised voice's lead-in)."""
    above = np.flatnonzero(np.abs(pcm) > threshold)
    return float(above[0]) / rate if above.size else 0.0


async def barge_ins(alice, http, sid: str, n: int) -> dict:
    """Talk over the bot while it reads a long text: a person taking the floor (silence expected
    within 400 ms of their first sound, and no answer after), and a backchannel (the bot goes on)."""
    floor = H.voice_question("Wait, sorry, let me stop you there.")
    lead = _first_sound(floor)
    stops, answered = [], []
    for _ in range(n):
        cmd = http.post(f"/v1/sessions/{sid}/commands", json={"type": "speak", "text": LONG_TEXT}).json()
        start = await alice.wait_level(True, timeout=90)
        await asyncio.sleep(max(0.0, start + 2.5 - time.time()))
        await alice.start_recording()
        t_say, dur = await alice.say(floor)
        onset = t_say + lead
        for _ in range(120):
            if http.get(f"/v1/sessions/{sid}/commands/{cmd['id']}").json()["done"]:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(4.0)
        rec, _ = await alice.fetch()
        spans = rec.voiced_spans(onset - 2.0, min_gap_s=0.25)
        before = [sp for sp in spans if sp[0] <= onset]
        if before:
            stops.append(round((before[-1][1] - onset) * 1000))
        after = [sp for sp in spans if sp[0] > t_say + dur + 0.2]
        answered.append(round(sum(b - a for a, b in after), 2))  # seconds the bot spoke after the interruption
        await asyncio.sleep(1.0)
    # a backchannel over the bot: it should not lose the floor
    cmd = http.post(f"/v1/sessions/{sid}/commands", json={"type": "speak", "text": LONG_TEXT}).json()
    start = await alice.wait_level(True, timeout=90)
    await asyncio.sleep(max(0.0, start + 2.5 - time.time()))
    await alice.say(H.voice_question("Mm-hm."))
    result: dict = {}
    for _ in range(240):
        result = http.get(f"/v1/sessions/{sid}/commands/{cmd['id']}").json()
        if result["done"]:
            break
        await asyncio.sleep(0.25)
    heard = (result.get("result") or {}).get("heard", "")
    return {"n": len(stops), "first_word_to_silence_ms": stops,
            "p50_ms": round(pct(stops, 50)) if stops else None, "max_ms": max(stops) if stops else None,
            "spoke_after_interruption_s": answered,
            "backchannel_kept_the_floor": "dark mode" in heard.lower(), "backchannel_heard_tail": heard[-60:]}


def _prefill(http, sid: str) -> dict | None:
    """The card's prefill: how long it took and when it finished (seconds from the session's start)."""
    return next((e["data"] for e in H.events(http, sid) if e["kind"] == "brain_prepared"), None)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MB (shared model pages counted once per process)."""
    total = 0
    for p in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


async def sessions_at_once(srv: H.LiveServer, args, out: dict) -> None:
    """N sessions live at once, one participant each; questions asked in turn across them, so each
    is answered while the others render and listen. The model is shared (one server, a slot each)."""
    import os

    from playwright.async_api import async_playwright

    from selfcast.brain.workspace import build_card
    from selfcast.live.demo.launch import send_avatar

    tmp = Path(tempfile.mkdtemp())
    card = build_card(H.fixture_workspace(tmp), subject="Ada").text
    http = srv.http()
    rooms, joins = [], []
    for _ in range(args.sessions):
        t0 = time.monotonic()
        rooms.append(await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt=card, wait_ready_s=180))
        joins.append(round(time.monotonic() - t0, 2))
    lat: list[float] = []
    per_session: list[list[int]] = [[] for _ in rooms]
    async with async_playwright() as pw:
        people = []
        for i, room in enumerate(rooms):
            p = H.Listener(pw, "/usr/bin/chromium")
            await p.open(room.guest_url, f"Guest{i}")
            await p.wait_bot_tile()
            people.append(p)
        await asyncio.sleep(6)  # greetings over
        pids = [worker_pid(srv, r.session_id) for r in rooms]
        c_self, c_w, t0 = proc_cpu_s(os.getpid()), sum(proc_cpu_s(p) for p in pids), time.monotonic()
        for k in range(args.multi_questions):
            for i, p in enumerate(people):
                q = QUESTIONS[(k + i) % len(QUESTIONS)]
                t_q, dur = await p.say(H.espeak(q))
                q_end = t_q + dur - 0.3
                try:
                    a0 = await p.wait_level(True, timeout=60)
                    await p.wait_level(False, hold_s=1.2, timeout=60)
                except TimeoutError:
                    continue
                if a0 > q_end:
                    lat.append((a0 - q_end) * 1000)
                    per_session[i].append(round((a0 - q_end) * 1000))
        wall = time.monotonic() - t0
        out[f"sessions_{args.sessions}"] = {
            "join_to_ready_s": joins,
            "voice_to_voice_ms": {"n": len(lat), "p50": round(pct(lat, 50)), "p95": round(pct(lat, 95)),
                                  "per_session": per_session},
            "brain": [r["data"].get("brain") for rm in rooms for r in H.events(http, rm.session_id) if r["kind"] == "reply"],
            "node_cpu_cores": {"server_and_model": round((proc_cpu_s(os.getpid()) - c_self) / wall, 2),
                               "workers_and_browsers": round((sum(proc_cpu_s(p) for p in pids) - c_w) / wall, 2)},
            "node_rss_mb": {"server_and_model": rss_mb(os.getpid()), "workers_and_browsers": sum(rss_mb(p) for p in pids)},
            "prefill_s": [_prefill(http, r.session_id) for r in rooms],
        }
        print("  sessions at once", json.dumps(out[f"sessions_{args.sessions}"]), flush=True)
        for p in people:
            await p.close()
    for r in rooms:
        http.post(f"/v1/sessions/{r.session_id}/leave")
    for r in rooms:
        H.wait_status(http, r.session_id, ("closed", "error"), 60)
    http.close()


async def capacity(srv: H.LiveServer, args, out: dict) -> None:
    """1..N idle sessions at once (each in its own room): fps the bot writes, CPU per session."""
    from selfcast.live.demo.launch import send_avatar

    http = srv.http()
    results = []
    sids: list[str] = []
    try:
        for n in range(1, args.max_sessions + 1):
            t0 = time.monotonic()
            room = await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt="You are Ada.",
                                           wait_ready_s=180)
            join = time.monotonic() - t0
            sids.append(room.session_id)
            pids = [worker_pid(srv, s) for s in sids]
            await asyncio.sleep(8)
            c0, t0 = sum(proc_cpu_s(p) for p in pids), time.monotonic()
            await asyncio.sleep(args.window_s)
            cpu = (sum(proc_cpu_s(p) for p in pids) - c0) / (time.monotonic() - t0)
            fps = []
            for s in sids:
                st = [e for e in H.events(http, s) if e["kind"] == "media_stats"]
                fps.append(st[-1]["data"].get("fps_written", 0.0) if st else 0.0)
            results.append({"sessions": n, "join_s": round(join, 2), "fps_written_min": round(min(fps), 1),
                            "fps_written": [round(f, 1) for f in fps], "cpu_cores": round(cpu, 2),
                            "cpu_per_session": round(cpu / n, 2)})
            print("  capacity", results[-1], flush=True)
            out.setdefault("join_to_ready_s", []).append(round(join, 2))
            if min(fps) < FPS_OK:
                break
    finally:
        for s in sids:
            http.post(f"/v1/sessions/{s}/leave")
        for s in sids:
            H.wait_status(http, s, ("closed", "error"), 60)
        http.close()
    out["capacity"] = results
    ok = [r["sessions"] for r in results if r["fps_written_min"] >= FPS_OK]
    out["sessions_at_25fps"] = max(ok) if ok else 0


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=8)
    ap.add_argument("--drift-min", type=float, default=10.0)
    ap.add_argument("--max-sessions", type=int, default=4)
    ap.add_argument("--window-s", type=float, default=20.0)
    ap.add_argument("--sessions", type=int, default=4, help="sessions at once sharing the model (0: skip)")
    ap.add_argument("--barge-ins", type=int, default=3, help="interruptions measured in the conversation")
    ap.add_argument("--multi-questions", type=int, default=3, help="questions per session when several run at once")
    ap.add_argument("--skip", default="", help="comma list: conversation,capacity")
    args = ap.parse_args()
    out: dict = {}
    import os

    out["machine"] = f"{os.cpu_count()} cores, no GPU; load average at start {os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory() as tmp:
        # credits for an hour of sessions (the demo's 800 ran out in a 10-minute drift run)
        srv = H.LiveServer(Path(tmp) / "data", pricing={"starter_credits": 100_000}).start()
        try:
            if "conversation" not in args.skip:
                await conversation(srv, args, out)
            if "capacity" not in args.skip:
                await capacity(srv, args, out)
            if args.sessions > 0:
                await sessions_at_once(srv, args, out)
        finally:
            srv.stop()
            joins = out.get("join_to_ready_s", [])
            if joins:
                out["join_to_ready_p50_s"] = round(statistics.median(joins), 2)
            print(json.dumps(out, indent=2))  # what was measured, even when a later part failed


if __name__ == "__main__":
    asyncio.run(main())
