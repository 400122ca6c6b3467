"""End to end, all real: the server, a worker process per session, the bot's headless Chromium in
the built-in room, and a second headless Chromium participant who speaks and listens.

Measured at the participant: the spoken answer (recognised text, cloned voice), the mouth on the
received frames against the received sound, the time from the first word of an interruption to
the bot's silence, and that the bot yields the floor to it (no answer to "Stop, stop. Wait a
moment please."); then the leave, the notes through the API and through the skill."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.live import harness as H

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[2]
SKILL = REPO / "skills" / "pikastream-video-meeting" / "scripts" / "pikastreaming_videomeeting.py"
LONG_TEXT = ("Lighthouse is a small weather station dashboard. Sensors on the roof send readings every minute, and "
             "the dashboard shows temperature, wind and rain for the last week. Maria leads the project and reviews "
             "every change. Right now the rain gauge is being fixed, and next comes a dark mode for the dashboard.")

if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)


def reader_sample(tmp: Path) -> Path:
    """≥ 10 s of one LibriVox reader (public domain), the voice to clone."""
    import soundfile as sf

    from tests.testdata import librivox_dir

    clips = sorted(librivox_dir().glob("*.wav"))
    pcm, sr = [], None
    for c in clips:
        x, sr = sf.read(c, dtype="float32")
        pcm.append(x if x.ndim == 1 else x.mean(axis=1))
    out = tmp / "reader.wav"
    sf.write(out, np.concatenate(pcm), sr)
    return out


def speaker_similarity(a: np.ndarray, a_rate: int, b: np.ndarray, b_rate: int) -> float:
    from resemblyzer import VoiceEncoder, preprocess_wav

    enc = VoiceEncoder("cpu", verbose=False)
    ea = enc.embed_utterance(preprocess_wav(a, source_sr=a_rate))
    eb = enc.embed_utterance(preprocess_wav(b, source_sr=b_rate))
    return float(np.dot(ea, eb) / (np.linalg.norm(ea) * np.linalg.norm(eb)))


def skill(args: list[str], srv: H.LiveServer, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """Runs the skill script as an agent would, in the agent's workspace ``cwd`` (it writes ``life/`` there)."""
    env = {**os.environ, "PIKA_API_BASE_URL": srv.base_url, "PIKA_DEV_KEY": srv.key}
    return subprocess.run([sys.executable, str(SKILL), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


async def test_participant_gets_a_lip_synced_answer_in_the_cloned_voice_then_interrupts_and_sends_it_away(
        tmp_path, record_property):
    from playwright.async_api import async_playwright

    from selfcast.brain.workspace import build_card
    from selfcast.live.demo.launch import send_avatar

    srv = H.LiveServer(tmp_path / "data").start()
    http = srv.http()
    sid = None
    try:
        sample = reader_sample(tmp_path)
        r = http.post("/v1/voices", files={"audio": ("reader.wav", sample.read_bytes(), "audio/wav")},
                      data={"name": "reader"})
        assert r.status_code == 201, r.text
        voice_id = r.json()["voice_id"]
        card = build_card(H.fixture_workspace(tmp_path), subject="Ada").text
        t_join = time.monotonic()
        room = await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt=card, voice_id=voice_id,
                                       wait_ready_s=120)
        sid = room.session_id
        join_s = time.monotonic() - t_join
        s = http.get(f"/v1/sessions/{sid}").json()
        assert s["status"] == "ready" and s["video_connected"] and s["meeting_bot_connected"], s

        async with async_playwright() as pw:
            alice = H.Listener(pw, CHROMIUM)
            await alice.open(room.guest_url, "Alice")
            await alice.wait_bot_tile()
            await alice.start_recording()
            # One-to-one: the avatar greets the first person who arrives.
            greet = await alice.wait_level(True, timeout=60)
            await H.wait_bot_said(http, sid, 1, timeout=60)  # the whole greeting, pauses and all
            await alice.wait_level(False, hold_s=0.5, timeout=30)

            t_q, dur_q = await alice.say(H.voice_question("When is the first public release planned?"))
            q_end = t_q + dur_q - 0.3  # the synthesised question ends with 0.3 s of silence
            answered = await H.wait_bot_said(http, sid, 2, timeout=120)
            await alice.wait_level(False, hold_s=0.5, timeout=30)
            answer_end = time.time()

            # An agent makes the avatar say something long (the MCP `speak` path); Alice talks over it.
            cmd = http.post(f"/v1/sessions/{sid}/commands", json={"type": "speak", "text": LONG_TEXT}).json()
            long_start = await alice.wait_level(True, timeout=90)
            await asyncio.sleep(max(0.0, long_start + 2.5 - time.time()))
            t_stop, _ = await alice.say(H.voice_question("Stop, stop. Wait a moment please."))
            said = {}
            for _ in range(120):
                said = http.get(f"/v1/sessions/{sid}/commands/{cmd['id']}").json()
                if said["done"]:
                    break
                await asyncio.sleep(0.25)
            await asyncio.sleep(3.0)
            rec, frames = await alice.fetch()
            presented_fps = alice.presented_fps
            await alice.close()
        if os.environ.get("SELFCAST_LIVE_DUMP"):  # keep the received media for offline analysis
            import pickle

            with open(os.environ["SELFCAST_LIVE_DUMP"], "wb") as fh:
                pickle.dump({"rec": rec, "frames": frames, "events": H.events(http, sid), "q_end": q_end,
                             "t_stop": t_stop, "greet": greet, "t_q": t_q, "long_start": long_start}, fh)
        assert said["done"] and said["result"]["interrupted"], said
        assert said["result"]["heard"].startswith("Lighthouse is") and "dark mode" not in said["result"]["heard"]

        evs = H.events(http, sid)
        # ---- the answer: recognised text, cloned voice, lips in sync with it
        # the answer: all the bot's sound between the question and the bot's line ending; a pause of
        # over a second inside it is a stall a listener hears (a starved voice), not a phrase pause
        pieces = [sp for sp in rec.voiced_spans(q_end, min_gap_s=0.25) if sp[0] < answer_end]
        assert pieces, "no answer was heard after the question"
        a0, a1 = pieces[0][0], pieces[-1][1]
        longest_pause = max([b[0] - a[1] for a, b in itertools.pairwise(pieces)], default=0.0)
        answer = rec.segment(a0 - 0.05, a1 + 0.2)
        text = H.transcribe(answer, rec.rate)
        latency_ms = (a0 - q_end) * 1000
        mt, mar = H.mouth_series([f for f in frames if a0 - 0.5 <= f[0] <= a1 + 0.5])
        sync = H.lip_sync(rec, mt, mar, a0, a1)
        # While Alice asks, the bot is silent: its received mouth must be closed then and open
        # while it answers (a frozen or random mouth fails this, whatever the correlation says).
        _, mar_quiet = H.mouth_series([f for f in frames if t_q <= f[0] <= a0 - 0.15])
        mar_talk = mar[(mt >= a0) & (mt <= a1)]
        fps = (len(frames) - 1) / (frames[-1][0] - frames[0][0])

        from selfcast.settings import Settings
        from selfcast.voice import get_tts

        default = np.concatenate([c.pcm for c in get_tts(Settings().voice.default_voice_id, Settings()).stream(
            "The first public release is planned for Friday.")])
        import soundfile as sf

        ref, ref_sr = sf.read(sample, dtype="float32")
        sim_clone = speaker_similarity(answer, rec.rate, ref, ref_sr)
        sim_default = speaker_similarity(default, 22050, ref, ref_sr)

        # ---- the barge-in: a voice over the bot pauses it (its epoch is where the sound was cut,
        # the pause's time when it paused first); the bot's sound stops within 300 ms of that
        # decision and within 400 ms of the interruption's first sound (t_stop: the voice's ~50 ms
        # lead-in makes this conservative)
        barge = [e for e in evs if e["kind"] == "barge_in" and e["data"].get("epoch", 0) >= t_stop]
        assert barge, f"no barge-in recorded after the interruption; events: {[e['kind'] for e in evs]}"
        cut = barge[0]["data"]["epoch"]
        cutting = [sp for sp in rec.voiced_spans(cut - 1.5, min_gap_s=0.25) if sp[0] <= cut]
        assert cutting, "the bot was not heard speaking when it was interrupted"
        stop_ms = (cutting[-1][1] - cut) * 1000
        from_onset_ms = (cutting[-1][1] - t_stop) * 1000
        # ... and it yields the floor: "Stop, stop. Wait a moment please." gets no answer
        yielded = [e["data"] for e in evs if e["kind"] == "yielded"]
        after_cut = rec.voiced_spans(cutting[-1][1] + 0.05, min_gap_s=0.25)

        figures = {"join_s": round(join_s, 2), "greeting_at": round(greet - rec.first_epoch, 2),
                   "answer_text": text, "answer_line": answered["text"], "answer_s": round(a1 - a0, 2),
                   "answer_longest_pause_s": round(longest_pause, 2), "voice_to_voice_ms": round(latency_ms), "lip_corr": round(sync.corr, 3),
                   "lip_offset_ms": round(sync.offset_ms), "lip_frames": sync.frames, "received_fps": round(fps, 1),
                   "sim_clone": round(sim_clone, 3), "sim_default": round(sim_default, 3),
                   "stop_ms": round(stop_ms), "stop_from_interruption_onset_ms": round(from_onset_ms),
                   "paused_first": barge[0]["data"].get("paused_first"), "yielded": yielded,
                   "bot_voiced_after_the_cut": [[round(a - cut, 2), round(b - cut, 2)] for a, b in after_cut],
                   "mar_quiet_p90": round(float(np.percentile(mar_quiet, 90)), 3) if len(mar_quiet) else None,
                   "mar_talk_p90": round(float(np.percentile(mar_talk, 90)), 3) if len(mar_talk) else None}
        record_property("live_e2e", json.dumps(figures))
        print("LIVE E2E", json.dumps(figures))
        assert "friday" in text.lower(), figures
        assert sim_clone > sim_default, figures
        assert len(mar_quiet) >= 10 and len(mar_talk) >= 10, figures
        assert np.percentile(mar_talk, 90) - np.percentile(mar_quiet, 90) > 0.06, figures
        assert stop_ms <= 300, figures
        assert yielded and yielded[0]["kind"] == "floor" and not after_cut, figures

        # ---- leave; the notes are served by the API and by the skill
        r = http.post(f"/v1/sessions/{sid}/leave")
        assert r.status_code == 200, r.text
        s = H.wait_status(http, sid, ("closed",), 60)
        assert s["status"] == "closed", (s, srv.worker_log(sid))
        notes = http.get(f"/v1/sessions/{sid}/notes").json()
        assert notes["ready"], notes
        assert "release" in json.dumps(notes).lower()
        out = skill(["notes", "--session-id", sid, "--format", "markdown"], srv, tmp_path)
        assert out.returncode == 0, out.stderr
        assert "notes" in out.stdout.lower() and "release" in out.stdout.lower()
        segs = http.get(f"/v1/sessions/{sid}/transcript").json()
        assert any(seg["speaker"] == "Ada (AI)" for seg in segs) and any(seg["speaker"] != "Ada (AI)" for seg in segs)

        # Lip sync at the receiver last, so everything above is checked on any machine. A participant
        # that could not even present 24 fps shares two cores with the bot and has no real-time
        # figures to give: the offset is then reported as an expected failure, with the figures.
        # The same for the floor: from the interrupter's first sound to the bot's silence at the
        # receiver includes the participant's capture and playout, which a starved machine stretches.
        # The answer's flow too: a pause of over 1.2 s inside it is a voice starved of CPU.
        lips_in_step = sync.corr >= 0.6 and abs(round(sync.offset_ms)) <= 40
        yields_in_time = from_onset_ms <= 400
        flows = longest_pause <= 1.2
        if not (lips_in_step and yields_in_time and flows) and presented_fps < 24:
            pytest.xfail(f"the participant presented {presented_fps:.1f} fps: starved machine, figures {figures}")
        assert lips_in_step, figures
        assert yields_in_time, figures
        assert flows, figures
    except BaseException:
        if sid:
            print(srv.worker_log(sid))
            print("TRANSCRIPT", json.dumps(http.get(f"/v1/sessions/{sid}/transcript").json(), indent=1))
            print("EVENTS", json.dumps([(e["kind"], e["at"][11:23], e["data"]) for e in H.events(http, sid)
                                        if e["kind"] != "media_stats"], indent=1)[:6000])
        raise
    finally:
        http.close()
        srv.stop()


async def test_skill_joins_the_built_in_room_with_image_cloned_voice_and_card_then_status_leave_notes(tmp_path):
    from selfcast.live.demo.launch import demo_assets
    from selfcast.meeting.room import RoomRegistry

    srv = H.LiveServer(tmp_path / "data").start()
    try:
        rooms = RoomRegistry.from_settings(srv.settings)
        room = rooms.create_room("skill")
        url = rooms.invite_url(srv.base_url, room.id, rooms.mint_token(room.id, name="Ada (AI)"))
        from selfcast.brain.workspace import build_card

        card = tmp_path / "card.md"
        card.write_text(build_card(H.fixture_workspace(tmp_path), subject="Ada").text)
        out = skill(["clone-voice", "--audio", str(reader_sample(tmp_path)), "--name", "reader"], srv, tmp_path)
        assert out.returncode == 0, out.stderr
        assert (tmp_path / "life" / "voice_id.txt").read_text().strip().startswith("voice_reader_")
        voice_id = json.loads(out.stdout.strip().splitlines()[-1])["voice_id"]
        out = skill(["join", "--meet-url", url, "--bot-name", "Ada (AI)", "--image", str(demo_assets() / "avatar.jpg"),
                     "--voice-id", voice_id, "--system-prompt-file", str(card), "--timeout-sec", "120"], srv, tmp_path)
        assert out.returncode == 0, out.stderr + out.stdout
        sid = json.loads(out.stdout.strip().splitlines()[-1])["session_id"]
        out = skill(["status", "--session-id", sid], srv, tmp_path)
        assert out.returncode == 0 and '"ready"' in out.stdout, out.stdout + out.stderr
        out = skill(["leave", "--session-id", sid], srv, tmp_path)
        assert out.returncode == 0, out.stderr
        out = skill(["notes", "--session-id", sid, "--wait-sec", "60"], srv, tmp_path)
        assert out.returncode == 0, out.stderr + srv.worker_log(sid)
        assert "summary" in out.stdout.lower()
    finally:
        srv.stop()


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(p.name))
    return out + [g for c in out for g in _children(c)]


