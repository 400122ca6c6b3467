"""Every route of pika-contract.md, over real HTTP against a running uvicorn server, called the way
the original ``pikastreaming_videomeeting.py`` calls it (``Authorization: DevKey``, multipart
field names, JSON bodies), reading responses the way it reads them (``body.get("data", body)``).

Live sessions run in real ``selfcast worker`` processes; since the live engine is another
layer's, these workers run the scripted session runner in ``tests/platform/scripted_runner.py``.
``test_session_create_without_a_browser_*`` covers a machine that cannot join meetings.
"""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import func, select

from selfcast.platform.store.models import Hold, LedgerEntry, MeetingSession
from tests.platform.helpers import LiveServer, auth, wait_for

SKILL_HEADERS = {"X-Skill-Name": "pikastream-video-meeting", "X-Sender-Id": "u1", "X-Message-Channel": "cli"}


def read(resp: requests.Response) -> dict:
    body = resp.json()
    return body.get("data", body)


def png_bytes(size: int = 256) -> bytes:
    img = Image.new("RGB", (size, size), (200, 160, 140))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def join(
    live: LiveServer, key: str, url: str = "https://meet.google.com/abc-defg-hij", **fields: str
) -> requests.Response:
    data = {
        "voice_id": "English_radiant_girl",
        "meet_url": url,
        "bot_name": "Ada's AI",
        "platform": "google_meet",
        **fields,
    }
    return requests.post(
        f"{live.url}/proxy/realtime/meeting-session",
        headers={**auth(key), **SKILL_HEADERS},
        files={"image": ("avatar.png", png_bytes(), "image/png")},
        data=data,
        timeout=30,
    )


def test_balance_products_and_topup_routes(live_server: LiveServer) -> None:
    _, key = live_server.account("dev@x.io", credits=42)
    r = requests.get(f"{live_server.url}/developer/balance", headers=auth(key), timeout=10)
    assert r.status_code == 200
    assert read(r)["balance"] == 42 and r.json()["balance"] == 42  # both shapes
    assert isinstance(read(r)["balance"], int)

    r = requests.get(f"{live_server.url}/developer/topup/products", headers=auth(key), timeout=10)
    items = read(r)["products"]
    assert [p["numCredits"] for p in items] == [800, 2000, 4000, 8000, 15000]
    first = items[0]
    assert first["productId"] == first["product_id"] and first["name"] == first["title"]  # both generations
    assert first["num_credits"] == 800

    r = requests.post(
        f"{live_server.url}/developer/topup",
        headers=auth(key),
        json={"product_id": first["productId"]},
        timeout=10,
    )
    assert r.status_code == 200
    url = read(r)["checkout_url"]
    assert url.startswith(f"{live_server.url}/topup/tu_")
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "selfcast credits approve" in page.text


def test_bearer_scheme_is_accepted_too(live_server: LiveServer) -> None:
    _, key = live_server.account("b@x.io", credits=5)
    r = requests.get(f"{live_server.url}/developer/balance", headers=auth(key, "Bearer"), timeout=10)
    assert r.status_code == 200 and read(r)["balance"] == 5


