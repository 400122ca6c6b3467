"""Parsing and inference inside the skill script, imported as a module (it is a single file)."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.skill.conftest import SCRIPT


def _load():
    spec = importlib.util.spec_from_file_location("pikastreaming_videomeeting", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


skill = _load()


def test_both_response_shapes_unwrap_to_the_same_object() -> None:
    assert skill.unwrap({"data": {"balance": 7}}) == {"balance": 7}
    assert skill.unwrap({"balance": 7}) == {"balance": 7}
    # OpenAI's images answer has a *list* under data: it must not be unwrapped into a list
    assert skill.unwrap({"data": [{"b64_json": "x"}]}) == {"data": [{"b64_json": "x"}]}


def test_both_product_shapes_pick_the_smallest_pack() -> None:
    current = [{"productId": "p2000", "name": "2,000 tokens", "numCredits": 2000},
               {"productId": "p800", "name": "800 tokens", "numCredits": 800}]
    legacy = [{"product_id": "p2000", "title": "2,000 tokens", "num_credits": 2000},
              {"product_id": "p800", "title": "800 tokens", "num_credits": 800}]
    want = {"product_id": "p800", "name": "800 tokens", "credits": 800}
    assert skill.pick_product(current) == want
    assert skill.pick_product(legacy) == want
    assert skill.pick_product([]) is None
    assert skill.pick_product([{"name": "no id"}]) is None


def test_status_line_reads_either_video_flag_and_reports_errors() -> None:
    line = skill.status_line("s1", {"status": "joining", "video_connected": True, "meeting_bot_connected": False})
    assert line == {"session_id": "s1", "status": "joining", "video": True, "bot": False}
    line = skill.status_line("s1", {"status": "ready", "video_worker_connected": True, "meeting_bot_connected": True})
    assert line["video"] and line["bot"]
    err = skill.status_line("s1", {"status": "error", "error_code": "platform_denied",
                                   "error_message": "the host denied entry"})
    assert err["error_code"] == "platform_denied"
    exc = skill.session_error(err)
    assert exc.code == 4 and "the host denied entry" in exc.message and "platform_denied" in exc.message


def _image_bytes(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                           ("GIF", "image/gif"), ("WEBP", "image/webp")])
def test_real_images_are_recognised_by_their_bytes(fmt: str, mime: str) -> None:
    assert skill.sniff_image(_image_bytes(fmt)[:16]) == mime


def test_text_is_not_an_image(tmp_path: Path) -> None:
    assert skill.sniff_image(b"hello, I am text") is None
    fake = tmp_path / "face.png"
    fake.write_text("not really a png")
    with pytest.raises(skill.SkillExit) as info:
        skill.check_image_file(fake, "--image")
    assert info.value.code == 2 and "not a JPEG, PNG" in info.value.message


def test_error_text_reads_every_error_shape() -> None:
    class R:
        def __init__(self, body, text="") -> None:
            self._body, self.text, self.reason = body, text, "Bad"

        def json(self):
            if self._body is None:
                raise ValueError
            return self._body

    assert skill.error_text(R({"error": {"code": "insufficient_credits", "message": "top up"}})) == \
        "top up (insufficient_credits)"
    assert skill.error_text(R({"detail": "Not Found"})) == "Not Found"
    assert skill.error_text(R({"detail": {"code": "bad_input", "message": "no image"}})) == "no image (bad_input)"
    assert skill.error_text(R(None, text="<html>502</html>")) == "<html>502</html>"


def test_key_comes_from_env_then_selfcast_name_then_devkey_file(tmp_path: Path, monkeypatch) -> None:
    for name in ("PIKA_DEV_KEY", "SELFCAST_DEV_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert skill.find_dev_key() == ""
    (tmp_path / ".pika").mkdir()
    (tmp_path / ".pika" / "devkey").write_text("dk_fromfile\n")
    assert skill.find_dev_key() == "dk_fromfile"
    monkeypatch.setenv("SELFCAST_DEV_KEY", "dk_selfcast")
    assert skill.find_dev_key() == "dk_selfcast"
    monkeypatch.setenv("PIKA_DEV_KEY", "dk_pika")
    assert skill.find_dev_key() == "dk_pika"


def test_base_urls_honour_pika_selfcast_and_legacy_video_names(monkeypatch) -> None:
    for name in ("PIKA_API_BASE_URL", "PIKA_VIDEO_API_BASE_URL", "SELFCAST_API_URL"):
        monkeypatch.delenv(name, raising=False)
    assert skill.api_base() == skill.proxy_base() == "http://127.0.0.1:8787"
    monkeypatch.setenv("SELFCAST_API_URL", "http://selfcast:1/")
    assert skill.api_base() == skill.proxy_base() == "http://selfcast:1"
    monkeypatch.setenv("PIKA_API_BASE_URL", "http://pika:2")
    assert skill.api_base() == skill.proxy_base() == "http://pika:2"
    monkeypatch.setenv("PIKA_VIDEO_API_BASE_URL", "http://video:3")
    assert skill.api_base() == "http://pika:2" and skill.proxy_base() == "http://video:3"
