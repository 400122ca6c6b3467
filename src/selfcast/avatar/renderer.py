"""Rig + pose -> frame: a mesh warp of the portrait's face region over a cached background.

Why it is fast: every pose control moves the face mesh linearly, so each control's dense
displacement field is computed once (piecewise-linear over MediaPipe's tessellation plus strips
across the eyes and mouth and a ring that fades to zero at the edge of the head region). A frame
is a weighted sum of a few sparse fields on a coarse grid, a fixed-point inversion (the fields
are forward displacements, remap needs the backward map), one upsample and one ``cv2.remap`` of
the head region only, written into a reused output buffer whose rest already holds the cached
stage (``render_into``); every per-frame array is preallocated. The mouth interior
(dark cavity, upper teeth, a hint of lower teeth and tongue) is painted inside the posed inner
lip contour, so it is always bounded by the lips.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from selfcast.avatar import landmarks as L
from selfcast.avatar.paint import LidPainter, MouthPainter
from selfcast.avatar.pose import CONTROLS, Pose
from selfcast.avatar.rig import Rig
from selfcast.errors import BadInput

FACE_HEIGHT_FRACTION = 0.34  # forehead-to-chin over frame height: a head-and-shoulders framing
EYE_LINE = 0.40  # eyes at this fraction of the frame height
MAX_UPSCALE = 3.0


@dataclass(slots=True)
class Stage:
    """The portrait placed on the output canvas (scale, offset) and the cached background frame."""

    size: tuple[int, int]
    scale: float
    offset: tuple[float, float]
    background: np.ndarray  # (H, W, 3) uint8: the portrait placed, sides filled
    landmarks: np.ndarray  # (478, 3) in output pixels (z scaled too)
    person: np.ndarray | None  # (H, W) uint8 person mask in output pixels


def build_stage(rig: Rig, size: tuple[int, int]) -> Stage:
    """Fit the head into the frame (cropping around it, or pillar/letter-boxing with a soft fill)."""
    w, h = size
    lm = rig.landmarks
    fh = float(np.linalg.norm(lm[L.FOREHEAD, :2] - lm[L.CHIN, :2]))
    s = min(FACE_HEIGHT_FRACTION * h / max(fh, 1.0), MAX_UPSCALE)
    ih, iw = rig.image.shape[:2]
    eyes = (lm[L.IRIS_A[0], :2] + lm[L.IRIS_B[0], :2]) / 2
    ox, oy = w / 2 - eyes[0] * s, EYE_LINE * h - eyes[1] * s
    # where the picture is larger than the frame, slide it so no edge shows inside the frame
    if iw * s >= w:
        ox = min(0.0, max(w - iw * s, ox))
    if ih * s >= h:
        oy = min(0.0, max(h - ih * s, oy))
    m = np.array([[s, 0, ox], [0, s, oy]], np.float32)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    sharp = cv2.warpAffine(rig.image, m, (w, h), flags=interp, borderMode=cv2.BORDER_REPLICATE)
    cover = cv2.warpAffine(np.full((ih, iw), 255, np.uint8), m, (w, h), flags=cv2.INTER_LINEAR)
    bg = sharp
    if cover.min() < 250:  # the picture does not fill the frame: fill with its blurred, dimmed self
        small = cv2.resize(sharp, (max(8, w // 16), max(8, h // 16)), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), 2.5)
        fill = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) * 0.78
        a = cv2.GaussianBlur(cv2.erode(cover, np.ones((5, 5), np.uint8)), (0, 0), 6).astype(np.float32)[..., None] / 255
        bg = (sharp.astype(np.float32) * a + fill * (1 - a)).round().astype(np.uint8)
    out_lm = lm.copy()
    out_lm[:, :2] = lm[:, :2] * s + (ox, oy)
    out_lm[:, 2] = lm[:, 2] * s
    person = None
    if rig.person_mask is not None:
        person = cv2.warpAffine(rig.person_mask, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return Stage((w, h), s, (ox, oy), np.ascontiguousarray(bg), out_lm, person)


# ---------------------------------------------------------------------------------------------
# landmark displacement bases (one per control, in output pixels, for a control value of 1)


def _smoothstep(a: float, b: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


@dataclass(slots=True)
class FaceFrame:
    """Local axes and sizes of a face in output pixels."""

    ex: np.ndarray  # unit vector along the eye line (image-left eye -> image-right eye)
    ey: np.ndarray  # unit vector down the face
    fh: float
    fw: float
    mw: float
    mouth: np.ndarray

    @classmethod
    def of(cls, lm: np.ndarray) -> FaceFrame:
        ex = lm[L.IRIS_B[0], :2] - lm[L.IRIS_A[0], :2]
        ex = ex / max(np.linalg.norm(ex), 1e-6)
        ey = np.array([-ex[1], ex[0]], np.float32)
        return cls(ex.astype(np.float32), ey, float(np.linalg.norm(lm[L.FOREHEAD, :2] - lm[L.CHIN, :2])),
                   float(np.linalg.norm(lm[L.CHEEK_A, :2] - lm[L.CHEEK_B, :2])),
                   float(np.linalg.norm(lm[L.MOUTH_A, :2] - lm[L.MOUTH_B, :2])),
                   (lm[13, :2] + lm[14, :2]) / 2)

    def vec(self, du: np.ndarray | float, dv: np.ndarray | float) -> np.ndarray:
        du = np.asarray(du, np.float32)[..., None]
        dv = np.asarray(dv, np.float32)[..., None]
        return du * self.ex + dv * self.ey


def landmark_bases(lm: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-control (478, 2) displacements, and the rest displacement that closes an open mouth."""
    f = FaceFrame.of(lm)
    p = lm[:, :2]
    n = len(lm)
    rel = p - f.mouth
    u, v = rel @ f.ex, rel @ f.ey
    lower_lip = set(L.LOWER_INNER[1:-1] + L.LOWER_OUTER[1:-1])
    upper_lip = set(L.UPPER_INNER[1:-1] + L.UPPER_OUTER[1:-1])
    corners = {61, 291, 78, 308}
    out: dict[str, np.ndarray] = {}

    # jaw: the lower face swings down about the hinge; front points (small z) drop most
    z = lm[:, 2]
    z_h = (z[L.CHEEK_A] + z[L.CHEEK_B]) / 2
    wz = np.clip((z_h - z) / max(z_h - z[L.CHIN], 1e-3), 0.15, 1.0)
    g = _smoothstep(-0.02 * f.fh, 0.07 * f.fh, v) * (np.abs(u) < 0.75 * f.fw)
    g[list(lower_lip)] = 1.0
    g[list(upper_lip)] = 0.0
    g[list(corners)] = 0.35
    drop = 0.13 * f.fh * g * wz
    drop[list(lower_lip)] = 0.13 * f.fh * np.maximum(wz[list(lower_lip)], 0.85)
    jaw = f.vec(-0.06 * u * g, drop)
    jaw[L.UPPER_INNER[1:-1]] += f.vec(0, -0.012 * f.fh)
    jaw[L.UPPER_OUTER[1:-1]] += f.vec(0, -0.005 * f.fh)
    out["jaw"] = jaw

    wa = np.exp(-np.sum((p - p[L.MOUTH_A]) ** 2, 1) / (2 * (0.32 * f.mw) ** 2))
    wb = np.exp(-np.sum((p - p[L.MOUTH_B]) ** 2, 1) / (2 * (0.32 * f.mw) ** 2))
    out["spread"] = f.vec(0.13 * f.mw * (wb - wa), -0.012 * f.fh * (wa + wb))
    rnd = f.vec(0.14 * f.mw * (wa - wb), 0)
    rnd[[0, 37, 267, 39, 269]] += f.vec(0, -0.012 * f.fh)
    rnd[[17, 84, 314, 181, 405]] += f.vec(0, 0.012 * f.fh)
    rnd[[78, 308]] += f.vec(0.06 * f.mw * np.array([1, -1]), 0)
    out["round"] = rnd
    press = np.zeros((n, 2), np.float32)
    up_t = float(np.linalg.norm(p[0] - p[13]))
    lo_t = float(np.linalg.norm(p[17] - p[14]))
    press[L.UPPER_OUTER[1:-1]] = f.vec(0, 0.3 * up_t)
    press[L.LOWER_OUTER[1:-1]] = f.vec(0, -0.3 * lo_t)
    out["press"] = press
    out["smile"] = f.vec(0.06 * f.mw * (wb - wa), -0.035 * f.fh * (wa + wb))

    for name, up, lo in (("blink_a", L.EYE_A_UPPER, L.EYE_A_LOWER), ("blink_b", L.EYE_B_UPPER, L.EYE_B_LOWER)):
        d = np.zeros((n, 2), np.float32)
        meet = p[up] + 0.8 * (p[lo] - p[up])
        d[up[1:-1]] = (meet - p[up])[1:-1]
        d[lo[1:-1]] = (meet - p[lo])[1:-1]
        eye_w = float(np.linalg.norm(p[up[0]] - p[up[-1]]))
        center = p[up + lo].mean(0)
        contour = set(up + lo)
        upd = d[up[1:-1]]
        for i in range(468):
            if i in contour or (p[i] - center) @ f.ey >= 0:
                continue
            dist = np.linalg.norm(p[up[1:-1]] - p[i], axis=1)
            j = int(np.argmin(dist))
            if dist[j] < 0.6 * eye_w:
                d[i] = upd[j] * 0.35 * (1 - dist[j] / (0.6 * eye_w))
        out[name] = d

    brow = np.zeros((n, 2), np.float32)
    brow_pts = L.BROW_A + L.BROW_B
    brow_y = float((p[brow_pts] @ f.ey).mean())
    for i in range(468):
        depth_above = brow_y - float(p[i] @ f.ey)  # > 0 above the brow line
        if i in brow_pts:
            brow[i] = f.vec(0, -0.035 * f.fh)
        elif depth_above > 0:
            brow[i] = f.vec(0, -0.035 * f.fh * 0.6 * float(np.exp(-depth_above / (0.25 * f.fh))))
    for up in (L.EYE_A_UPPER, L.EYE_B_UPPER):
        brow[up[1:-1]] = f.vec(0, -0.035 * f.fh * 0.15)
    out["brow"] = brow

    gaze_x = np.zeros((n, 2), np.float32)
    gaze_y = np.zeros((n, 2), np.float32)
    for iris in (L.IRIS_A, L.IRIS_B):
        r = float(np.mean(np.linalg.norm(p[iris[1:]] - p[iris[0]], axis=1)))
        gaze_x[iris] = f.vec(0.35 * r, 0)
        gaze_y[iris] = f.vec(0, 0.25 * r)
    out["gaze_x"], out["gaze_y"] = gaze_x, gaze_y

    z_ref = float(z[L.FACE_OVAL].mean())
    par = np.clip(z_ref - z, -0.2 * f.fw, None)
    par[L.FACE_OVAL] *= 0.3
    out["yaw"] = np.stack([par, np.zeros_like(par)], 1).astype(np.float32)
    out["pitch"] = np.stack([np.zeros_like(par), par], 1).astype(np.float32)

    # rest: close a mouth that is open in the portrait (lips meet at their midline)
    rest = np.zeros((n, 2), np.float32)
    ui, li = np.array(L.UPPER_INNER[1:-1]), np.array(L.LOWER_INNER[1:-1])
    gaps = (p[li] - p[ui]) @ f.ey
    mean_gap = float(np.mean(np.maximum(gaps, 0)))
    if mean_gap > 0.008 * f.fh:
        k = -0.5 * mean_gap / (0.13 * f.fh)
        rest += k * jaw
        lower_now = p[li] + rest[li]
        mid = (p[ui] + lower_now) / 2
        rest[ui] = f.vec(0, (mid - p[ui]) @ f.ey)
        rest[li] = rest[li] + f.vec(0, (mid - lower_now) @ f.ey)
        outer_up = np.array(L.UPPER_OUTER[1:-1])
        rest[outer_up] += 0.35 * rest[ui]
    return out, rest