@pytest.mark.slow
def test_meeting_session_lifecycle_status_and_leave(live_server: LiveServer) -> None:
    _, key = live_server.account("s@x.io", credits=500)
    r = join(live_server, key)
    assert r.status_code == 200, r.text
    sid = read(r)["session_id"]
    assert r.json()["session_id"] == sid and sid.startswith("sess_")

    seen: list[str] = []

    def poll() -> dict | None:
        d = read(
            requests.get(f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
        )
        if not seen or seen[-1] != d["status"]:
            seen.append(d["status"])
        return d if d["status"] == "ready" or d["status"] in ("error", "closed") else None

    d = wait_for(poll, timeout=30, every=0.05)
    assert d["status"] == "ready", d
    assert (
        d["video_worker_connected"] is True
        and d["video_connected"] is True
        and d["meeting_bot_connected"] is True
    )
    assert seen[-1] == "ready" and set(seen) <= {"created", "joining", "waiting_room", "ready"}
    with live_server.platform.store.read() as db:  # the hold is on while the session runs
        assert db.scalar(select(Hold.status).where(Hold.session_id == sid)) == "open"
        assert (
            db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.session_id == sid)) == 1
        )

    r = requests.delete(f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
    assert r.status_code == 200 and read(r)["closed"] is True
    final = wait_for(
        lambda: (lambda d: d if d["status"] == "closed" else None)(
            read(
                requests.get(f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
            )
        ),
        timeout=20,
    )
    assert final["error_message"] == "" and final["video_connected"] is False

    bal = read(requests.get(f"{live_server.url}/developer/balance", headers=auth(key), timeout=10))["balance"]
    assert bal == 472  # 500 - one started minute (27.5), floor; the rest of the hold returned
    with live_server.platform.store.read() as db:
        assert db.scalar(select(Hold.status).where(Hold.session_id == sid)) == "released"
    # the v1 API shows what the worker stored
    tr = requests.get(f"{live_server.url}/v1/sessions/{sid}/transcript", headers=auth(key), timeout=10).json()
    assert [s["text"] for s in tr] == ["Shall we start?", "Yes, let's go."]
    notes = requests.get(f"{live_server.url}/v1/sessions/{sid}/notes", headers=auth(key), timeout=10).json()
    assert notes["ready"] and notes["markdown"].startswith("# Notes")
    # leaving twice is fine (2xx) and charges nothing more
    assert (
        requests.delete(
            f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10
        ).status_code
        == 200
    )


def test_join_below_minimum_balance_is_402_and_writes_nothing(live_server: LiveServer) -> None:
    _, key = live_server.account("poor@x.io", credits=99)
    r = join(live_server, key)
    assert r.status_code == 402 and r.json()["code"] == "insufficient_credits"
    assert "top up" in r.json()["message"]
    with live_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(MeetingSession)) == 0
        assert db.scalar(select(func.count()).select_from(Hold)) == 0


def test_session_error_reaches_the_status_route_with_code_and_message(live_server: LiveServer) -> None:
    _, key = live_server.account("e@x.io", credits=200)
    sid = read(join(live_server, key, url="https://meet.google.com/abc-defg-hij?script=fail_join"))[
        "session_id"
    ]
    d = wait_for(
        lambda: (lambda d: d if d["status"] == "error" else None)(
            read(
                requests.get(f"{live_server.url}/proxy/realtime/session/{sid}", headers=auth(key), timeout=10)
            )
        ),
        timeout=20,
    )
    assert d["error_code"] == "platform_denied" and "denied" in d["error_message"]
    assert (
        read(requests.get(f"{live_server.url}/developer/balance", headers=auth(key), timeout=10))["balance"]
        == 200
    )  # never ready: nothing charged


@pytest.mark.slow
def test_image_generation_route_returns_openai_images_shape(sqlite_server: LiveServer) -> None:
    live_server = sqlite_server
    _, key = live_server.account("img@x.io")
    r = requests.post(
        f"{live_server.url}/proxy/openai/v1/images/generations",
        headers={
            **auth(key),
            "Content-Type": "application/json",
            "X-Generation-Type": "image",
            "X-Model": "gpt-image-1-mini",
        },
        json={
            "model": "gpt-image-1-mini",
            "prompt": "a friendly portrait",
            "size": "1024x1024",
            "n": 1,
            "quality": "medium",
            "output_format": "png",
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    img = Image.open(io.BytesIO(base64.b64decode(r.json()["data"][0]["b64_json"])))
    assert img.format == "PNG" and img.size == (1024, 1024)


def reader_sample(librivox_dir, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    """~25 s of one LibriVox reader (the five clips joined), enough for a voice clone."""
    import numpy as np
    import soundfile as sf

    parts = [sf.read(str(p), dtype="float32")[0] for p in sorted(librivox_dir.glob("*.wav"))]
    gap = np.zeros(4000, dtype="float32")
    out = tmp_path / "reader.wav"
    sf.write(str(out), np.concatenate([x for p in parts for x in (p, gap)]), 16000)
    return out


@pytest.mark.slow
def test_minimax_upload_and_voice_clone_routes(sqlite_server: LiveServer, librivox_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    live_server = sqlite_server
    _, key = live_server.account("voice@x.io")
    with open(reader_sample(librivox_dir, tmp_path), "rb") as fh:
        r = requests.post(
            f"{live_server.url}/proxy/minimax/v1/files/upload",
            headers=auth(key),
            files={"file": ("reader.wav", fh, "audio/wav")},
            data={"purpose": "voice_clone"},
            timeout=60,
        )
    r.raise_for_status()
    body = r.json()
    assert body["base_resp"]["status_code"] == 0
    file_id = body["file"]["file_id"]
    voice_id = f"voice_ada_{time.strftime('%Y%m%d%H%M%S')}"
    r = requests.post(
        f"{live_server.url}/proxy/minimax/v1/voice_clone",
        headers={**auth(key), "Content-Type": "application/json"},
        json={
            "file_id": file_id,
            "voice_id": voice_id,
            "model": "speech-2.8-hd",
            "need_noise_reduction": False,
            "need_volume_normalization": False,
        },
        timeout=300,
    )
    assert r.status_code == 200, r.text
    assert r.json()["base_resp"]["status_code"] == 0
    voices = requests.get(f"{live_server.url}/v1/voices", headers=auth(key), timeout=10).json()
    assert [v["voice_id"] for v in voices] == [voice_id]


def test_session_create_without_a_browser_is_a_clear_503_and_writes_nothing(
    browserless_server: LiveServer,
) -> None:
    plain_server = browserless_server
    _, key = plain_server.account("nobrowser@x.io", credits=500)
    r = join(plain_server, key)
    assert r.status_code == 503
    assert r.json()["code"] == "unavailable"
    assert "no Chromium at '/nonexistent/chromium'" in r.json()["message"] and "setup.sh" in r.json()["message"]
    with plain_server.platform.store.read() as db:
        assert db.scalar(select(func.count()).select_from(MeetingSession)) == 0
        assert db.scalar(select(func.count()).select_from(Hold)) == 0
    assert (
        read(requests.get(f"{plain_server.url}/developer/balance", headers=auth(key), timeout=10))["balance"]
        == 500
    )
