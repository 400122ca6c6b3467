"""The pose: a handful of named controls that fully describe one frame of the face.

Motion produces poses, the renderer consumes them. Every control is linear in the renderer (one
precomputed displacement field each), which is what makes a frame cost a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(slots=True)
class Pose:
    jaw: float = 0.0  # 0 closed .. 1 wide open (lower lip and chin drop)
    spread: float = 0.0  # 0 .. 1 lips pulled wide (i, e)
    round: float = 0.0  # 0 .. 1 lips rounded and pushed forward (o, u, w)
    press: float = 0.0  # 0 .. 1 lips pressed together (m, b, p)
    smile: float = 0.0  # 0 .. 1 mouth corners up and out
    blink_a: float = 0.0  # 0 open .. 1 closed, image-left eye
    blink_b: float = 0.0  # image-right eye
    brow: float = 0.0  # -1 frown .. 1 raised
    gaze_x: float = 0.0  # -1 .. 1, image-left to image-right
    gaze_y: float = 0.0  # -1 up .. 1 down
    yaw: float = 0.0  # radians, + turns the nose to image-right
    pitch: float = 0.0  # radians, + nose down (a nod)
    roll: float = 0.0  # radians, + clockwise in the image
    tx: float = 0.0  # head shift in face heights
    ty: float = 0.0

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, n) for n in CONTROLS], dtype=np.float32)

    @property
    def mouth_open(self) -> float:
        return self.jaw


CONTROLS: tuple[str, ...] = tuple(f.name for f in fields(Pose))
