"""MediaPipe face landmarks: the 478-point mesh, its named index sets and the measures built on it.

Detection runs "detect, then mesh": the full-range face detector finds every face (also small ones
in large pictures), the largest is cropped with a margin and the mesh (with iris refinement) runs
on that crop. The face-mesh model alone only finds faces that fill a good part of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

# Lips: inner contours share the corner points 78 (image left) and 308 (image right).
UPPER_INNER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LOWER_INNER = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308]
UPPER_OUTER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LOWER_OUTER = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291]
# Eyes, image-left eye first (the subject's right). Upper and lower lids share the corners.
EYE_A_UPPER = [33, 246, 161, 160, 159, 158, 157, 173, 133]
EYE_A_LOWER = [33, 7, 163, 144, 145, 153, 154, 155, 133]
EYE_B_UPPER = [263, 466, 388, 387, 386, 385, 384, 398, 362]
EYE_B_LOWER = [263, 249, 390, 373, 374, 380, 381, 382, 362]
IRIS_A = [468, 469, 470, 471, 472]
IRIS_B = [473, 474, 475, 476, 477]
BROW_A = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_B = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
FOREHEAD, CHIN, NOSE_TIP = 10, 152, 1
CHEEK_A, CHEEK_B = 234, 454
MOUTH_A, MOUTH_B = 61, 291


def face_size(lm: np.ndarray) -> float:
    """Face size in pixels: the larger of forehead-to-chin and cheek-to-cheek distances."""
    h = float(np.linalg.norm(lm[FOREHEAD, :2] - lm[CHIN, :2]))
    w = float(np.linalg.norm(lm[CHEEK_A, :2] - lm[CHEEK_B, :2]))
    return max(h, w)


def mouth_aspect_ratio(lm: np.ndarray) -> float:
    """MAR: mean inner-lip gap (82-87, 13-14, 312-317) over the inner mouth width (78-308)."""
    gaps = [np.linalg.norm(lm[a, :2] - lm[b, :2]) for a, b in ((82, 87), (13, 14), (312, 317))]
    width = np.linalg.norm(lm[78, :2] - lm[308, :2])
    return float(np.mean(gaps) / max(width, 1e-6))


def eye_aspect_ratio(lm: np.ndarray) -> float:
    """Mean lid gap over eye width for both eyes (about 0.25-0.35 open, < 0.1 closed)."""
    out = []
    for up, lo in ((EYE_A_UPPER, EYE_A_LOWER), (EYE_B_UPPER, EYE_B_LOWER)):
        gap = np.mean([np.linalg.norm(lm[u, :2] - lm[v, :2]) for u, v in zip(up[2:7], lo[2:7], strict=True)])
        width = np.linalg.norm(lm[up[0], :2] - lm[up[-1], :2])
        out.append(gap / max(width, 1e-6))
    return float(np.mean(out))


@cache
def tessellation_triangles() -> np.ndarray:
    """Triangles of MediaPipe's face tessellation, recovered as 3-cliques of its edge list."""
    from mediapipe.python.solutions.face_mesh_connections import FACEMESH_TESSELATION

    adj: dict[int, set[int]] = {}
    for a, b in FACEMESH_TESSELATION:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    tris = set()
    for a, nbrs in adj.items():
        for b in nbrs:
            if b <= a:
                continue
            for c in nbrs & adj[b]:
                if c > b:
                    tris.add((a, b, c))
    return np.array(sorted(tris), dtype=np.int32)


@dataclass(frozen=True, slots=True)
class DetectedFace:
    landmarks: np.ndarray  # (478, 3) float32: x, y in pixels, z in pixels (relative depth)
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    score: float

    @property
    def size(self) -> float:
        return face_size(self.landmarks)


class FaceLandmarker:
    """Detect-then-mesh on RGB uint8 images. One instance per thread; close() frees the graphs.

    A face counts only when a face *detector* (full range, then short range) finds it.
    """

    def __init__(self) -> None:
        import mediapipe as mp

        self._detector = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
        self._near = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.4
        )

    def close(self) -> None:
        self._detector.close()
        self._near.close()
        self._mesh.close()

    def __enter__(self) -> FaceLandmarker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def boxes(self, rgb: np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
        """Face boxes (x0, y0, x1, y1) in pixels with scores, largest first."""
        h, w = rgb.shape[:2]
        rgb = np.ascontiguousarray(rgb)
        res = self._detector.process(rgb)
        if not res.detections:  # the short-range model is better at faces that fill the picture
            res = self._near.process(rgb)
        out = []
        for det in res.detections or []:
            b = det.location_data.relative_bounding_box
            box = (b.xmin * w, b.ymin * h, (b.xmin + b.width) * w, (b.ymin + b.height) * h)
            out.append((box, float(det.score[0])))
        out.sort(key=lambda bs: -(bs[0][2] - bs[0][0]) * (bs[0][3] - bs[0][1]))
        return out

    def mesh(self, rgb: np.ndarray) -> np.ndarray | None:
        """478 landmarks in pixels for the most prominent face in ``rgb``, or None."""
        h, w = rgb.shape[:2]
        res = self._mesh.process(np.ascontiguousarray(rgb))
        if not res.multi_face_landmarks:
            return None
        pts = res.multi_face_landmarks[0].landmark
        arr = np.array([(p.x * w, p.y * h, p.z * w) for p in pts], dtype=np.float32)
        return arr if len(arr) == 478 else None

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        """All faces found, largest first; each meshed on a crop around its detection box."""
        faces: list[DetectedFace] = []
        for box, score in self.boxes(rgb):
            lm = self._mesh_in_box(rgb, box)
            if lm is not None:
                faces.append(DetectedFace(lm, box, score))
        # No mesh-only fallback: the mesh model alone "finds" faces in smileys and clouds.
        faces.sort(key=lambda f: -f.size)
        return faces

    def _mesh_in_box(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
        import cv2

        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0) * 2.2
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        cx0, cy0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
        cx1, cy1 = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
        crop = rgb[cy0:cy1, cx0:cx1]
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            return None
        scale = 512.0 / max(crop.shape[:2])
        if abs(scale - 1) > 0.05:
            interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
            crop = cv2.resize(crop, (round(crop.shape[1] * scale), round(crop.shape[0] * scale)), interpolation=interp)
        else:
            scale = 1.0
        lm = self.mesh(crop)
        if lm is None:
            return None
        lm[:, :3] /= scale
        lm[:, 0] += cx0
        lm[:, 1] += cy0
        return lm
