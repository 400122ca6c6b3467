"""The engines one live session wires together, loaded from settings (embedded defaults first).

``live`` is the only layer that knows all of them; each is reached through its package's public
factory and used through its Protocol in ``ports``. Loading is CPU-heavy (models, rig), so the
session calls ``load_engines`` on a thread while the bot joins.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TypeVar

from selfcast.avatar.stream import AvatarStream
from selfcast.brain import get_brain
from selfcast.brain.memory import MemoryStore, Workspace, account_root, bot_slug
from selfcast.hearing import Hearing
from selfcast.live.ports import AvatarEngine, BrainEngine, HearingEngine, VoiceEngine
from selfcast.settings import Settings
from selfcast.voice import get_tts

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Engines:
    avatar: AvatarEngine
    voice: VoiceEngine
    hearing: HearingEngine
    brain: BrainEngine
    timings: dict[str, float] = field(default_factory=dict)

    def close(self) -> None:
        for name, close in (("hearing", self.hearing.close), ("brain", self.brain.close)):
            try:
                close()
            except Exception:  # closing is best effort: the session is over either way
                log.warning("closing the %s engine failed", name, exc_info=True)


def default_avatar_path() -> Path:
    """The portrait shipped in the package (NASA, public domain): the demo's default face."""
    return Path(str(resources.files("selfcast.live"))) / "demo" / "avatar.jpg"


def frame_size(settings: Settings) -> tuple[int, int]:
    w = settings.live.frame_width or settings.avatar.width
    h = settings.live.frame_height or settings.avatar.height
    return int(w), int(h)


def memory_for(settings: Settings, account_id: str, bot_name: str, *, system_prompt: str = "") -> MemoryStore:
    """One memory per account and bot name: the same self remembers its earlier meetings, those
    about the same workspace when the prompt carries a reference card."""
    return MemoryStore(account_root(settings.data_dir, account_id), bot_slug(bot_name),
                       workspace=Workspace.of_prompt(system_prompt))


def load_avatar(settings: Settings, image: Path | None) -> AvatarStream:
    """The face from ``image`` (the package's portrait when there is none) at the live frame size."""
    face = image if image is not None and Path(image).exists() else default_avatar_path()
    return AvatarStream(face, size=frame_size(settings), fps=settings.avatar.fps, cache_dir=settings.data_dir / "rigs")


def load_engines(settings: Settings, *, image: Path | None, voice_id: str, bot_name: str) -> Engines:
    timings: dict[str, float] = {}

    def timed(name: str, make: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        out = make()
        timings[name] = round(time.perf_counter() - t0, 3)
        return out

    avatar = timed("avatar", lambda: load_avatar(settings, image))
    voice = timed("voice", lambda: get_tts(voice_id, settings))
    hearing = timed("hearing", lambda: Hearing(settings.hearing, turns=settings.live.turns, bot_name=bot_name))
    brain = timed("brain", lambda: get_brain(settings.brain))
    return Engines(avatar, voice, hearing, brain, timings)