# ---------------------------------------------------------------------------------------------
# dense fields on the coarse grid


def _strip(upper: list[int], lower: list[int]) -> list[tuple[int, int, int]]:
    tris = []
    for i in range(len(upper) - 1):
        for t in ((upper[i], upper[i + 1], lower[i + 1]), (upper[i], lower[i + 1], lower[i])):
            if len(set(t)) == 3:
                tris.append(t)
    return tris


def _barycentric_raster(verts: np.ndarray, tris: np.ndarray, gx: np.ndarray, gy: np.ndarray):
    """Triangle id and barycentric weights for every grid point (first triangle wins)."""
    gh, gw = gx.shape
    tri_id = np.full((gh, gw), -1, np.int32)
    bary = np.zeros((gh, gw, 3), np.float32)
    x0g, y0g = gx[0, 0], gy[0, 0]
    step = gx[0, 1] - gx[0, 0] if gw > 1 else 1.0
    for t, (a, b, c) in enumerate(tris):
        pa, pb, pc = verts[a], verts[b], verts[c]
        det = (pb[1] - pc[1]) * (pa[0] - pc[0]) + (pc[0] - pb[0]) * (pa[1] - pc[1])
        if abs(det) < 1e-9:
            continue
        xs = (pa[0], pb[0], pc[0])
        ys = (pa[1], pb[1], pc[1])
        j0 = max(0, int(np.floor((min(xs) - x0g) / step)))
        j1 = min(gw, int(np.ceil((max(xs) - x0g) / step)) + 1)
        i0 = max(0, int(np.floor((min(ys) - y0g) / step)))
        i1 = min(gh, int(np.ceil((max(ys) - y0g) / step)) + 1)
        if j0 >= j1 or i0 >= i1:
            continue
        X = gx[i0:i1, j0:j1]
        Y = gy[i0:i1, j0:j1]
        l1 = ((pb[1] - pc[1]) * (X - pc[0]) + (pc[0] - pb[0]) * (Y - pc[1])) / det
        l2 = ((pc[1] - pa[1]) * (X - pc[0]) + (pa[0] - pc[0]) * (Y - pc[1])) / det
        l3 = 1 - l1 - l2
        inside = (l1 >= -1e-5) & (l2 >= -1e-5) & (l3 >= -1e-5) & (tri_id[i0:i1, j0:j1] < 0)
        if not inside.any():
            continue
        sub_id = tri_id[i0:i1, j0:j1]
        sub_id[inside] = t
        sub_b = bary[i0:i1, j0:j1]
        sub_b[inside] = np.stack([l1[inside], l2[inside], l3[inside]], 1)
    return tri_id, bary


