"""RGB frames into the bridge's wire formats: JPEG (the default) or raw I420 planes.

JPEG is about a tenth of I420's bytes, which is what costs the page time (Chromium spends ~20 ms
of CPU receiving each 1.4 MB WebSocket message). The encoder swaps RGB to OpenCV's BGR with
``cvtColor`` into a buffer it keeps (a numpy ``[..., ::-1]`` copy of a 720p frame took 7.5 ms,
more than the encoding itself, ~3 ms); one encoder per thread.
"""

from __future__ import annotations

import cv2
import numpy as np

from selfcast.media.frames import EncodedPicture


def _check(rgb: np.ndarray) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (h, w, 3) uint8 RGB image, got {rgb.shape} {rgb.dtype}")
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ValueError("frame is empty")


class JpegEncoder:
    """RGB -> JPEG at ``quality``; keeps its BGR scratch buffer, so use one per thread."""

    def __init__(self, quality: int = 85) -> None:
        if not 1 <= quality <= 100:
            raise ValueError(f"JPEG quality {quality} is out of range; use 1-100 (85 is the default)")
        self.quality = quality
        self._bgr: np.ndarray | None = None

    def __call__(self, rgb: np.ndarray) -> EncodedPicture:
        _check(rgb)
        h, w = rgb.shape[:2]
        if self._bgr is None or self._bgr.shape != rgb.shape:
            self._bgr = np.empty_like(rgb)
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR, dst=self._bgr)
        ok, buf = cv2.imencode(".jpg", self._bgr, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        return EncodedPicture("jpeg", buf.tobytes(), w, h)


def encode_i420(rgb: np.ndarray) -> EncodedPicture:
    """RGB -> I420 (BT.601 limited range), the layout Chromium's ``VideoFrame`` takes without a
    copy; odd sizes are cropped to even, as I420 needs."""
    _check(rgb)
    h, w = rgb.shape[0] & ~1, rgb.shape[1] & ~1
    if h == 0 or w == 0:
        raise ValueError("frame is empty")
    img = rgb[:h, :w]
    return EncodedPicture("i420", cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2YUV_I420).tobytes(), w, h)
