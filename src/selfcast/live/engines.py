"""The engines one live session wires together, loaded from settings (embedded defaults first).

``live`` is the only layer that knows all of them; each is reached through its package's public
factory, never its internals. Loading is CPU-heavy (models, rig), so the session calls
``load_engines`` on a thread.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from selfcast.errors import Unavailable
from selfcast.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Engines:
    avatar: Any  # selfcast.avatar.stream.AvatarStream
    voice: Any  # TTSEngine: stream(text) -> Iterator[AudioChunk]
    hearing: Any  # selfcast.hearing.Hearing
    brain: Any  # Brain: reply(history, context) -> Iterator[str]
    timings: dict[str, float] = field(default_factory=dict)

    def close(self) -> None:
        for eng in (self.hearing, self.voice, self.brain):
            close = getattr(eng, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # closing is best effort
                    log.debug("engine close failed", exc_info=True)


def default_avatar_path() -> Path:
    """The portrait shipped in the package (NASA, public domain): the demo's default face."""
    from importlib import resources

    cand = Path(str(resources.files("selfcast.live"))) / "demo" / "avatar.jpg"
    if cand.exists():
        return cand
    raise Unavailable("no default avatar image is installed; pass an avatar image")


def frame_size(settings: Settings) -> tuple[int, int]:
    w = settings.live.frame_width or settings.avatar.width
    h = settings.live.frame_height or settings.avatar.height
    return int(w), int(h)


def load_avatar(settings: Settings, image: Path | None, *, seed: int = 0) -> Any:
    from selfcast.avatar.stream import AvatarStream

    path = image if image and Path(image).exists() else default_avatar_path()
    return AvatarStream(Path(path), size=frame_size(settings), fps=settings.avatar.fps, seed=seed,
                        cache_dir=settings.data_dir / "rigs")


def load_voice(settings: Settings, voice_id: str) -> Any:
    from selfcast.voice import get_tts

    return get_tts(voice_id, settings)


def load_hearing(settings: Settings, bot_name: str) -> Any:
    from selfcast.hearing import Hearing

    return Hearing(settings.hearing, bot_name=bot_name)


def load_brain(settings: Settings) -> Any:
    from selfcast.brain import get_brain

    return get_brain(settings.brain)


def load_engines(settings: Settings, *, image: Path | None, voice_id: str, bot_name: str) -> Engines:
    timings: dict[str, float] = {}

    def timed(name: str, fn, *args):
        t0 = time.perf_counter()
        try:
            out = fn(*args)
        except ImportError as exc:
            raise Unavailable(f"the {name} engine is not installed ({exc}); install selfcast[all]") from exc
        timings[name] = round(time.perf_counter() - t0, 3)
        return out

    avatar = timed("avatar", load_avatar, settings, image)
    voice = timed("voice", load_voice, settings, voice_id)
    hearing = timed("hearing", load_hearing, settings, bot_name)
    brain = timed("brain", load_brain, settings)
    return Engines(avatar, voice, hearing, brain, timings)