@dataclass(slots=True)
class _Field:
    ys: slice
    xs: slice
    data: np.ndarray  # (h, w, 2) float32


class Renderer:
    """Renders frames of one rig at one output size. Not thread-safe: one per session/thread."""

    def __init__(self, rig: Rig, size: tuple[int, int] = (1280, 720)) -> None:
        w, h = int(size[0]), int(size[1])
        if w < 64 or h < 64 or w > 7680 or h > 4320:
            raise BadInput(f"output size {w}x{h} is out of range; use between 64x64 and 7680x4320")
        self.size = (w, h)
        self.stage = st = build_stage(rig, (w, h))
        lm = st.landmarks
        self.face = f = FaceFrame.of(lm)
        self.lm_rest = lm[:, :2].copy()
        # head region (ROI) in output pixels; everything outside it is the cached background
        oval = lm[L.FACE_OVAL, :2]
        ox0, oy0 = oval.min(0)
        ox1, oy1 = oval.max(0)
        self.step = step = max(2, round(f.fw / 75))  # grid spacing: ~75 cells across the face
        x0 = int(max(0, np.floor(ox0 - 0.6 * f.fw)))
        x1 = int(min(w, np.ceil(ox1 + 0.6 * f.fw)))
        y0 = int(max(0, np.floor(oy0 - 0.7 * f.fh)))
        y1 = int(min(h, np.ceil(oy1 + 0.55 * f.fh)))
        x1 = x0 + (x1 - x0) // step * step
        y1 = y0 + (y1 - y0) // step * step
        self.roi = (x0, y0, x1, y1)
        rw, rh = x1 - x0, y1 - y0
        gw, gh = rw // step, rh // step
        jj, ii = np.meshgrid(np.arange(gw, dtype=np.float32), np.arange(gh, dtype=np.float32))
        self._gx = (jj + 0.5) * step - 0.5  # grid point positions, ROI-local pixels
        self._gy = (ii + 0.5) * step - 0.5
        fx, fy = np.meshgrid(np.arange(rw, dtype=np.float32), np.arange(rh, dtype=np.float32))
        self._ident = np.dstack([fx + x0, fy + y0]).astype(np.float32)

        bases, rest = landmark_bases(lm)
        verts, tris = self._mesh(lm, (x0, y0, x1, y1))
        tri_id, bary = _barycentric_raster(verts - (x0, y0), tris, self._gx, self._gy)
        covered = tri_id >= 0
        tri_safe = np.where(covered, tri_id, 0)
        tv = tris[tri_safe]  # (gh, gw, 3)

        def interp(disp478: np.ndarray) -> np.ndarray:
            dv = np.zeros((len(verts), 2), np.float32)
            dv[:478] = disp478
            fld = (bary[..., :, None] * dv[tv]).sum(2)
            fld[~covered] = 0
            return fld.astype(np.float32)

        head = self._head_weight(st, lm, (x0, y0, x1, y1))
        gxa, gya = self._gx + x0, self._gy + y0
        pivot = lm[L.CHIN, :2] + 0.3 * f.fh * f.ey
        dense: dict[str, np.ndarray] = {
            "roll": np.dstack([-(gya - pivot[1]) * head, (gxa - pivot[0]) * head]),
            "tx": np.dstack([f.fh * head, np.zeros_like(head)]),
            "ty": np.dstack([np.zeros_like(head), f.fh * head]),
        }
        head_at_lm = head[np.clip(((lm[:, 1] - y0 + 0.5) / step - 0.5).astype(int), 0, gh - 1),
                          np.clip(((lm[:, 0] - x0 + 0.5) / step - 0.5).astype(int), 0, gw - 1)]
        lm_b = {
            "roll": np.stack([-(lm[:, 1] - pivot[1]), lm[:, 0] - pivot[0]], 1) * head_at_lm[:, None],
            "tx": np.stack([f.fh * head_at_lm, 0 * head_at_lm], 1),
            "ty": np.stack([0 * head_at_lm, f.fh * head_at_lm], 1),
        }
        gaze = self._gaze_fields(lm, (x0, y0, x1, y1))
        self._fields: list[_Field | None] = []
        lmb = np.zeros((len(CONTROLS), 478, 2), np.float32)
        for k, name in enumerate(CONTROLS):
            if name in dense:
                fld = dense[name].astype(np.float32)
                lmb[k] = lm_b[name]
            elif name in ("gaze_x", "gaze_y"):
                fld = gaze[name]
                lmb[k] = bases[name]
            else:
                fld = interp(bases[name])
                lmb[k] = bases[name]
            self._fields.append(_sparse(fld))
        self._lm_bases = lmb
        self._lm_flat = lmb.reshape(len(CONTROLS), -1)
        lips = L.UPPER_INNER + L.LOWER_INNER
        self._lips_flat = np.ascontiguousarray(lmb[:, lips].reshape(len(CONTROLS), -1))
        self._lips_rest = (self.lm_rest + rest)[lips]
        self._rest_lm = rest
        self._rest_field = interp(rest)
        self._gh, self._gw = gh, gw
        # per-frame scratch, reused by every frame (hence: one renderer per rendering thread)
        self._map_x = np.empty((gh, gw), np.float32)
        self._map_y = np.empty((gh, gw), np.float32)
        self._disp = np.empty((gh, gw, 2), np.float32)
        self._scaled = np.empty((gh, gw, 2), np.float32)
        self._back = np.empty((gh, gw, 2), np.float32)
        self._warped = np.empty((gh, gw, 2), np.float32)
        self._up = np.empty((rh, rw, 2), np.float32)
        self._m1 = np.empty((rh, rw, 2), np.int16)
        self._m2 = np.empty((rh, rw), np.uint16)
        self._mouth = MouthPainter(f)
        self._lids = LidPainter(st.background, lm, f, lmb, rest)

    # -- construction helpers ---------------------------------------------------------------

    def _mesh(self, lm: np.ndarray, roi: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
        from scipy.spatial import Delaunay

        f = self.face
        x0, y0, x1, y1 = roi
        oval = lm[L.FACE_OVAL, :2]
        center = oval.mean(0)
        ring = center + (oval - center) * np.where(((oval - center) @ f.ey)[:, None] > 0, 1.45, 1.3)
        ring[:, 0] = np.clip(ring[:, 0], x0, x1 - 1)
        ring[:, 1] = np.clip(ring[:, 1], y0, y1 - 1)
        k = 7
        bx = np.linspace(x0, x1 - 1, k)
        by = np.linspace(y0, y1 - 1, k)
        border = np.unique(np.concatenate([
            np.stack([bx, np.full(k, y0)], 1), np.stack([bx, np.full(k, y1 - 1)], 1),
            np.stack([np.full(k, x0), by], 1), np.stack([np.full(k, x1 - 1), by], 1)]), axis=0)
        verts = np.concatenate([lm[:, :2], ring, border]).astype(np.float64)
        tris = [tuple(t) for t in L.tessellation_triangles()]
        tris += _strip(L.EYE_A_UPPER, L.EYE_A_LOWER) + _strip(L.EYE_B_UPPER, L.EYE_B_LOWER)
        tris += _strip(L.UPPER_INNER, L.LOWER_INNER)
        outer_idx = np.concatenate([np.array(L.FACE_OVAL), 478 + np.arange(len(ring) + len(border))])
        dl = Delaunay(verts[outer_idx])
        path = cv2.convexHull(oval.astype(np.float32))
        for simplex in dl.simplices:
            idx = outer_idx[simplex]
            c = verts[idx].mean(0)
            if cv2.pointPolygonTest(path, (float(c[0]), float(c[1])), False) < 0:
                tris.append(tuple(int(i) for i in idx))
        return verts.astype(np.float32), np.array(tris, np.int32)

    def _head_weight(self, st: Stage, lm: np.ndarray, roi: tuple[int, int, int, int]) -> np.ndarray:
        """1 on the head (face and hair), fading out down the neck and to 0 at the ROI edge."""
        f = self.face
        x0, y0, x1, y1 = roi
        rw, rh = x1 - x0, y1 - y0
        oval = lm[L.FACE_OVAL, :2]
        center = oval.mean(0)
        m = np.zeros((rh, rw), np.uint8)
        big = (center + (oval - center) * 1.12 - (x0, y0)).astype(np.int32)
        cv2.fillPoly(m, [big], 255)
        if st.person is not None:
            pm = st.person[y0:y1, x0:x1]
            yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
            rel_v = (xx + x0 - center[0]) * f.ey[0] + (yy + y0 - center[1]) * f.ey[1]
            # hair and head from the person mask, but only above the neck
            near = np.hypot(xx + x0 - center[0], yy + y0 - center[1]) < 1.1 * f.fh
            m = np.maximum(m, ((pm > 127) & near & (rel_v < 0.35 * f.fh)).astype(np.uint8) * 255)
        mf = cv2.GaussianBlur(m.astype(np.float32) / 255, (0, 0), max(1.0, 0.05 * f.fw))
        yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
        rel_v = (xx + x0 - lm[L.CHIN, 0]) * f.ey[0] + (yy + y0 - lm[L.CHIN, 1]) * f.ey[1]
        mf *= 1 - _smoothstep(0.0, 0.45 * f.fh, rel_v)
        edge = np.minimum.reduce([xx, yy, rw - 1 - xx, rh - 1 - yy])
        mf *= _smoothstep(0, 0.12 * min(rw, rh), edge)
        s = self.step
        return cv2.resize(mf, (rw // s, rh // s), interpolation=cv2.INTER_AREA).astype(np.float32)

    def _gaze_fields(self, lm: np.ndarray, roi: tuple[int, int, int, int]) -> dict[str, np.ndarray]:
        f = self.face
        x0, y0, x1, y1 = roi
        rw, rh = x1 - x0, y1 - y0
        eyes = np.zeros((rh, rw), np.uint8)
        for up, lo in ((L.EYE_A_UPPER, L.EYE_A_LOWER), (L.EYE_B_UPPER, L.EYE_B_LOWER)):
            poly = np.concatenate([lm[up, :2], lm[lo[::-1], :2]]) - (x0, y0)
            cv2.fillPoly(eyes, [np.round(poly * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
        eyes = cv2.erode(eyes, np.ones((3, 3), np.uint8)).astype(np.float32) / 255
        yy, xx = np.mgrid[0:rh, 0:rw].astype(np.float32)
        gx = np.zeros((rh, rw), np.float32)
        for iris in (L.IRIS_A, L.IRIS_B):
            c = lm[iris[0], :2] - (x0, y0)
            r = float(np.mean(np.linalg.norm(lm[iris[1:], :2] - lm[iris[0], :2], axis=1)))
            gx += np.exp(-((xx - c[0]) ** 2 + (yy - c[1]) ** 2) / (2 * (1.4 * r) ** 2)) * 0.35 * r
        w = gx * eyes
        s = self.step
        small = cv2.resize(w, (rw // s, rh // s), interpolation=cv2.INTER_AREA)
        return {
            "gaze_x": np.dstack([small * f.ex[0], small * f.ex[1]]).astype(np.float32),
            "gaze_y": np.dstack([small * f.ey[0], small * f.ey[1]]).astype(np.float32) * 0.7,
        }

    # -- per frame ----------------------------------------------------------------------------

    def landmarks(self, pose: Pose) -> np.ndarray:
        """Where each of the 478 landmarks lands in the output for ``pose`` (output pixels)."""
        c = pose.vector()
        return self.lm_rest + self._rest_lm + (c @ self._lm_flat).reshape(478, 2)

    def canvas(self) -> np.ndarray:
        """A new output buffer holding the still picture; ``render_into`` rewrites only its head region."""
        return self.stage.background.copy()

    def render(self, pose: Pose) -> np.ndarray:
        """One (H, W, 3) uint8 RGB frame of its own."""
        out = self.canvas()
        self.render_into(pose, out)
        return out

    def render_into(self, pose: Pose, out: np.ndarray) -> None:
        """Draw ``pose`` into ``out``, a buffer from :meth:`canvas`: only the head region
        (``roi``) is rewritten, everything else in it is the still background and stays as it is.
        Every per-frame array is preallocated, so a frame allocates nothing large."""
        w, h = self.size
        if out.shape != (h, w, 3) or out.dtype != np.uint8:
            raise BadInput(f"output buffer is {out.shape} {out.dtype}; expected ({h}, {w}, 3) uint8 from canvas()")
        c = pose.vector()
        disp = self._disp
        np.copyto(disp, self._rest_field)
        for k, fld in enumerate(self._fields):
            if fld is not None and abs(c[k]) > 1e-4:
                fh, fw = fld.data.shape[:2]
                tmp = np.multiply(fld.data, c[k], out=self._scaled[:fh, :fw])
                disp[fld.ys, fld.xs] += tmp
        back = self._invert(disp)
        rh, rw = self._ident.shape[:2]
        up = cv2.resize(back, (rw, rh), dst=self._up, interpolation=cv2.INTER_LINEAR)
        up += self._ident
        x0, y0, x1, y1 = self.roi
        # fixed-point maps remap ~1.5x faster
        m1, m2 = cv2.convertMaps(up, None, cv2.CV_16SC2, dstmap1=self._m1, dstmap2=self._m2)
        region = out[y0:y1, x0:x1]
        cv2.remap(self.stage.background, m1, m2, cv2.INTER_LINEAR, dst=region, borderMode=cv2.BORDER_REPLICATE)
        lips = self._lips_rest + (c @ self._lips_flat).reshape(-1, 2)
        n = len(L.UPPER_INNER)
        self._mouth.paint(region, (x0, y0), lips[:n], lips[n:])
        self._lids.paint(region, (x0, y0), c)

    def _invert(self, disp: np.ndarray) -> np.ndarray:
        """Backward displacement b with p + b + disp(p + b) = p, by fixed-point iteration."""
        s = self.step
        back = np.negative(disp, out=self._back)
        for _ in range(2):
            np.add(self._gx, back[..., 0], out=self._map_x)
            np.add(self._gy, back[..., 1], out=self._map_y)
            self._map_x += 0.5
            self._map_x /= s
            self._map_x -= 0.5
            self._map_y += 0.5
            self._map_y /= s
            self._map_y -= 0.5
            warped = cv2.remap(disp, self._map_x, self._map_y, cv2.INTER_LINEAR, dst=self._warped,
                               borderMode=cv2.BORDER_CONSTANT)
            np.negative(warped, out=back)
        return back


def _sparse(fld: np.ndarray) -> _Field | None:
    mag = np.abs(fld).max(2)
    ys, xs = np.nonzero(mag > 1e-3)
    if len(ys) == 0:
        return None
    sy = slice(int(ys.min()), int(ys.max()) + 1)
    sx = slice(int(xs.min()), int(xs.max()) + 1)
    return _Field(sy, sx, np.ascontiguousarray(fld[sy, sx]))
