"""What a warp cannot draw: closed lids and the inside of the mouth, painted over the warped face.

Each painter writes only inside the region it is given (the renderer's head region), so the
renderer can keep one output buffer and rewrite just that region every frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from selfcast.avatar import landmarks as L
from selfcast.avatar.pose import CONTROLS

if TYPE_CHECKING:
    from selfcast.avatar.renderer import FaceFrame


class LidPainter:
    """Closes the lids for real: the skin of the lid slides over the eye, ending in a lash line.

    The warp alone squeezes the eye into a thin dark seam (iris and lashes compressed into a few
    pixels); painting the covered part with the lid's own colour, shaded toward its edge, and
    drawing the lash line where the lid edge now is makes a closed eye read as closed.
    """

    def __init__(self, bg: np.ndarray, lm: np.ndarray, f: FaceFrame, lmb: np.ndarray, rest: np.ndarray) -> None:
        self.f = f
        self.eyes = []
        for k_name, up, lo in (("blink_a", L.EYE_A_UPPER, L.EYE_A_LOWER), ("blink_b", L.EYE_B_UPPER, L.EYE_B_LOWER)):
            k = CONTROLS.index(k_name)
            up_rest = lm[up, :2] + rest[up]
            lo_rest = lm[lo, :2] + rest[lo]
            eye_w = float(np.linalg.norm(up_rest[0] - up_rest[-1]))
            # lid colour: the median of a band of skin above the upper lid (below the brow)
            band = np.concatenate([up_rest[2:-2] - f.ey * eye_w * s for s in (0.22, 0.3, 0.38)])
            xs = np.clip(np.round(band[:, 0]).astype(int), 0, bg.shape[1] - 1)
            ys = np.clip(np.round(band[:, 1]).astype(int), 0, bg.shape[0] - 1)
            lid = np.median(bg[ys, xs].astype(np.float32), axis=0) * 0.94
            # lash colour: the darkest pixels along the upper lid line
            xs = np.clip(np.round(up_rest[1:-1, 0]).astype(int), 0, bg.shape[1] - 1)
            ys = np.clip(np.round(up_rest[1:-1, 1]).astype(int), 0, bg.shape[0] - 1)
            lash = np.minimum(bg[ys, xs].astype(np.float32).min(0), lid * 0.45)
            self.eyes.append((k, np.array(up), up_rest, lo_rest, lmb[k][up], lid, lash, eye_w))

    def paint(self, region: np.ndarray, origin: tuple[int, int], c: np.ndarray) -> None:
        """Paint the lids of pose vector ``c`` into ``region``, the part of the frame whose
        top-left pixel is ``origin`` (x, y); nothing outside it is touched."""
        ox, oy = origin
        rh, rw = region.shape[:2]
        for k, _up, up_rest, lo_rest, d_up, lid, lash, eye_w in self.eyes:
            b = float(c[k])
            if b < 0.15:
                continue
            edge = up_rest + b * d_up  # where the lid's edge is now
            top = up_rest - self.f.ey * 1.5
            poly = np.concatenate([top, edge[::-1]])
            x0 = int(max(ox, np.floor(poly[:, 0].min()) - 3))
            y0 = int(max(oy, np.floor(poly[:, 1].min()) - 3))
            x1 = int(min(ox + rw, np.ceil(poly[:, 0].max()) + 4))
            y1 = int(min(oy + rh, np.ceil(max(poly[:, 1].max(), lo_rest[:, 1].max())) + 4))
            if x1 - x0 < 3 or y1 - y0 < 3:
                continue
            org = np.array([x0, y0], np.float32)
            m = np.zeros((y1 - y0, x1 - x0), np.uint8)
            cv2.fillPoly(m, [np.round((poly - org) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
            m = cv2.GaussianBlur(m, (3, 3), 0)
            lines = np.zeros_like(m)
            thick = max(1, round(eye_w * 0.045))
            cv2.polylines(lines, [np.round((edge[1:-1] - org) * 16).astype(np.int32)], False, 255, thick,
                          cv2.LINE_AA, shift=4)
            lines = cv2.GaussianBlur(lines, (3, 3), 0)
            strength = min(1.0, (b - 0.15) / 0.5)
            a = (m.astype(np.float32) / 255 * 0.85 * strength)[..., None]
            la = (lines.astype(np.float32) / 255 * 0.75 * strength * min(1.0, b))[..., None]
            view = region[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
            box = view.astype(np.float32)
            # the lid darkens a little toward its edge (it curves away from the light)
            yy = np.arange(y1 - y0, dtype=np.float32)[:, None, None]
            shade = 1 - 0.12 * np.clip((yy - (up_rest[:, 1].mean() - y0)) / max(eye_w * 0.3, 1), 0, 1)
            box = box * (1 - a) + lid * shade * a
            box = box * (1 - la) + lash * la
            view[:] = box.round().astype(np.uint8)


class MouthPainter:
    """Paints the mouth interior inside the posed inner-lip contour: cavity, teeth, tongue."""

    CAVITY = np.array([52, 18, 22], np.float32)
    DEEP = np.array([22, 6, 9], np.float32)
    TEETH = np.array([226, 216, 200], np.float32)
    TONGUE = np.array([150, 62, 70], np.float32)

    def __init__(self, face: FaceFrame) -> None:
        self.f = face

    def paint(self, region: np.ndarray, origin: tuple[int, int], upper: np.ndarray, lower: np.ndarray) -> None:
        """Paint the mouth inside the inner lips ``upper``/``lower`` (frame pixels) into ``region``,
        the part of the frame whose top-left pixel is ``origin`` (x, y)."""
        f = self.f
        ox, oy = origin
        rh, rw = region.shape[:2]
        gaps = (lower[1:-1] - upper[1:-1]) @ f.ey
        gap = float(gaps.max()) if len(gaps) else 0.0
        if gap < 0.6:
            return
        poly = np.concatenate([upper, lower[::-1][1:-1]])
        x0 = int(max(ox, np.floor(poly[:, 0].min()) - 2))
        y0 = int(max(oy, np.floor(poly[:, 1].min()) - 2))
        x1 = int(min(ox + rw, np.ceil(poly[:, 0].max()) + 3))
        y1 = int(min(oy + rh, np.ceil(poly[:, 1].max()) + 3))
        if x1 - x0 < 3 or y1 - y0 < 3:
            return
        bh, bw = y1 - y0, x1 - x0
        org = np.array([x0, y0], np.float32)

        def fp(pts: np.ndarray) -> np.ndarray:
            return np.round((pts - org) * 16).astype(np.int32)

        cav = np.zeros((bh, bw), np.uint8)
        cv2.fillPoly(cav, [fp(poly)], 255, cv2.LINE_AA, shift=4)
        mw = float(np.linalg.norm(upper[-1] - upper[0]))
        yy, xx = np.mgrid[0:bh, 0:bw].astype(np.float32)
        # cavity: darker toward the corners and the back of the throat
        center = (upper[len(upper) // 2] + lower[len(lower) // 2]) / 2 - org
        dx = np.abs(xx - center[0]) / max(mw / 2, 1)
        depth = np.clip(1 - dx ** 2, 0, 1)[..., None]
        layer = self.DEEP + (self.CAVITY - self.DEEP) * depth
        # tongue: low in the mouth, visible when it is open enough
        if gap > 3:
            tongue = np.zeros((bh, bw), np.uint8)
            lc = lower[len(lower) // 2] - org
            tc = (lc - f.ey * 0.22 * gap) * 16
            axes = (int(0.26 * mw * 16), int(max(1.0, 0.3 * gap) * 16))
            ang = float(np.degrees(np.arctan2(f.ex[1], f.ex[0])))
            cv2.ellipse(tongue, (int(tc[0]), int(tc[1])), axes, ang, 0, 360, 255, -1, cv2.LINE_AA, shift=4)
            tongue = cv2.GaussianBlur(tongue, (5, 5), 0)
            a = (tongue.astype(np.float32) / 255)[..., None] * min(0.9, (gap - 3) / 5)
            shade = np.clip(1 - 0.35 * dx, 0.5, 1)[..., None]
            layer = layer * (1 - a) + (self.TONGUE * shade) * a
        # upper teeth hang from the upper lip (in shadow under it), receding into the dark corners
        n = len(upper)
        lo_i, hi_i = max(1, round(n * 0.18)), min(n - 1, round(n * 0.82))
        th = min(0.085 * mw, 0.42 * gap + 0.4)
        top = upper[lo_i:hi_i + 1]
        teeth_poly = np.concatenate([top - f.ey * 1.0, (top + f.ey * th)[::-1]])
        teeth = np.zeros((bh, bw), np.uint8)
        cv2.fillPoly(teeth, [fp(teeth_poly)], 255, cv2.LINE_AA, shift=4)
        teeth = cv2.GaussianBlur(teeth, (3, 3), 0)
        ta = (teeth.astype(np.float32) / 255)[..., None]
        tc = top.mean(0) - org
        rel_v = (xx - tc[0]) * f.ey[0] + (yy - tc[1]) * f.ey[1]
        rel_u = (xx - tc[0]) * f.ex[0] + (yy - tc[1]) * f.ex[1]
        vert = np.clip(rel_v / max(th, 1.0), 0, 1)
        # shadow under the lip at the top, a slightly darker biting edge, darker toward the corners
        tshade = (0.62 + 0.38 * np.sin(np.pi * np.clip(0.15 + 0.8 * vert, 0, 1))) * np.clip(1 - 0.9 * dx ** 2, 0.3, 1)
        if mw > 30:  # faint gaps between the front teeth
            period = mw / 7.5
            tshade *= 1 - 0.07 * np.exp(-((np.mod(rel_u + period / 2, period) - period / 2) ** 2) / 0.8)
        layer = layer * (1 - ta) + (self.TEETH * tshade[..., None]) * ta
        if gap > 7:
            bot = lower[lo_i + 2:hi_i - 1]
            lth = min(0.04 * mw, 0.12 * gap)
            ltp = np.concatenate([bot + f.ey * 1.0, (bot - f.ey * lth)[::-1]])
            lteeth = np.zeros((bh, bw), np.uint8)
            cv2.fillPoly(lteeth, [fp(ltp)], 255, cv2.LINE_AA, shift=4)
            la = (cv2.GaussianBlur(lteeth, (3, 3), 0).astype(np.float32) / 255)[..., None] * 0.45
            layer = layer * (1 - la) + (self.TEETH * 0.55 * np.clip(1 - dx ** 2, 0.3, 1)[..., None]) * la
        # a soft inner-lip edge so the interior sits inside the lips, not on top of them
        alpha = cv2.GaussianBlur(cav, (3, 3), 0).astype(np.float32)[..., None] / 255
        alpha *= min(1.0, gap / 2.0)
        box = region[y0 - oy:y1 - oy, x0 - ox:x1 - ox]
        box[:] = (layer * alpha + box.astype(np.float32) * (1 - alpha)).round().astype(np.uint8)
