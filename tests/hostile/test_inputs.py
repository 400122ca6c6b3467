"""Hostile uploads and values: image bombs, truncated and polyglot files, wrong types, NaN and
huge numbers, control characters in names, a full disk and a world-readable data dir.

Each gets a clear 4xx (or 507 for a full disk) naming what is wrong and what to do, and nothing is
half-written (no row, no file, no ``.part`` left). On ``91fcdfd`` the 8192x8192 PNG was decoded
(~280 MB) and accepted, a bad ``sample_rate``/``size``/``output_format`` was a 500, an 81-character
``bot_name`` was accepted and refused later by the bot, a full disk was an opaque 500, and the data
dir and database were created 0755/0644.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from selfcast.platform import accounts, keys
from selfcast.platform.app import create_app
from selfcast.platform.billing import ledger
from selfcast.platform.store import Store
from selfcast.platform.store.models import Avatar, MeetingSession, Upload
from selfcast.settings import ActionQuota, QuotaSettings, Settings

MEET = "https://meet.google.com/abc-defg-hij"


# ---- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def app_settings(settings: Settings) -> Settings:
    roomy = ActionQuota(per_hour=1000, per_day=1000, unfunded_per_day=1000)
    return settings.model_copy(
        update={"quotas": QuotaSettings(avatar_generate=roomy, upload=roomy, voice_clone=roomy)}
    )


@pytest.fixture
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


def _store(c: TestClient) -> Store:
    return c.app.state.platform.store  # type: ignore[attr-defined,no-any-return]


def _key(c: TestClient, email: str = "in@x.io", credits: int = 1000) -> dict[str, str]:
    with _store(c).write() as db:
        acct = accounts.sign_up(db, email, None)
        acct.developer = True
        key = keys.create(db, acct.id, "hostile")
        if credits:
            ledger.credit(db, acct.id, credits, kind="grant")
    return {"Authorization": f"DevKey {key.secret}"}


def _count(c: TestClient, model: type) -> int:
    with _store(c).read() as db:
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _png(w: int, h: int, color: str = "white") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, format="PNG")
    return buf.getvalue()


def _declared_png(w: int, h: int) -> bytes:
    """A PNG whose header declares ``w``x``h`` but carries one tiny compressed row: a bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _wav(seconds: float, rate: int = 8000) -> bytes:
    from selfcast.media.audio_io import encode_wav

    t = np.arange(int(seconds * rate)) / rate
    return encode_wav((0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), rate)


# ---- images: bombs, truncated, polyglot, wrong type -----------------------------------------------
BOMB = _declared_png(8192, 8192)

IMAGE_CASES = [
    # (case, bytes, status, words the message must contain)
    ("8192x8192 bomb header", BOMB, 413, ["MP", "scale it down"]),
    ("100000x100000 header", _declared_png(100_000, 100_000), 413, ["MP"]),
    ("5000x5000 (over the cap, under Pillow's)", _declared_png(5000, 5000), 413, ["5000x5000", "MP"]),
    ("zero-width header", _declared_png(0, 64), 400, ["image"]),
    ("truncated PNG", _png(300, 300)[:200], 400, ["image"]),
    ("empty file", b"", 400, ["empty"]),
    ("text named .png", b"definitely not an image\n" * 10, 400, ["PNG or JPEG"]),
    ("GIF/JS polyglot", b"GIF89a/*\x00\x00*/=1;alert(document.cookie)//", 400, ["image"]),
    ("HTML named .png", b"<html><script>alert(1)</script></html>", 400, ["image"]),
]


@pytest.mark.parametrize("case,data,status,words", IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES])
def test_hostile_image_upload_is_refused_before_decoding_and_nothing_is_written(
    client: TestClient, app_settings: Settings, case: str, data: bytes, status: int, words: list[str]
) -> None:
    h = _key(client)
    r = client.post("/v1/avatars", headers=h, files={"image": ("avatar.png", data, "image/png")})
    assert r.status_code == status, (case, r.text)
    assert all(w in r.json()["message"] for w in words), (case, r.json()["message"])
    assert _count(client, Avatar) == 0
    assert _files(app_settings.data_dir / "avatars") == []


def test_png_with_a_trailing_html_payload_is_re_encoded_so_the_payload_is_not_stored(
    client: TestClient, app_settings: Settings
) -> None:
    payload = b"<script>alert(document.cookie)</script>"
    r = client.post("/v1/avatars", headers=_key(client),
                    files={"image": ("avatar.png", _png(128, 128) + payload, "image/png")})
    assert r.status_code == 201, r.text
    (stored,) = _files(app_settings.data_dir / "avatars")
    assert payload not in stored.read_bytes()
    assert Image.open(stored).size == (128, 128)


