"""RGB frames into the bridge's wire formats: JPEG (the default) or raw I420 planes.

JPEG is about a tenth of I420's bytes, which is what costs the page time (Chromium spends ~20 ms
of CPU receiving each 1.4 MB WebSocket message). The encoder swaps RGB to OpenCV's BGR with
``cvtColor`` into a buffer it keeps (a numpy ``[..., ::-1]`` copy of a 720p frame took 7.5 ms,
more than the encoding itself, ~3 ms); one encoder per thread.
"""

from __future__ import annotations

import io

import numpy as np

from selfcast.media.frames import EncodedPicture

try:  # optional: the avatar extra brings OpenCV; Pillow (a core dependency) does the job otherwise
    import cv2
except ImportError:  # pragma: no cover - depends on the environment
    cv2 = None  # type: ignore[assignment]

_Y = np.array([0.257, 0.504, 0.098], dtype=np.float32)
_U = np.array([-0.148, -0.291, 0.439], dtype=np.float32)
_V = np.array([0.439, -0.368, -0.071], dtype=np.float32)


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
        if cv2 is None:
            out = io.BytesIO()
            from PIL import Image

            Image.fromarray(rgb).save(out, format="JPEG", quality=self.quality)
            return EncodedPicture("jpeg", out.getvalue(), w, h)
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
    if cv2 is not None:
        return EncodedPicture("i420", cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2YUV_I420).tobytes(), w, h)
    f = img.astype(np.float32)
    y = f @ _Y + 16.5
    small = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    u = small @ _U + 128.5
    v = small @ _V + 128.5
    out = np.empty(w * h * 3 // 2, dtype=np.uint8)
    out[: w * h] = np.clip(y, 0, 255).reshape(-1)
    out[w * h : w * h * 5 // 4] = np.clip(u, 0, 255).reshape(-1)
    out[w * h * 5 // 4 :] = np.clip(v, 0, 255).reshape(-1)
    return EncodedPicture("i420", out.tobytes(), w, h)
