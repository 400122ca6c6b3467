"""The rig: one portrait made animatable (its face mesh, parts, pose and person mask).

A rig is built once per picture and cached by the hash of the picture's bytes, so a live session
starts from a cache hit. Generated avatars carry their rig inside the PNG (a ``selfcast-rig`` text
chunk checked against the pixels), so drawn faces never depend on the detector finding them.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from selfcast.avatar import landmarks as L
from selfcast.errors import BadInput, TooLarge
from selfcast.media.decode_gate import MAX_PIXELS, check_pixels

MIN_FACE_PX = 96  # narrower faces have too few pixels to animate lips and lids convincingly
WORK_MAX_SIDE = 2048  # the rig keeps at most this many pixels a side; more never reaches the screen
RIG_CHUNK = "selfcast-rig"
CACHE_VERSION = 2


@dataclass(slots=True)
class Rig:
    """A portrait with its 478-point face mesh (pixels of ``image``) and what was noticed on the way."""

    image: np.ndarray  # (H, W, 3) uint8 RGB working image
    landmarks: np.ndarray  # (478, 3) float32, x/y/z in pixels of ``image``
    person_mask: np.ndarray | None  # (H, W) uint8 0..255, person vs background, or None
    image_hash: str
    source_size: tuple[int, int]  # width, height of the picture as given
    notes: list[str] = field(default_factory=list)

    @property
    def face_size(self) -> float:
        return L.face_size(self.landmarks)

    @property
    def face_width(self) -> float:
        return float(np.linalg.norm(self.landmarks[L.CHEEK_A, :2] - self.landmarks[L.CHEEK_B, :2]))

    @property
    def head_pose(self) -> tuple[float, float, float]:
        """(yaw, pitch, roll) in degrees, rough: from the eye line, nose and face oval."""
        lm = self.landmarks
        eye_a, eye_b = lm[L.IRIS_A[0], :2], lm[L.IRIS_B[0], :2]
        roll = math.degrees(math.atan2(eye_b[1] - eye_a[1], eye_b[0] - eye_a[0]))
        mid = (lm[L.CHEEK_A, :2] + lm[L.CHEEK_B, :2]) / 2
        yaw = math.degrees(math.asin(np.clip((lm[L.NOSE_TIP, 0] - mid[0]) / (self.face_width / 2), -1, 1)) * 0.5)
        fh = np.linalg.norm(lm[L.FOREHEAD, :2] - lm[L.CHIN, :2])
        rel = (lm[L.NOSE_TIP, 1] - lm[L.FOREHEAD, 1]) / max(fh, 1.0)
        pitch = (rel - 0.58) * 90.0
        return float(yaw), float(pitch), float(roll)

    def part(self, indices: list[int]) -> np.ndarray:
        return self.landmarks[indices, :2]


# ---------------------------------------------------------------------------------------------
# decoding


def read_image(image: bytes | Path | str | np.ndarray) -> tuple[np.ndarray, bytes | None, tuple[int, int], dict]:
    """Decode to RGB uint8 (≤ WORK_MAX_SIDE a side). Returns (rgb, raw bytes, source size, PNG text)."""
    from PIL import Image, ImageOps

    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.dtype != np.uint8:
            raise BadInput("image array must be uint8 of shape (H, W, 3|4) or (H, W)")
        if arr.shape[2] == 4:
            arr = _flatten_alpha(Image.fromarray(arr, "RGBA"))
        raw = None
        src = (arr.shape[1], arr.shape[0])
        return _limit(np.ascontiguousarray(arr[:, :, :3])), raw, src, {}
    if isinstance(image, str | Path):
        path = Path(image)
        if not path.is_file():
            raise BadInput(f"image file {str(path)!r} does not exist; pass a JPEG, PNG or WebP portrait")
        raw = path.read_bytes()
    elif isinstance(image, bytes | bytearray | memoryview):
        raw = bytes(image)
    else:
        raise BadInput("image must be bytes, a path or an RGB array")
    if not raw:
        raise BadInput("image is empty (0 bytes); pass a JPEG, PNG or WebP portrait")
    try:
        im = Image.open(io.BytesIO(raw))
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"image declares too many pixels; the limit is {MAX_PIXELS / 1e6:.1f} MP decoded. "
                       "Scale it down before uploading.") from exc
    except Exception as exc:
        raise BadInput("this is not an image selfcast can read; pass a JPEG, PNG or WebP portrait") from exc
    w, h = im.size
    text = dict(getattr(im, "text", {}) or {})
    if im.format == "JPEG":
        im.draft("RGB", (WORK_MAX_SIDE, WORK_MAX_SIDE))  # decode large JPEGs at reduced scale
    check_pixels(*im.size, field="image")  # what will be decoded, before a pixel is
    try:
        im.load()
    except Exception as exc:
        raise BadInput("the image file is truncated or corrupt; export it again and retry") from exc
    im = ImageOps.exif_transpose(im)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        arr = _flatten_alpha(im.convert("RGBA"))
    else:
        arr = np.asarray(im.convert("RGB"))
    return _limit(arr), raw, (w, h), text


def _flatten_alpha(im) -> np.ndarray:
    """Composite a transparent picture over a soft studio grey (a cut-out portrait keeps its edges)."""
    rgba = np.asarray(im).astype(np.float32)
    a = rgba[:, :, 3:4] / 255.0
    bg = np.array([200, 203, 208], np.float32)
    return (rgba[:, :, :3] * a + bg * (1 - a)).round().astype(np.uint8)


def _limit(arr: np.ndarray) -> np.ndarray:
    import cv2

    h, w = arr.shape[:2]
    if min(h, w) < 16:
        raise BadInput(f"image is only {w}x{h} pixels; a portrait needs a face at least {MIN_FACE_PX} px wide")
    s = WORK_MAX_SIDE / max(h, w)
    if s < 1:
        arr = cv2.resize(arr, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(arr)


def pixel_digest(rgb: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------------
# building


def load_rig(image: bytes | Path | str | np.ndarray, cache_dir: Path | None = None) -> Rig:
    """Build (or load from ``cache_dir``) the rig for a portrait.

    Raises BadInput for a non-image, a truncated file, no face or a face under 96 px across;
    TooLarge beyond 80 MP. With several faces the largest is used and ``notes`` says so.
    """
    rgb, raw, src_size, text = read_image(image)
    key = hashlib.sha256(raw if raw is not None else rgb.tobytes()).hexdigest()[:40]
    cache_path = Path(cache_dir) / f"rig-v{CACHE_VERSION}-{key}.npz" if cache_dir else None
    if cache_path and cache_path.exists():
        try:
            return _load_cached(cache_path, rgb, key, src_size)
        except Exception:
            cache_path.unlink(missing_ok=True)  # a damaged cache entry is rebuilt, never trusted
    rig = build_rig(rgb, key, src_size, text)
    if cache_path:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp, landmarks=rig.landmarks,
            person_mask=rig.person_mask if rig.person_mask is not None else np.zeros((0, 0), np.uint8),
            notes=np.array(json.dumps(rig.notes)),
        )
        tmp.replace(cache_path)
    return rig


def _load_cached(path: Path, rgb: np.ndarray, key: str, src_size: tuple[int, int]) -> Rig:
    with np.load(path) as z:
        mask = z["person_mask"]
        return Rig(rgb, z["landmarks"].astype(np.float32), mask if mask.size else None, key, src_size,
                   json.loads(str(z["notes"])))


def build_rig(rgb: np.ndarray, key: str, src_size: tuple[int, int], text: dict | None = None) -> Rig:
    notes: list[str] = []
    lm = embedded_landmarks(rgb, text or {})
    if lm is not None:
        notes.append("rig read from the picture's embedded selfcast-rig chunk")
    else:
        with L.FaceLandmarker() as finder:
            faces = finder.detect(rgb)
        if not faces:
            raise BadInput("no face found in the image; use a well-lit, front-facing portrait "
                           "where the whole face is visible")
        if len(faces) > 1:
            notes.append(f"{len(faces)} faces found; animating the largest")
        lm = faces[0].landmarks
    scale_to_src = src_size[0] / rgb.shape[1]
    width_src = L.face_size(lm) * scale_to_src  # forehead-to-chin or cheek-to-cheek, the larger
    if width_src < MIN_FACE_PX:
        raise BadInput(f"the face is only {width_src:.0f} px across; at least {MIN_FACE_PX} px is needed. "
                       "Use a closer or higher-resolution portrait.")
    mask = person_mask(rgb)
    return Rig(rgb, lm.astype(np.float32), mask, key, src_size, notes)


def embedded_landmarks(rgb: np.ndarray, text: dict) -> np.ndarray | None:
    """Landmarks from a ``selfcast-rig`` PNG chunk, only if it was written for exactly these pixels."""
    blob = text.get(RIG_CHUNK)
    if not blob:
        return None
    try:
        data = json.loads(blob)
        if data.get("pixels") != pixel_digest(rgb):
            return None
        lm = np.asarray(data["landmarks"], dtype=np.float32)
        return lm if lm.shape == (478, 3) else None
    except (ValueError, KeyError, TypeError):
        return None


def rig_chunk(rgb: np.ndarray, lm: np.ndarray) -> str:
    return json.dumps({"pixels": pixel_digest(rgb), "landmarks": np.round(lm, 2).tolist()})


def person_mask(rgb: np.ndarray) -> np.ndarray | None:
    """Person/background split from MediaPipe's bundled selfie segmentation (uint8 0..255)."""
    try:
        import mediapipe as mp

        with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
            res = seg.process(np.ascontiguousarray(rgb))
    except Exception:  # the split only refines head motion; the rig stays usable without it
        return None
    if res.segmentation_mask is None:
        return None
    return (np.clip(res.segmentation_mask, 0, 1) * 255).astype(np.uint8)