def _chromium_of(worker_pid: int) -> int:
    for pid in _children(worker_pid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"chromium" in cmd and b"--type=" not in cmd:
            return pid
    raise AssertionError("the worker has no Chromium")


async def test_faults_brain_down_browser_crash_and_killed_worker(tmp_path):
    """Brain provider down → a spoken apology and the session goes on; the bot's browser crashes →
    back in the room within 10 s; the worker is killed → the platform ends the session and charges
    the active minutes only."""
    from playwright.async_api import async_playwright

    from selfcast.live.demo.launch import send_avatar

    srv = H.LiveServer(tmp_path / "data", brain={"provider": "openai", "url": "http://127.0.0.1:9/v1", "key": "x",
                                                 "model": "m", "timeout_s": 3.0}).start()
    http = srv.http()
    sid = None
    try:
        room = await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt="You are Ada.",
                                       wait_ready_s=120)
        sid = room.session_id
        async with async_playwright() as pw:
            alice = H.Listener(pw, CHROMIUM)
            await alice.open(room.guest_url, "Alice")
            await alice.wait_bot_tile()
            await alice.start_recording()
            await alice.wait_level(True, timeout=60)  # greeting
            await alice.wait_level(False, hold_s=1.2, timeout=30)
            t_q, dur = await alice.say(H.voice_question("Ada, when is the release?"))
            await alice.wait_level(True, timeout=90)
            await alice.wait_level(False, hold_s=1.2, timeout=60)
            rec, _ = await alice.fetch()
            spans = rec.voiced_spans(t_q + dur - 0.3)
            assert spans
            heard = H.transcribe(rec.segment(spans[0][0] - 0.05, spans[0][1] + 0.2), rec.rate).lower()
            assert "sorry" in heard, heard
            assert any(e["kind"] == "brain_error" for e in H.events(http, sid))
            assert http.get(f"/v1/sessions/{sid}").json()["status"] == "ready"

            # the bot's browser dies
            worker = http.get(f"/v1/sessions/{sid}").json()
            from selfcast.platform.store import Store
            from selfcast.platform.store.models import MeetingSession

            store = Store.open(srv.settings.db_url)
            with store.read() as db:
                wpid = db.get(MeetingSession, sid).worker_pid
            os.kill(_chromium_of(wpid), signal.SIGKILL)
            t_kill = time.monotonic()
            back = None
            while time.monotonic() - t_kill < 30:
                kinds = [e["kind"] for e in H.events(http, sid)]
                if "bot_crashed" in kinds and kinds.count("media_flowing") >= 2:
                    back = time.monotonic() - t_kill
                    break
                await asyncio.sleep(0.25)
            assert back is not None and back <= 10.0, (back, kinds, srv.worker_log(sid))
            await alice.close()

        # the worker is killed: the platform notices and charges only the active minutes
        charged_before = http.get(f"/v1/sessions/{sid}").json()["minutes_charged"]
        with store.read() as db:
            wpid = db.get(MeetingSession, sid).worker_pid
        os.kill(wpid, signal.SIGKILL)
        s = H.wait_status(http, sid, ("error", "closed"), 40)
        assert s["status"] == "error" and s["error_code"] == "worker_lost", s
        assert s["minutes_charged"] <= charged_before + 1
        bal = http.get("/v1/balance").json()
        assert bal.get("held", 0) in (0, 0.0), bal
        store.dispose()
        del worker
    except BaseException:
        if sid:
            print(srv.worker_log(sid))
        raise
    finally:
        http.close()
        srv.stop()


