"""Offline render: portrait + speech audio -> MP4 with the audio muxed in.

The audio is decoded in chunks and fed to the same ``AvatarStream`` the live session uses, and
frames are rendered as soon as the audio a little beyond them is known (the mouth looks ahead),
so a 30-minute recording needs no more memory than a 3-second one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selfcast.avatar.rig import Rig, load_rig
from selfcast.avatar.stream import AvatarStream
from selfcast.avatar.visemes import LOOKAHEAD_S, SMOOTH_S
from selfcast.errors import BadInput
from selfcast.media.frames import AudioChunk
from selfcast.media.video_io import Mp4Writer, iter_audio

OUT_RATE = 48_000
MAX_AUDIO_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class RenderResult:
    path: Path
    frames: int
    duration_s: float
    notes: list[str]


def render_video(image: Rig | bytes | str | Path, audio: str | Path | bytes | tuple[np.ndarray, int],
                 out: str | Path, fps: int = 25, size: tuple[int, int] = (1280, 720), seed: int = 0,
                 progress: bool | Callable[[float, float], None] = True,
                 cache_dir: Path | None = None) -> RenderResult:
    """Render the talking portrait for ``audio`` into ``out`` (MP4, H.264 + AAC 48 kHz).

    ``progress`` True shows a bar on stderr; a callable gets (seconds done, seconds total).
    Silence renders an idle face; audio shorter than one frame still yields one frame.
    """
    if fps not in (24, 25, 30, 50, 60) and not 1 <= fps <= 60:
        raise BadInput(f"fps {fps} is out of range; use 25 or 30")
    w, h = int(size[0]), int(size[1])
    if w % 2 or h % 2:
        raise BadInput(f"size {w}x{h}: width and height must be even for H.264")
    rig = image if isinstance(image, Rig) else load_rig(image, cache_dir=cache_dir)
    stream = AvatarStream(rig, size=(w, h), fps=fps, seed=seed)
    if isinstance(audio, tuple):
        pcm, in_rate = audio
        pcm = np.asarray(pcm, np.float32).reshape(-1)
        if in_rate <= 0:
            raise BadInput("audio sample rate must be positive")
        chunks = (pcm[i:i + in_rate] for i in range(0, max(len(pcm), 1), in_rate))
        total = len(pcm) / in_rate
    else:
        in_rate, total, chunks = iter_audio(audio)
    if total is not None and total > MAX_AUDIO_S:
        raise BadInput(f"audio is {total / 3600:.1f} h long; the limit is {MAX_AUDIO_S // 3600} h")
    from selfcast.media.resample import StreamResampler

    to_out = StreamResampler(in_rate, OUT_RATE) if in_rate != OUT_RATE else None
    bar = _progress(progress, total)
    ahead = LOOKAHEAD_S + SMOOTH_S + 0.02
    frame_i = 0
    pushed = 0.0
    writer = Mp4Writer(out, fps=fps, size=(w, h), sample_rate=OUT_RATE)
    canvas = stream.canvas()  # one picture buffer: each frame rewrites its face region (the writer copies it)
    try:
        for chunk in chunks:
            if not len(chunk):
                continue
            stream.push_audio(AudioChunk(chunk, in_rate, pts=pushed))
            pushed += len(chunk) / in_rate
            writer.write_audio(to_out.process(chunk) if to_out else chunk)
            while (frame_i + 1) / fps <= pushed - ahead:
                writer.write_video(stream.frame_into(frame_i / fps, canvas).rgb)
                frame_i += 1
            bar(pushed)
        if to_out:
            writer.write_audio(to_out.flush())
        n_total = max(1, math.ceil(pushed * fps - 1e-6))
        while frame_i < n_total:
            writer.write_video(stream.frame_into(frame_i / fps, canvas).rgb)
            frame_i += 1
        path = writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        bar(None)
    return RenderResult(path, frame_i, pushed, list(rig.notes))


def _progress(progress, total: float | None) -> Callable[[float | None], None]:
    if callable(progress):
        def cb(done: float | None) -> None:
            if done is not None:
                progress(done, total or done)
        return cb
    if not progress:
        return lambda done: None
    from tqdm import tqdm

    bar = tqdm(total=round(total, 1) if total else None, unit="s", desc="render", leave=False,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} s [{elapsed}<{remaining}]")
    last = [0.0]

    def update(done: float | None) -> None:
        if done is None:
            bar.close()
            return
        bar.update(done - last[0])
        last[0] = done
    return update