def test_bomb_png_costs_no_decoded_memory() -> None:
    """Peak RSS in a fresh process: the 8192x8192 PNG used ~280 MB on 91fcdfd; now it is refused
    from its header, so the peak does not move."""
    buf = io.BytesIO()
    Image.new("RGB", (8192, 8192)).save(buf, format="PNG")  # encoding is not checked; 195 KB
    code = (
        "import resource, sys\n"
        "from selfcast.errors import TooLarge\n"
        "from selfcast.platform.uploads import decode_image\n"
        "data = sys.stdin.buffer.read()\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n    decode_image(data); print('accepted')\n"
        "except TooLarge:\n    print('refused')\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=buf.getvalue(), capture_output=True, timeout=120)
    verdict, grew_mb = out.stdout.decode().split()
    assert verdict == "refused", out.stderr.decode()[-2000:]
    assert int(grew_mb) < 20, f"decoding the bomb grew the process by {grew_mb} MB"


def test_concurrent_decodes_wait_for_a_free_slot() -> None:
    """With every decode slot taken, a new decode waits (it neither decodes nor fails at once)."""
    from contextlib import ExitStack

    from selfcast.media.decode_gate import DECODE_SLOTS, decode_slot
    from selfcast.platform.uploads import decode_image

    png, done = _png(512, 512), threading.Event()
    with ExitStack() as held:
        for _ in range(DECODE_SLOTS):
            held.enter_context(decode_slot("test"))
        t = threading.Thread(target=lambda: (decode_image(png), done.set()), daemon=True)
        t.start()
        assert not done.wait(0.5), "a decode ran while every slot was held"
    assert done.wait(10), "the decode did not run once a slot was free"


# ---- audio: too long (declared, or hidden behind a short header), wrong type ---------------------
def _upload_audio(c: TestClient, h: dict[str, str], name: str, data: bytes):  # type: ignore[no-untyped-def]
    return c.post("/proxy/minimax/v1/files/upload", headers=h, files={"file": (name, data, "audio/mpeg")},
                  data={"purpose": "voice_clone"})


AUDIO_CASES = [
    ("11-minute WAV", lambda: _wav(11 * 60), ["min", "10 minutes"]),
    ("empty file", lambda: b"", ["empty"]),
    ("text named .mp3", lambda: b"ID3 but not really audio\n" * 40, ["audio"]),
    ("PNG named .mp3", lambda: _png(64, 64), ["audio"]),
    ("truncated WAV header", lambda: _wav(2)[:30], ["audio"]),
]


@pytest.mark.parametrize("case,make,words", AUDIO_CASES, ids=[c[0] for c in AUDIO_CASES])
def test_hostile_audio_upload_is_400_and_nothing_is_written(
    client: TestClient, app_settings: Settings, case: str, make, words: list[str]  # type: ignore[no-untyped-def]
) -> None:
    r = _upload_audio(client, _key(client), "voice.mp3", make())
    assert r.status_code == 400, (case, r.text)
    assert all(w in r.json()["message"] for w in words), (case, r.json()["message"])
    assert _count(client, Upload) == 0
    assert _files(app_settings.data_dir / "uploads") == []


def test_long_audio_is_refused_from_its_header_without_decoding(tmp_path: Path) -> None:
    from selfcast.platform.uploads import audio_duration

    p = tmp_path / "long.wav"
    p.write_bytes(_wav(60 * 60, rate=8000))  # an hour: 57.6 MB
    started = time.perf_counter()
    with pytest.raises(Exception, match=r"60\.0 min"):
        audio_duration(p)
    assert time.perf_counter() - started < 1.0  # a full decode of the hour takes seconds


def test_audio_decoding_stops_at_the_cap_when_the_header_understates_the_length(tmp_path: Path) -> None:
    """20 minutes of MP3 whose Xing header is rewritten to claim 100 frames (a few seconds)."""
    from selfcast.errors import BadInput
    from selfcast.media.audio_io import probe_audio, write_audio
    from selfcast.platform.uploads import MAX_AUDIO_S, _decode_seconds, audio_duration

    rate = 8000
    noise = np.random.default_rng(0).standard_normal(rate * 20 * 60).astype(np.float32) * 0.1
    honest = tmp_path / "honest.mp3"
    write_audio(honest, noise, rate, bitrate=8_000)
    raw = bytearray(honest.read_bytes())
    at = max(raw.find(b"Xing"), raw.find(b"Info"))
    assert at > 0 and raw[at + 7] & 1, "the encoder wrote no Xing frame count"
    raw[at + 8:at + 12] = struct.pack(">I", 100)
    lying = tmp_path / "lying.mp3"
    lying.write_bytes(bytes(raw))
    declared = probe_audio(lying).duration_s
    assert declared is not None and declared < MAX_AUDIO_S  # the header really understates it
    assert MAX_AUDIO_S < _decode_seconds(lying, "file") < MAX_AUDIO_S + 5  # stopped just past the cap
    with pytest.raises(BadInput, match=r"over 10\.0 min"):
        audio_duration(lying)


# ---- values: size, style, output_format, sample_rate ---------------------------------------------
GEN_CASES = [
    ("size word", {"size": "big"}, "size"),
    ("size int", {"size": 1024}, "size"),
    ("size huge", {"size": "99999999x99999999"}, "size"),
    ("size negative", {"size": "-5x10"}, "size"),
    ("size zero", {"size": "0x0"}, "size"),
    ("size 3-D", {"size": "64x64x64"}, "size"),
    ("output_format int", {"output_format": 5}, "output_format"),
    ("output_format list", {"output_format": ["png"]}, "output_format"),
    ("output_format unknown", {"output_format": "gif"}, "output_format"),
    ("style object", {"style": {"x": 1}}, "style"),
    ("style unknown", {"style": "oil painting"}, "style"),
    ("style control chars", {"style": "anime\x00\n"}, "style"),
]


@pytest.mark.parametrize("case,fields,field", GEN_CASES, ids=[c[0] for c in GEN_CASES])
def test_bad_generation_value_is_400_naming_the_field_before_any_work(
    client: TestClient, case: str, fields: dict, field: str
) -> None:
    started = time.perf_counter()
    r = client.post("/proxy/openai/v1/images/generations", headers=_key(client), json={"prompt": "a face", **fields})
    assert r.status_code == 400, (case, r.text)
    msg = r.json()["message"]
    assert field in msg and "use" in msg, msg  # names the field and the allowed values
    assert time.perf_counter() - started < 5  # refused before the generator ran
    assert _count(client, Avatar) == 0


SAMPLE_RATES = [
    ("word", '"fast"'), ("negative", "-1"), ("huge", "1e30"), ("NaN", "NaN"), ("Infinity", "Infinity"),
    ("list", "[16000]"), ("fraction", "16000.5"), ("bool", "true"), ("too low", "4000"), ("object", '{"hz": 1}'),
]


@pytest.mark.parametrize("case,raw", SAMPLE_RATES, ids=[c[0] for c in SAMPLE_RATES])
def test_bad_sample_rate_is_400_naming_the_allowed_range(client: TestClient, case: str, raw: str) -> None:
    from tests.testdata import jfk_wav

    h = _key(client)
    up = _upload_audio(client, h, "jfk.wav", jfk_wav().read_bytes())
    assert up.status_code == 200, up.text
    body = f'{{"file_id": {up.json()["file_id"]}, "voice_id": "hostile_voice", "sample_rate": {raw}}}'
    r = client.post("/proxy/minimax/v1/voice_clone", headers={**h, "Content-Type": "application/json"},
                    content=body)
    assert r.status_code == 400, (case, r.text)
    assert "sample_rate" in r.json()["message"] and "8000" in r.json()["message"], r.text
    assert r.json()["base_resp"]["status_code"] != 0


# ---- bot_name: one rule for the API and the bot --------------------------------------------------
BAD_NAMES = [
    ("81 characters", "n" * 81),
    ("100 characters", "n" * 100),
    ("NUL", "Bot\x00"),
    ("newline", "Bot\nHost"),
    ("bidi override", "Bot \u202etsoH"),
    ("zero-width space only", "\u200b"),
    ("spaces only", "    "),
]


@pytest.mark.parametrize("case,name", BAD_NAMES, ids=[c[0] for c in BAD_NAMES])
def test_api_refuses_the_bot_names_the_bot_refuses(client: TestClient, case: str, name: str) -> None:
    from selfcast.errors import BadInput
    from selfcast.meeting.bot import MeetingBot
    from selfcast.settings import MeetingSettings

    with pytest.raises(BadInput, match="bot_name"):
        MeetingBot(MEET, name, MeetingSettings())
    r = client.post("/proxy/realtime/meeting-session", headers=_key(client),
                    files={"image": ("a.png", _png(256, 256), "image/png")},
                    data={"meet_url": MEET, "bot_name": name, "voice_id": "English_radiant_girl"})
    assert r.status_code == 400, (case, r.text)
    assert "bot_name" in r.json()["message"]
    assert _count(client, MeetingSession) == 0


def test_an_80_character_printable_name_passes_both() -> None:
    from selfcast.botname import check_bot_name

    prefix = "Ana Lúcia – 日本語 "
    name = prefix + "x" * (80 - len(prefix))
    assert len(name) == 80 and check_bot_name(name) == name


# ---- a full disk: 507 naming the data dir, nothing half-written ----------------------------------
def _mount_tmpfs(mnt: Path) -> str:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
    return "" if done.returncode == 0 else done.stderr.decode().strip() or f"mount exited {done.returncode}"


def _in_a_user_namespace(request: pytest.FixtureRequest, why: str) -> None:
    """Not root: rerun this one test inside ``unshare -rm`` (a user and mount namespace may mount a
    tmpfs); its result is this test's result."""
    assert not os.environ.get("SELFCAST_TEST_IN_USERNS"), f"cannot mount a tmpfs even in a user namespace: {why}"
    rerun = subprocess.run(
        ["unshare", "-rm", "--", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         f"{request.node.path}::{request.node.name}"],
        env={**os.environ, "SELFCAST_TEST_IN_USERNS": "1"}, capture_output=True, timeout=300,
    )
    tail = (rerun.stdout + rerun.stderr).decode()[-3000:]
    assert rerun.returncode == 0, f"cannot mount a tmpfs here ({why}); under `unshare -rm`:\n{tail}"


def _fill(where: Path, leave: int) -> None:
    st = os.statvfs(where)
    free = st.f_bavail * st.f_frsize
    with open(where / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def test_disk_full_on_upload_and_database_is_507_naming_the_data_dir(
    tmp_path: Path, settings: Settings, request: pytest.FixtureRequest
) -> None:
    """On a real 4 MiB tmpfs filled up (mounted here as root, else inside ``unshare -rm``)."""
    full_disk = tmp_path / "small"
    full_disk.mkdir()
    why = _mount_tmpfs(full_disk)
    if why:
        _in_a_user_namespace(request, why)
        return
    try:
        _fill_and_write(full_disk, settings)
    finally:
        subprocess.run(["umount", "-l", str(full_disk)], check=False)


def _fill_and_write(full_disk: Path, settings: Settings) -> None:
    data = full_disk / "data"
    s = settings.model_copy(update={"data_dir": data})
    with TestClient(create_app(s)) as c:
        h = _key(c)
        noise = np.random.default_rng(1).integers(0, 255, (300, 300, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noise).save(buf, format="PNG")  # ~270 KB that does not compress
        _fill(full_disk, leave=64 * 1024)
        r = c.post("/v1/avatars", headers=h, files={"image": ("a.png", buf.getvalue(), "image/png")})
        assert r.status_code == 507, r.text
        assert r.json()["code"] == "disk_full" and str(data) in r.json()["message"] and "free space" in r.json()["message"]
        assert _count(c, Avatar) == 0
        assert _files(data / "avatars") == []  # no half-written PNG, no .part
        with contextlib.suppress(OSError), open(full_disk / "filler2", "wb") as f:  # every last block
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        kid = c.get("/v1/keys", headers=h).json()[0]["id"]
        r = c.delete(f"/v1/keys/{kid}", headers=h)  # a database-only write
        assert r.status_code == 507, r.text
        assert r.json()["code"] == "disk_full" and "free space" in r.json()["message"]
        assert c.get("/v1/keys", headers=h).status_code == 200  # rolled back: the key still works


# ---- a private data dir ----------------------------------------------------------------------------
def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_data_dir_is_0700_and_the_database_0600(settings: Settings) -> None:
    old = os.umask(0o022)  # the usual default: the server must not rely on a strict umask
    try:
        with TestClient(create_app(settings)) as c:
            _key(c)
    finally:
        os.umask(old)
    assert _mode(settings.data_dir) == 0o700
    db = settings.data_dir / "selfcast.db"
    assert _mode(db) == 0o600
    for extra in settings.data_dir.glob("selfcast.db-*"):
        assert _mode(extra) & 0o077 == 0, extra


def test_existing_open_data_dir_is_made_private_at_start_with_a_warning(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    d = settings.data_dir
    d.mkdir(parents=True)
    d.chmod(0o755)
    (d / "selfcast.db").write_bytes(b"")
    (d / "selfcast.db").chmod(0o644)
    (d / "avatars").mkdir(mode=0o755)
    with caplog.at_level(logging.WARNING, logger="selfcast.datadir"):
        settings.ensure_dirs()
    assert _mode(d) == 0o700 and _mode(d / "selfcast.db") == 0o600 and _mode(d / "avatars") == 0o700
    assert "made" in caplog.text and "private" in caplog.text
