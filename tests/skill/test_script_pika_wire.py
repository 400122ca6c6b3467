"""The script against a stand-in of Pika's hosted API (see ``standin.py`` for why a stand-in).

Checks the original's wire contract end to end through real HTTP: headers, both response shapes,
both product shapes, the funding step, session polling to ready / error / timeout, --monitor,
leave, the image and voice proxy routes and the files clone-voice writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.skill.conftest import SCRIPT, SKILL_DIR, clean_env
from tests.skill.standin import PikaStandin, StandinState

KEY = "dk_" + "k" * 43
JOIN = ["join", "--meet-url", "https://meet.google.com/abc-defg-hij", "--bot-name", "Ada's AI"]


def _env(s: PikaStandin, **extra: str) -> dict[str, str]:
    return {"PIKA_DEV_KEY": KEY, "PIKA_API_BASE_URL": s.url, **extra}


@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "data-wrapped"])
def test_join_reaches_ready_with_either_response_shape(run_skill, wrap: bool, workspace: Path) -> None:
    (workspace / "card.md").write_text("Ada is a compiler engineer.\n")
    with PikaStandin(StandinState(wrap=wrap)) as s:
        r = run_skill(*JOIN, "--voice-id", "voice_ada_20260101000000", "--system-prompt", "ignored",
                      "--system-prompt-file", "card.md", "--meeting-password", "1234", env=_env(s))
    assert r.code == 0, r.stderr
    lines = r.lines
    assert lines[0] == {"status": "funded", "balance": 500}
    assert lines[1] == {"session_id": "sess_standin", "platform": "google_meet", "status": "created"}
    assert [ln["status"] for ln in lines[2:]] == ["joining", "waiting_room", "ready"]
    assert lines[-1] == {"session_id": "sess_standin", "status": "ready", "video": True, "bot": True}

    create = next(q for q in s.state.requests if q.path == "/proxy/realtime/meeting-session")
    assert create.headers["authorization"] == f"DevKey {KEY}"
    assert create.headers["x-skill-name"] == "pikastream-video-meeting"
    assert create.fields == {"voice_id": "voice_ada_20260101000000", "meet_url": "https://meet.google.com/abc-defg-hij",
                             "bot_name": "Ada's AI", "platform": "google_meet", "meeting_password": "1234",
                             "system_prompt": "Ada is a compiler engineer."}  # the file wins over --system-prompt
    filename, ctype, data = create.files["image"]
    assert (filename, ctype) == ("placeholder-avatar.jpg", "image/jpeg")
    assert data == (SKILL_DIR / "assets" / "placeholder-avatar.jpg").read_bytes()
    assert all(q.headers["authorization"] == f"DevKey {KEY}" for q in s.state.requests)


def test_default_voice_and_a_downloaded_image(run_skill) -> None:
    with PikaStandin() as s:
        r = run_skill(*JOIN, "--image", s.url + "/files/generated.png", env=_env(s))
    assert r.code == 0, r.stderr
    fetch = next(q for q in s.state.requests if q.path == "/files/generated.png")
    assert fetch.headers["authorization"] == f"DevKey {KEY}"  # the configured server may get the key ...
    create = next(q for q in s.state.requests if q.path == "/proxy/realtime/meeting-session")
    assert create.fields["voice_id"] == "English_radiant_girl"
    assert create.files["image"][1] == "image/png"
    assert "max_duration_sec" not in create.fields


def test_the_key_is_never_sent_to_another_host_serving_the_image(run_skill) -> None:
    with PikaStandin() as api, PikaStandin() as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", "localhost")  # another origin (a different port, too)
        r = run_skill(*JOIN, "--image", other + "/files/generated.png", env=_env(api))
    assert r.code == 0, r.stderr
    (fetch,) = [q for q in elsewhere.state.requests if q.path == "/files/generated.png"]
    assert "authorization" not in fetch.headers


@pytest.mark.parametrize("legacy", [False, True], ids=["productId", "product_id"])
def test_low_balance_prints_the_checkout_link_at_once_and_exits_6(run_skill, legacy: bool) -> None:
    with PikaStandin(StandinState(balance=40, legacy_products=legacy, wrap=legacy)) as s:
        t0 = time.monotonic()
        r = run_skill(*JOIN, "--no-wait-for-payment", env=_env(s))
        elapsed = time.monotonic() - t0
    assert r.code == 6
    (line,) = r.lines
    assert line["status"] == "needs_topup"
    assert line["balance"] == 40 and line["credits"] == 800 and line["product"] == "800 tokens"
    assert line["checkout_url"] == "http://checkout.example/p800"
    assert "100" in line["message"]
    assert "http://checkout.example/p800" in r.stderr
    assert elapsed < 10
    topup = next(q for q in s.state.requests if q.path == "/developer/topup")
    assert topup.json == {"product_id": "p800"}
    assert "POST /proxy/realtime/meeting-session" not in s.paths()


@pytest.mark.slow
def test_waiting_mode_shows_the_link_before_waiting_then_joins_once_paid(home: Path, workspace: Path) -> None:
    with PikaStandin(StandinState(balance=0, paid_after_polls=3)) as s:
        proc = subprocess.Popen([sys.executable, str(SCRIPT), *JOIN, "--payment-poll-sec", "0.5"],
                                env=clean_env(home, **_env(s)), cwd=workspace, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        first = json.loads(proc.stdout.readline())
        # the link is out while the script is still waiting for the payment
        assert first["status"] == "needs_topup" and first["checkout_url"].startswith("http://checkout.example/")
        assert proc.poll() is None
        rest, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = [json.loads(x) for x in rest.splitlines()]
    assert lines[0] == {"status": "funded", "balance": 1000}
    assert lines[1]["status"] == "created" and lines[-1]["status"] == "ready"


@pytest.mark.slow
def test_payment_timeout_line_and_exit_6(run_skill) -> None:
    with PikaStandin(StandinState(balance=10)) as s:
        r = run_skill(*JOIN, "--payment-timeout-sec", "1.5", "--payment-poll-sec", "0.5", env=_env(s))
    assert r.code == 6
    assert [ln["status"] for ln in r.lines] == ["needs_topup", "payment_timeout"]
    assert "Pay at http://checkout.example/" in r.lines[1]["message"]


@pytest.mark.parametrize(("fail", "says"), [("GET /developer/balance", "balance check"),
                                            ("GET /developer/topup/products", "listing top-up products"),
                                            ("POST /developer/topup", "creating the checkout")])
def test_every_funding_failure_is_exit_6_and_creates_no_session(run_skill, fail: str, says: str) -> None:
    with PikaStandin(StandinState(balance=5, fail={fail: 503})) as s:
        r = run_skill(*JOIN, "--no-wait-for-payment", env=_env(s))
    assert r.code == 6
    assert says in r.stderr and "HTTP 503" in r.stderr
    assert "POST /proxy/realtime/meeting-session" not in s.paths()


def test_a_rejected_key_is_a_funding_failure_in_join_and_http_error_elsewhere(run_skill) -> None:
    with PikaStandin() as s:
        r = run_skill(*JOIN, env=_env(s, PIKA_DEV_KEY="sk_wrong"))
        assert r.code == 6 and "HTTP 401" in r.stderr and "invalid developer key" in r.stderr
        r = run_skill("leave", "--session-id", "sess_standin", env=_env(s, PIKA_DEV_KEY="sk_wrong"))
        assert r.code == 3 and "HTTP 401" in r.stderr
    assert "sk_wrong" not in r.stderr


def test_session_error_before_ready_is_exit_4_with_the_servers_message(run_skill) -> None:
    state = StandinState(session_statuses=[{"status": "joining"}, {
        "status": "error", "error_code": "platform_denied", "error_message": "the host denied entry"}])
    with PikaStandin(state) as s:
        r = run_skill(*JOIN, env=_env(s))
    assert r.code == 4
    assert r.lines[-1] == {"session_id": "sess_standin", "status": "error", "video": False, "bot": False,
                           "error_code": "platform_denied", "error_message": "the host denied entry"}
    assert "the host denied entry" in r.stderr


def test_closed_before_ready_is_exit_4(run_skill) -> None:
    with PikaStandin(StandinState(session_statuses=[{"status": "closed"}])) as s:
        r = run_skill(*JOIN, env=_env(s))
    assert r.code == 4 and r.lines[-1]["status"] == "closed"


def test_ready_by_connections_alone_counts_as_ready(run_skill) -> None:
    state = StandinState(session_statuses=[{"status": "joining", "video_connected": True, "meeting_bot_connected": True}])
    with PikaStandin(state) as s:
        r = run_skill(*JOIN, env=_env(s))
    assert r.code == 0
    assert r.lines[-1] == {"session_id": "sess_standin", "status": "joining", "video": True, "bot": True}


@pytest.mark.slow
def test_not_ready_in_time_is_exit_5_and_says_how_to_leave(run_skill) -> None:
    with PikaStandin(StandinState(session_statuses=[{"status": "waiting_room"}])) as s:
        r = run_skill(*JOIN, "--timeout-sec", "2", env=_env(s))
    assert r.code == 5
    assert r.lines[-1]["status"] == "waiting_room"
    assert "timeout" in r.stderr and "leave --session-id sess_standin" in r.stderr
    assert len([ln for ln in r.lines if ln.get("status") == "waiting_room"]) == 1  # printed once, on change


@pytest.mark.slow
def test_monitor_reports_until_the_server_auto_leaves(run_skill) -> None:
    state = StandinState(session_statuses=[
        {"status": "ready", "video_worker_connected": True, "meeting_bot_connected": True},
        {"status": "ready", "video_worker_connected": True, "meeting_bot_connected": True},
        {"status": "leaving"}, {"status": "closed"}])
    with PikaStandin(state) as s:
        r = run_skill(*JOIN, "--monitor", "--max-duration-sec", "60", env=_env(s))
    assert r.code == 0, r.stderr
    assert [ln["status"] for ln in r.lines[2:]] == ["ready", "leaving", "closed"]
    create = next(q for q in s.state.requests if q.path == "/proxy/realtime/meeting-session")
    assert create.fields["max_duration_sec"] == "60"


@pytest.mark.slow
def test_monitor_leaves_itself_when_the_server_overstays_max_duration(run_skill) -> None:
    with PikaStandin() as s:  # this server ignores max_duration_sec: the session stays ready
        t0 = time.monotonic()
        r = run_skill(*JOIN, "--monitor", "--max-duration-sec", "1", env=_env(s))
    assert r.code == 0, r.stderr
    assert s.state.deleted == ["sess_standin"]
    assert r.lines[-1]["status"] == "closed"
    assert "leaving" in r.stderr
    assert time.monotonic() - t0 < 30


@pytest.mark.slow
def test_leave_status_and_an_unknown_session(run_skill) -> None:
    with PikaStandin(StandinState(wrap=True)) as s:
        r = run_skill("status", "--session-id", "sess_standin", env=_env(s))
        assert r.code == 0 and r.lines == [{"session_id": "sess_standin", "status": "joining", "video": False,
                                            "bot": False}]
        r = run_skill("leave", "--session-id", "sess_standin", env=_env(s))
        assert r.code == 0 and r.lines == [{"session_id": "sess_standin", "closed": True}]
        assert s.state.deleted == ["sess_standin"]
        r = run_skill("leave", "--session-id", "sess_nope", env=_env(s))
        assert r.code == 3 and "HTTP 404" in r.stderr and "no session sess_nope" in r.stderr


@pytest.mark.parametrize("answer", ["b64", "url"])
def test_generate_avatar_writes_a_png_and_prints_path_and_size(run_skill, workspace: Path, answer: str) -> None:
    with PikaStandin(StandinState(image_answer=answer)) as s:
        r = run_skill("generate-avatar", "--output", "identity/videomeeting-avatar.png", "--style", "anime",
                      "--model", "gpt-image-1", env=_env(s))
    assert r.code == 0, r.stderr
    out = workspace / "identity" / "videomeeting-avatar.png"
    assert r.lines == [{"path": "identity/videomeeting-avatar.png", "size_bytes": out.stat().st_size}]
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (64, 64)
    gen = next(q for q in s.state.requests if q.path == "/proxy/openai/v1/images/generations")
    assert gen.headers["x-generation-type"] == "image" and gen.headers["x-model"] == "gpt-image-1"
    assert gen.json["size"] == "1024x1024" and gen.json["n"] == 1 and gen.json["output_format"] == "png"
    assert gen.json["style"] == "anime" and "Anime" in gen.json["prompt"]


def test_the_legacy_video_base_url_serves_the_proxy_routes(run_skill, workspace: Path) -> None:
    with PikaStandin() as s:
        r = run_skill("generate-avatar", "--output", "a.png",
                      env={"PIKA_DEV_KEY": KEY, "PIKA_API_BASE_URL": "http://127.0.0.1:9", "PIKA_VIDEO_API_BASE_URL": s.url})
    assert r.code == 0, r.stderr
    assert (workspace / "a.png").stat().st_size > 0


def test_clone_voice_uploads_clones_and_writes_the_life_files(run_skill, workspace: Path, speech_wav: Path) -> None:
    with PikaStandin(StandinState(wrap=True)) as s:
        r = run_skill("clone-voice", "--audio", str(speech_wav), "--name", "Ada L", "--noise-reduction", env=_env(s))
    assert r.code == 0, r.stderr
    (line,) = r.lines
    assert set(line) == {"voice_id", "provider", "cloned_at", "source_audio", "retention_warning"}
    assert line["voice_id"].startswith("voice_Ada_L_") and len(line["voice_id"]) == len("voice_Ada_L_") + 14
    assert line["source_audio"] == "my voice.wav"
    assert (workspace / "life" / "voice_id.txt").read_text() == line["voice_id"]
    assert json.loads((workspace / "life" / "voice_config.json").read_text()) == line
    upload = next(q for q in s.state.requests if q.path == "/proxy/minimax/v1/files/upload")
    assert upload.fields == {"purpose": "voice_clone"}
    assert upload.files["file"][1] == "audio/wav" and upload.files["file"][2] == speech_wav.read_bytes()
    clone = next(q for q in s.state.requests if q.path == "/proxy/minimax/v1/voice_clone")
    assert clone.json["file_id"] == 4242 and clone.json["voice_id"] == line["voice_id"]
    assert clone.json["need_noise_reduction"] is True and clone.json["need_volume_normalization"] is False


@pytest.mark.slow
def test_clone_voice_converts_flac_and_resamples(run_skill, workspace: Path, speech_wav: Path) -> None:
    flac = workspace / "me.flac"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(speech_wav), str(flac)], check=True)
    with PikaStandin() as s:
        r = run_skill("clone-voice", "--audio", "me.flac", "--name", "me", "--sample-rate", "24000", env=_env(s))
    assert r.code == 0, r.stderr
    upload = next(q for q in s.state.requests if q.path == "/proxy/minimax/v1/files/upload")
    filename, ctype, data = upload.files["file"]
    assert filename == "me.wav" and ctype == "audio/wav"
    import io
    import wave
    with wave.open(io.BytesIO(data)) as w:
        assert w.getframerate() == 24000 and w.getnchannels() == 1
        assert 20 < w.getnframes() / 24000 < 30
    clone = next(q for q in s.state.requests if q.path == "/proxy/minimax/v1/voice_clone")
    assert clone.json["sample_rate"] == 24000


@pytest.mark.parametrize(("state", "says"), [(StandinState(upload_base_resp=2013), "voice upload: bad audio"),
                                             (StandinState(clone_base_resp=1004), "voice clone: clone refused")])
def test_a_minimax_base_resp_error_is_exit_3_and_writes_nothing(run_skill, workspace: Path, speech_wav: Path,
                                                                 state: StandinState, says: str) -> None:
    with PikaStandin(state) as s:
        r = run_skill("clone-voice", "--audio", str(speech_wav), "--name", "me", env=_env(s))
    assert r.code == 3 and says in r.stderr
    assert not (workspace / "life").exists()


@pytest.mark.slow
def test_notes_wait_for_the_written_notes_in_json_and_markdown(run_skill) -> None:
    with PikaStandin(StandinState(notes_ready_after=1)) as s:
        r = run_skill("notes", "--session-id", "sess_standin", env=_env(s))
        assert r.code == 0, r.stderr
        (line,) = r.lines
        assert line["session_id"] == "sess_standin" and line["status"] == "closed"
        assert line["notes"]["action_items"] == [{"owner": "Ada", "item": "write the migration guide"}]
        r = run_skill("notes", "--session-id", "sess_standin", "--format", "markdown", env=_env(s))
    assert r.code == 0
    assert r.stdout.startswith("# Notes\n") and "Ada: write the migration guide" in r.stdout


def test_notes_of_a_session_still_in_the_meeting_say_leave_first(run_skill) -> None:
    with PikaStandin(StandinState(notes_status="ready")) as s:
        r = run_skill("notes", "--session-id", "sess_standin", env=_env(s))
    assert r.code == 4 and "still in the meeting" in r.stderr and "leave --session-id sess_standin" in r.stderr


def test_notes_that_never_arrive_time_out_with_exit_5(run_skill) -> None:
    with PikaStandin(StandinState(notes_ready_after=1000)) as s:
        r = run_skill("notes", "--session-id", "sess_standin", "--wait-sec", "1", env=_env(s))
    assert r.code == 5 and "no notes for session sess_standin" in r.stderr
