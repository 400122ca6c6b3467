"""The rig: real portraits in, clear refusals for everything that is not one."""

from __future__ import annotations

import io
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from selfcast.avatar import landmarks as L
from selfcast.avatar.rig import load_rig
from selfcast.errors import BadInput, TooLarge


def _encode(rgb: np.ndarray, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_astronaut_rig_has_full_mesh_parts_pose_and_person_mask(astronaut_rig):
    rig = astronaut_rig
    assert rig.landmarks.shape == (478, 3)
    assert 95 < rig.face_size < 130  # Eileen Collins' face in the 512 px picture
    yaw, _pitch, roll = rig.head_pose
    assert abs(yaw) < 15 and abs(roll) < 10
    # lips, lids and iris are where a face has them: iris inside the eye, mouth below the nose
    for iris, up, _lo in ((L.IRIS_A, L.EYE_A_UPPER, L.EYE_A_LOWER), (L.IRIS_B, L.EYE_B_UPPER, L.EYE_B_LOWER)):
        c = rig.landmarks[iris[0], :2]
        assert rig.part(up)[:, 0].min() < c[0] < rig.part(up)[:, 0].max()
    assert rig.landmarks[13, 1] > rig.landmarks[L.NOSE_TIP, 1]
    assert rig.person_mask is not None and rig.person_mask.shape == rig.image.shape[:2]
    x, y = rig.landmarks[L.NOSE_TIP, :2].astype(int)
    assert rig.person_mask[y, x] > 200 and rig.person_mask[5, 5] < 60  # face is person, corner is not
    assert rig.notes == []


def test_rig_is_cached_by_image_hash(astronaut_png, tmp_path):
    t0 = time.perf_counter()
    first = load_rig(astronaut_png, cache_dir=tmp_path)
    cold = time.perf_counter() - t0
    assert len(list(tmp_path.glob("rig-*.npz"))) == 1
    t0 = time.perf_counter()
    second = load_rig(astronaut_png.read_bytes(), cache_dir=tmp_path)
    warm = time.perf_counter() - t0
    np.testing.assert_array_equal(first.landmarks, second.landmarks)
    assert first.image_hash == second.image_hash
    assert warm < cold


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"this is plainly some text, not a picture", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),
])
def test_non_images_are_refused_with_a_clear_error(data, words):
    with pytest.raises(BadInput) as exc:
        load_rig(data)
    assert words in exc.value.message
    assert exc.value.code == "bad_input"


def test_truncated_jpeg_is_refused(astronaut_rgb):
    jpeg = _encode(astronaut_rgb, "JPEG", quality=90)
    with pytest.raises(BadInput, match="truncated or corrupt"):
        load_rig(jpeg[: len(jpeg) // 2])


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        load_rig(tmp_path / "nope.png")


def test_8000_px_portrait_is_decoded_reduced_and_rigged(astronaut_rgb):
    big = cv2.resize(astronaut_rgb, (8000, 8000), interpolation=cv2.INTER_LINEAR)
    jpeg = _encode(big, "JPEG", quality=80)
    del big
    rig = load_rig(jpeg)
    assert rig.source_size == (8000, 8000)
    assert max(rig.image.shape[:2]) <= 2048
    assert rig.face_size > 300


def test_picture_beyond_80_megapixels_is_too_large():
    im = Image.new("1", (10000, 9000))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    with pytest.raises(TooLarge, match="MP"):
        load_rig(buf.getvalue())


def test_picture_without_a_face_is_refused():
    from skimage import data

    with pytest.raises(BadInput, match="no face"):
        load_rig(_encode(data.coffee()))


def test_cartoon_smiley_is_refused_as_no_face():
    img = np.full((512, 512, 3), 235, np.uint8)
    cv2.circle(img, (256, 256), 180, (250, 210, 40), -1, cv2.LINE_AA)
    cv2.circle(img, (196, 200), 22, (30, 30, 30), -1, cv2.LINE_AA)
    cv2.circle(img, (316, 200), 22, (30, 30, 30), -1, cv2.LINE_AA)
    cv2.ellipse(img, (256, 300), (90, 50), 0, 10, 170, (30, 30, 30), 10, cv2.LINE_AA)
    with pytest.raises(BadInput, match="no face"):
        load_rig(_encode(img))


def test_grayscale_portrait_is_rigged_as_rgb(astronaut_rgb):
    gray = cv2.cvtColor(astronaut_rgb, cv2.COLOR_RGB2GRAY)
    rig = load_rig(_encode(gray))
    assert rig.image.shape == (512, 512, 3)
    assert rig.landmarks.shape == (478, 3)


def test_rgba_portrait_with_transparent_background_is_flattened_and_rigged(astronaut_rgb, astronaut_rig):
    alpha = astronaut_rig.person_mask.copy()
    rgba = np.dstack([astronaut_rgb, alpha])
    rig = load_rig(_encode(rgba))
    assert rig.image.shape == (512, 512, 3)
    # transparent corner became the studio grey, not black
    assert abs(int(rig.image[3, 3].mean()) - 204) < 12
    d = np.linalg.norm(rig.landmarks[:, :2] - astronaut_rig.landmarks[:, :2], axis=1).mean()
    assert d < 0.03 * astronaut_rig.face_size


def test_face_under_96_px_is_refused(astronaut_rgb):
    small = cv2.resize(astronaut_rgb, (300, 300), interpolation=cv2.INTER_AREA)
    with pytest.raises(BadInput, match="px across"):
        load_rig(_encode(small))


def test_several_faces_animate_the_largest_and_say_so(astronaut_rgb):
    canvas = np.full((700, 1100, 3), 200, np.uint8)
    canvas[100:612, 20:532] = astronaut_rgb
    small = cv2.resize(astronaut_rgb, (384, 384), interpolation=cv2.INTER_AREA)
    canvas[200:584, 660:1044] = small
    rig = load_rig(_encode(canvas))
    assert any("2 faces" in n and "largest" in n for n in rig.notes)
    assert rig.landmarks[L.NOSE_TIP, 0] < 532  # the big one, on the left


@pytest.mark.slow
def test_embedded_rig_is_used_only_for_the_pixels_it_was_made_for(generated_pngs):
    png = generated_pngs["cinematic"]
    rig = load_rig(png)
    assert any("embedded" in n for n in rig.notes)
    im = Image.open(io.BytesIO(png))
    rgb = np.asarray(im.convert("RGB")).copy()
    rgb[:40] = 0  # edited picture: the stored rig no longer describes it
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for k, v in im.text.items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", pnginfo=info)
    edited = load_rig(buf.getvalue())
    assert not any("embedded" in n for n in edited.notes)
    assert np.linalg.norm(edited.landmarks[:, :2] - rig.landmarks[:, :2], axis=1).mean() < 0.03 * rig.face_size