async def test_out_of_credits_warns_first_then_says_goodbye_and_leaves(tmp_path):
    """800 credits at 700 a minute: the first minute is charged at `ready` (the balance is low, so
    the avatar warns the meeting), the second cannot be: it says goodbye and leaves; the session
    ends `closed` with exactly one minute charged and the hold released."""
    from playwright.async_api import async_playwright

    from selfcast.live.demo.launch import send_avatar

    srv = H.LiveServer(tmp_path / "data", pricing={"credits_per_minute": 700.0},
                       live={"greeting": "off"}).start()
    http = srv.http()
    sid = None
    try:
        room = await asyncio.to_thread(send_avatar, srv.settings, srv.key, system_prompt="You are Ada.",
                                       wait_ready_s=120)
        sid = room.session_id
        async with async_playwright() as pw:
            alice = H.Listener(pw, CHROMIUM)
            await alice.open(room.guest_url, "Alice")
            await alice.wait_bot_tile()
            s = H.wait_status(http, sid, ("closed", "error"), 120)
            await alice.close()
        assert s["status"] == "closed", (s, srv.worker_log(sid))
        said = [seg["text"] for seg in http.get(f"/v1/sessions/{sid}/transcript").json() if seg["speaker"] == "Ada (AI)"]
        kinds = [e["kind"] for e in H.events(http, sid)]
        assert "low_balance_warning" in kinds and "out_of_credits" in kinds, kinds
        assert any("credit left" in t for t in said) and any("run out of credits" in t for t in said), said
        assert said.index(next(t for t in said if "credit left" in t)) < said.index(
            next(t for t in said if "run out of credits" in t))
        assert s["minutes_charged"] == 1
        bal = http.get("/v1/balance").json()
        assert bal["held"] == 0 and bal["total"] == 100, bal
    except BaseException:
        if sid:
            print(srv.worker_log(sid))
        raise
    finally:
        http.close()
        srv.stop()
