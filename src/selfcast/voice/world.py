"""The WORLD vocoder (pyworld), imported without setuptools at run time.

pyworld 0.3.x reads its own version with ``pkg_resources.get_distribution`` when imported, and
``pkg_resources`` left setuptools in version 81. Rather than pin an old setuptools for every
install, pyworld's import sees a stand-in ``pkg_resources`` that answers that one call from
``importlib.metadata``; the stand-in leaves ``sys.modules`` as soon as pyworld is loaded, so
nothing else ever sees it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import types
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Distribution:
    version: str


def _get_distribution(name: str) -> _Distribution:
    return _Distribution(importlib.metadata.version(name))


def load_pyworld() -> types.ModuleType:
    """pyworld, loaded once; the real ``pkg_resources`` is used when something already loaded it."""
    if "pyworld" in sys.modules or sys.modules.get("pkg_resources") is not None:
        return importlib.import_module("pyworld")
    shim = types.ModuleType("pkg_resources", "get_distribution only, for pyworld (selfcast.voice.world)")
    shim.get_distribution = _get_distribution  # type: ignore[attr-defined]
    sys.modules["pkg_resources"] = shim
    try:
        return importlib.import_module("pyworld")
    finally:
        if sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]


pyworld = load_pyworld()
