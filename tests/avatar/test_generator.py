"""Avatars from a prompt: three styles, prompt cues honoured, deterministic, remote endpoint."""

from __future__ import annotations

import base64
import io
import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from PIL import Image

from selfcast.avatar import landmarks as L
from selfcast.avatar.generator import generate_avatar
from selfcast.avatar.prompt import COLOURS, HAIR, SKIN, parse_prompt
from selfcast.avatar.rig import RIG_CHUNK, load_rig
from selfcast.errors import BadInput, Unavailable
from selfcast.settings import AvatarSettings


@pytest.mark.parametrize("style", ["cinematic", "anime", "3d"])
@pytest.mark.slow
def test_every_style_gives_a_detectable_head_and_shoulders_portrait_with_its_rig(style, generated_pngs, landmarker):
    png = generated_pngs[style]
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG" and im.size == (768, 960) and RIG_CHUNK in im.text
    rgb = np.asarray(im.convert("RGB"))
    faces = landmarker.detect(rgb)
    assert len(faces) == 1
    lm = faces[0].landmarks
    # centred, upright, a face that fills about a third of the picture height
    assert abs(lm[:, 0].mean() - 384) < 40
    assert 0.25 < L.face_size(lm) / 960 < 0.45
    rig = load_rig(png)
    assert np.linalg.norm(rig.landmarks[:, :2] - lm[:, :2], axis=1).mean() < 0.02 * L.face_size(lm)


@pytest.mark.slow
def test_same_prompt_and_seed_give_the_same_portrait_and_seeds_differ():
    a = generate_avatar("a man with a beard", style="3d", seed=1)
    b = generate_avatar("a man with a beard", style="3d", seed=1)
    c = generate_avatar("a man with a beard", style="3d", seed=2)
    assert a == b and a != c


def test_prompt_cues_are_parsed():
    t = parse_prompt("an elderly woman with long red hair, glasses, dark skin and a green sweater, "
                     "blue eyes, space background", 0)
    assert t.female and t.age > 60 and t.hair_length == "long" and t.glasses
    assert t.hair == HAIR["red"] and t.skin == SKIN["dark"] and t.clothes == COLOURS["green"]
    assert t.bg_top == (12, 14, 36)
    m = parse_prompt("45-year-old man, bald, bearded, white shirt", 0)
    assert not m.female and m.age == 45 and m.hair_length == "bald" and m.beard == "beard"
    assert m.clothes == COLOURS["white"]


def _region_mean(rgb, lm, idx, dy=0.0):
    pts = lm[idx, :2]
    x, y = pts.mean(0)
    y += dy
    return rgb[int(y) - 4:int(y) + 4, int(x) - 4:int(x) + 4].reshape(-1, 3).mean(0)


@pytest.mark.slow
def test_prompt_cues_show_in_the_pixels(landmarker):
    red = np.asarray(Image.open(io.BytesIO(generate_avatar("woman with long red hair and a blue sweater",
                                                           style="cinematic", seed=3))).convert("RGB"))
    lm = landmarker.detect(red)[0].landmarks
    fh = L.face_size(lm)
    hair = _region_mean(red, lm, [L.FOREHEAD], dy=-0.25 * fh)
    assert hair[0] > hair[1] * 1.4 and hair[0] > hair[2] * 1.4, hair  # red hair above the forehead
    body = red[900:950, 300:460].reshape(-1, 3).mean(0)
    assert body[2] > body[0] * 1.3, body  # blue clothes
    blond = np.asarray(Image.open(io.BytesIO(generate_avatar("man with short blonde hair and glasses",
                                                             style="3d", seed=3))).convert("RGB"))
    lm = landmarker.detect(blond)[0].landmarks
    hair = _region_mean(blond, lm, [L.FOREHEAD], dy=-0.25 * L.face_size(lm))
    assert hair.mean() > 120 and hair[0] > hair[2], hair


def test_unknown_style_and_overlong_prompt_are_bad_input():
    with pytest.raises(BadInput, match="style"):
        generate_avatar("x", style="cartoon")
    with pytest.raises(BadInput, match="2000"):
        generate_avatar("x" * 2001)


class _Images(BaseHTTPRequestHandler):
    png = b""
    seen: typing.ClassVar[list] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Images.seen.append((self.path, self.headers.get("Authorization"), body))
        if body.get("prompt", "").startswith("fail"):
            self.send_response(500)
            self.end_headers()
            return
        data = json.dumps({"data": [{"b64_json": base64.b64encode(_Images.png).decode()}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def test_configured_images_endpoint_is_used(astronaut_png):
    _Images.png = astronaut_png.read_bytes()
    _Images.seen = []
    srv = HTTPServer(("127.0.0.1", 0), _Images)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        settings = AvatarSettings(images_url=f"http://127.0.0.1:{srv.server_port}/v1", images_key="sk-test",
                                  images_model="img-1")
        png = generate_avatar("a pilot", style="anime", settings=settings)
        path, auth, body = _Images.seen[0]
        assert path == "/v1/images/generations" and auth == "Bearer sk-test"
        assert body["model"] == "img-1" and "a pilot" in body["prompt"] and "anime" in body["prompt"]
        rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert rgb.shape == (512, 512, 3)
        with pytest.raises(Unavailable, match="500"):
            generate_avatar("fail please", settings=settings)
    finally:
        srv.shutdown()
        srv.server_close()
    with pytest.raises(Unavailable, match="not reachable"):
        generate_avatar("x", settings=AvatarSettings(images_url=f"http://127.0.0.1:{srv.server_port}/v1"))
