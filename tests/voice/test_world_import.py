"""pyworld loads where setuptools (and its pkg_resources) is gone, and leaves no stand-in behind."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import importlib.abc, sys

class NoSetuptools(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pkg_resources" or name.split(".")[0] == "setuptools":
            raise ImportError(f"{name} is not installed here")

sys.meta_path.insert(0, NoSetuptools())
from selfcast.voice.world import pyworld
import numpy as np

x = np.sin(np.arange(16000) * 2 * np.pi * 150 / 16000)
f0, _ = pyworld.dio(x, 16000, frame_period=10.0)
print(pyworld.__version__, round(float(np.median(f0[f0 > 0]))), sys.modules.get("pkg_resources"))
"""


def test_pyworld_imports_without_setuptools() -> None:
    out = subprocess.run([sys.executable, "-W", "error", "-c", _PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    version, f0_hz, leftover = out.stdout.split()
    assert version.count(".") >= 2
    assert abs(int(f0_hz) - 150) <= 3  # the real vocoder answered
    assert leftover == "None"  # the stand-in pkg_resources is gone again
