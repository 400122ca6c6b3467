"""Shared, session-scoped avatar fixtures: rigs of the real portrait, its variants and generated
avatars of every style, and a face landmarker for re-detecting faces on rendered frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import soundfile as sf

from selfcast.avatar.generator import generate_avatar
from selfcast.avatar.landmarks import FaceLandmarker
from selfcast.avatar.rig import Rig, load_rig

PROMPTS = {
    "cinematic": "a woman in her thirties with long auburn hair and a navy sweater, office",
    "anime": "young man with short black hair and a red jacket",
    "3d": "a friendly man with glasses, short brown hair and a beard, teal shirt",
}


@pytest.fixture(scope="session")
def astronaut_rgb() -> np.ndarray:
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def rig_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rigs")


@pytest.fixture(scope="session")
def astronaut_rig(astronaut_png: Path, rig_cache: Path) -> Rig:
    return load_rig(astronaut_png, cache_dir=rig_cache)


@pytest.fixture(scope="session")
def generated_pngs() -> dict[str, bytes]:
    return {style: generate_avatar(p, style=style, seed=7) for style, p in PROMPTS.items()}


def _png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


@pytest.fixture(scope="session")
def astronaut_variants(astronaut_rgb: np.ndarray) -> dict[str, bytes]:
    """The portrait cropped, rescaled and rotated a few degrees."""
    img = astronaut_rgb
    h, w = img.shape[:2]
    cropped = img[20:380, 60:400]
    rescaled = cv2.resize(img, (int(w * 1.6), int(h * 1.6)), interpolation=cv2.INTER_CUBIC)
    m = cv2.getRotationMatrix2D((225, 125), 6.0, 1.0)
    rotated = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    return {"cropped": _png(cropped), "rescaled": _png(rescaled), "rotated": _png(rotated)}


@pytest.fixture(scope="session")
def subjects(astronaut_rig: Rig, astronaut_variants: dict[str, bytes], generated_pngs: dict[str, bytes],
             rig_cache: Path) -> dict[str, Rig]:
    out = {"astronaut": astronaut_rig}
    for name, png in astronaut_variants.items():
        out[f"astronaut-{name}"] = load_rig(png, cache_dir=rig_cache)
    for style, png in generated_pngs.items():
        out[f"generated-{style}"] = load_rig(png, cache_dir=rig_cache)
    return out


@pytest.fixture(scope="session")
def landmarker():
    with FaceLandmarker() as f:
        yield f


@pytest.fixture(scope="session")
def jfk_pcm(jfk_wav: Path) -> tuple[np.ndarray, int]:
    pcm, sr = sf.read(jfk_wav, dtype="float32")
    return pcm, sr


@pytest.fixture(scope="session")
def librivox_pcm(librivox_dir: Path) -> tuple[np.ndarray, int]:
    wavs = sorted(librivox_dir.glob("*.wav"))
    pcm, sr = sf.read(wavs[0], dtype="float32")
    if pcm.ndim == 2:
        pcm = pcm.mean(1)
    return pcm, sr
