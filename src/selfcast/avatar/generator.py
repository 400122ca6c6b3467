"""Avatars from a prompt: a procedural portrait painter, or an OpenAI-compatible images endpoint.

The painter needs no model: it builds a height field for the face (skull, eye sockets, brow,
nose, cheekbones, lips, chin), lights it (key, fill, rim) and paints hair, eyes, brows, lips and
clothes over it in one of three looks: ``cinematic`` (photographic lighting, graded, grain),
``3d`` (soft, saturated, large eyes) and ``anime`` (cel-shaded, outlined). The face mesh is
found on the result and stored in the PNG (``selfcast-rig`` chunk) so the rig never depends on
detecting a drawn face again.
"""

from __future__ import annotations

import asyncio
import io

import cv2
import numpy as np

from selfcast.avatar.prompt import Traits, parse_prompt
from selfcast.avatar.rig import RIG_CHUNK, rig_chunk
from selfcast.errors import BadInput
from selfcast.settings import AvatarSettings

STYLES = ("cinematic", "anime", "3d")
W, H = 768, 960


def generate_avatar(prompt: str | None, style: str = "cinematic", seed: int | None = None,
                    settings: AvatarSettings | None = None) -> bytes:
    """PNG bytes of a head-and-shoulders portrait for ``prompt`` in ``style``."""
    style = (style or "cinematic").lower().strip()
    if style not in STYLES:
        raise BadInput(f"style {style!r} is not one of {', '.join(STYLES)}")
    if prompt is not None and len(prompt) > 2000:
        raise BadInput("prompt is longer than 2000 characters; describe the person more briefly")
    if seed is None:
        seed = int(np.random.default_rng().integers(0, 2**31))
    if settings is not None and settings.images_url:  # the callers are sync; an async one awaits images_provider
        return asyncio.run(_generate_remote(prompt or "a friendly person", style, settings))
    return paint_portrait(prompt, style, int(seed))


def paint_portrait(prompt: str | None, style: str, seed: int) -> bytes:
    from selfcast.avatar.landmarks import FaceLandmarker

    traits = parse_prompt(prompt, seed)
    rgb = _paint(traits, style, seed)
    with FaceLandmarker() as finder:
        faces = finder.detect(rgb)
    return _png(rgb, faces[0].landmarks if faces else None)


def _png(rgb: np.ndarray, lm: np.ndarray | None) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Software", "selfcast procedural portrait")
    if lm is not None:
        info.add_text(RIG_CHUNK, rig_chunk(rgb, lm), zip=True)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", pnginfo=info, optimize=False)
    return buf.getvalue()


async def _generate_remote(prompt: str, style: str, settings: AvatarSettings) -> bytes:
    from selfcast.avatar.images import images_provider

    async with images_provider(settings) as images:
        return await images.generate(prompt, style)


# ---------------------------------------------------------------------------------------------
# the painter


def _lin(c) -> np.ndarray:
    return np.asarray(c, np.float32) / 255.0


def _blend(img: np.ndarray, colour, alpha: np.ndarray) -> None:
    a = alpha[..., None] if alpha.ndim == 2 else alpha
    img *= 1 - a
    img += a * (colour if np.ndim(colour) == 3 else _lin(colour))


def _mask(shape: tuple[int, int], pts: np.ndarray, blur: float = 1.0) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(pts * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
    m = m.astype(np.float32) / 255
    return cv2.GaussianBlur(m, (0, 0), blur) if blur > 0 else m


def _ellipse_pts(c, ax, ay, n=90, a0=0.0, a1=2 * np.pi) -> np.ndarray:
    t = np.linspace(a0, a1, n)
    return np.stack([c[0] + ax * np.cos(t), c[1] + ay * np.sin(t)], 1)


def _gauss(X, Y, cx, cy, sx, sy) -> np.ndarray:
    return np.exp(-((X - cx) ** 2 / (2 * sx**2) + (Y - cy) ** 2 / (2 * sy**2)))


def _smoothstep_np(a: float, b: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - a) / (b - a), 0, 1)
    return t * t * (3 - 2 * t)


def _noise(rng: np.random.Generator, shape, scale: float) -> np.ndarray:
    small = rng.standard_normal((max(2, int(shape[0] / scale)), max(2, int(shape[1] / scale)))).astype(np.float32)
    return cv2.resize(small, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def _strands(rng: np.random.Generator, shape, angle_deg: float, length: int) -> np.ndarray:
    n = rng.standard_normal(shape).astype(np.float32)
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1.0 / length
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle_deg, 1.0)
    k = cv2.warpAffine(k, rot, (length, length))
    k /= max(k.sum(), 1e-6)
    s = cv2.filter2D(n, -1, k)
    return s / max(float(s.std()), 1e-6)


def _paint(t: Traits, style: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 7)
    v = t.variation
    Y, X = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.zeros((H, W, 3), np.float32)
    # background: vertical gradient, soft light spot, bokeh for the cinematic look
    top, bot = _lin(t.bg_top), _lin(t.bg_bottom)
    g = (Y / H)[..., None]
    img[:] = top * (1 - g) + bot * g
    spot = _gauss(X, Y, W * (0.3 + 0.1 * v[0]), H * 0.3, W * 0.35, H * 0.3)[..., None]
    img += 0.12 * spot
    if style == "cinematic":
        for _ in range(14):
            c = (rng.uniform(0, W), rng.uniform(0, H * 0.7))
            r = rng.uniform(20, 60)
            col = np.clip(top * rng.uniform(1.0, 1.5) + rng.uniform(0, 0.15), 0, 1)
            m = _mask((H, W), _ellipse_pts(c, r, r), blur=r * 0.25)
            _blend(img, col * 255, m * rng.uniform(0.08, 0.22))
        img = cv2.GaussianBlur(img, (0, 0), 3)

    big_eyes = {"cinematic": 1.0, "3d": 1.18, "anime": 1.3}[style]
    cx, cy = W / 2 + 4 * v[1], 372.0
    a = 150.0 * (1 + 0.04 * v[2]) * (0.95 if t.female else 1.0)  # half head width
    b = 200.0 * (1 + 0.03 * v[3])  # half head height (crown to chin)
    skin = _lin(t.skin)
    hair = _lin(t.hair)

    # torso and neck
    neck_w = a * (0.42 if t.female else 0.5)
    sh_y = cy + b + 62
    torso = np.array([[cx - neck_w * 1.1, cy + b - 10], [cx + neck_w * 1.1, cy + b - 10],
                      [cx + neck_w * 1.25, sh_y - 30], [cx + a * 2.3, sh_y + 10], [cx + a * 2.9, H + 10],
                      [cx - a * 2.9, H + 10], [cx - a * 2.3, sh_y + 10], [cx - neck_w * 1.25, sh_y - 30]])
    long_hair = t.hair_length in ("long", "medium")
    if long_hair:  # hair behind the head and shoulders
        hl = (b * 1.55) if t.hair_length == "long" else b * 1.05
        back = np.concatenate([_ellipse_pts((cx, cy - 10), a * 1.32, b * 1.12, 60, np.pi, 2 * np.pi),
                               [[cx + a * 1.38, cy + hl * 0.7], [cx + a * 1.2, cy + hl], [cx - a * 1.2, cy + hl],
                                [cx - a * 1.38, cy + hl * 0.7]]])
        hm = _mask((H, W), back, 3)
        tex = _strands(rng, (H, W), 90 + 6 * v[4], 31)
        hcol = hair[None, None, :] * (0.55 + 0.06 * tex[..., None])
        _blend(img, hcol, hm)
    neck = np.array([[cx - neck_w, cy + b * 0.55], [cx + neck_w, cy + b * 0.55], [cx + neck_w * 1.08, sh_y],
                     [cx - neck_w * 1.08, sh_y]])
    nm = _mask((H, W), neck, 2)
    neck_shade = 0.72 + 0.18 * np.clip((Y - (cy + b)) / 90, 0, 1)
    _blend(img, skin[None, None, :] * neck_shade[..., None], nm)
    # clothes with folds and side shading
    cm = _mask((H, W), torso[[0, 1, 2, 3, 4, 5, 6, 7]] * [1, 1] + [0, 0], 2)
    cm *= (cy + b + 40 < Y).astype(np.float32) * np.clip((Y - (cy + b + 40)) / 25, 0, 1)
    cloth = _lin(t.clothes)
    side = 1 - 0.35 * np.clip(np.abs(X - cx) / (a * 2.8), 0, 1) ** 2
    folds = 1 + 0.018 * _strands(rng, (H, W), 90, 61) * (0.5 + 0.5 * _noise(rng, (H, W), 80))
    _blend(img, cloth[None, None, :] * (side * folds)[..., None], cm)
    collar = np.array([[cx - neck_w * 1.15, sh_y - 24], [cx, sh_y + 60], [cx + neck_w * 1.15, sh_y - 24],
                       [cx + neck_w * 1.3, sh_y - 12], [cx, sh_y + 80], [cx - neck_w * 1.3, sh_y - 12]])
    _blend(img, cloth * 0.7 * 255, _mask((H, W), collar, 1.5) * 0.7)
    vneck = np.array([[cx - neck_w * 1.1, sh_y - 26], [cx + neck_w * 1.1, sh_y - 26], [cx, sh_y + 58]])
    _blend(img, skin * 0.78 * 255, _mask((H, W), vneck, 1.5))

    # ears
    for sgn in (-1, 1):
        ec = (cx + sgn * a * 0.98, cy + b * 0.05)
        em = _mask((H, W), _ellipse_pts(ec, a * 0.13, b * 0.17), 1.5)
        _blend(img, skin * 0.82 * 255, em)

    # face: outline and height field
    n = 200
    th = np.linspace(0, 2 * np.pi, n, endpoint=False)
    jaw = 0.1 if t.female else 0.02
    xs = np.cos(th) * np.where(np.sin(th) > 0, 1 - (0.22 + jaw) * np.clip(np.sin(th), 0, 1) ** 2.2, 1.0)
    ys = np.sin(th) * np.where(np.sin(th) > 0, 1.0, 1.02)
    outline = np.stack([cx + a * xs, cy + b * ys], 1)
    fm = _mask((H, W), outline, 1.2)
    dx, dy = (X - cx) / a, (Y - cy) / b
    base = np.sqrt(np.clip(1 - dx**2 - dy**2, 0, 1)) * a * 0.95
    eye_y = cy + b * 0.02
    eye_dx = a * 0.40
    eye_w = a * 0.22 * (big_eyes ** 0.5)
    nose_len = b * 0.42
    mouth_y = cy + b * (0.63 + 0.02 * v[5])
    hf = base.copy()
    for sgn in (-1, 1):
        hf -= a * 0.14 * _gauss(X, Y, cx + sgn * eye_dx, eye_y, a * 0.18, b * 0.1)
        hf += a * 0.05 * _gauss(X, Y, cx + sgn * eye_dx, eye_y - b * 0.2, a * 0.24, b * 0.05)
        hf += a * 0.06 * _gauss(X, Y, cx + sgn * a * 0.55, cy + b * 0.28, a * 0.2, b * 0.14)
        hf += a * 0.04 * _gauss(X, Y, cx + sgn * a * 0.12, cy + nose_len * 0.95, a * 0.07, b * 0.05)
    nose_scale = {"cinematic": 1.0, "3d": 0.85, "anime": 0.5}[style]
    ridge_t = np.clip((Y - (eye_y - b * 0.05)) / nose_len, 0, 1)
    ridge_t = ridge_t * (1 - _smoothstep_np(nose_len * 0.9, nose_len * 1.1, Y - (eye_y - b * 0.05)))
    hf += nose_scale * a * 0.16 * ridge_t * np.exp(-((X - cx) ** 2) / (2 * (a * 0.1) ** 2))
    hf += nose_scale * a * 0.1 * _gauss(X, Y, cx, cy + nose_len * 0.92, a * 0.1, b * 0.07)
    hf += a * 0.05 * _gauss(X, Y, cx, mouth_y - b * 0.04, a * 0.2, b * 0.035)
    hf += a * 0.05 * _gauss(X, Y, cx, mouth_y + b * 0.05, a * 0.18, b * 0.04)
    hf += a * 0.06 * _gauss(X, Y, cx, cy + b * 0.88, a * 0.2, b * 0.09)
    hf = cv2.GaussianBlur(hf, (0, 0), 1.5)
    gy, gx = np.gradient(hf)
    nrm = np.dstack([-gx, -gy, np.ones_like(hf)])
    nrm /= np.linalg.norm(nrm, axis=2, keepdims=True)
    key = np.array([-0.45, -0.5, 0.74], np.float32)
    key /= np.linalg.norm(key)
    diff = np.clip(nrm @ key, 0, 1)
    fill = np.clip(nrm @ np.array([0.5, -0.1, 0.86], np.float32), 0, 1)
    if style == "anime":  # one clean cel shadow down the far side of the head, from its overall shape
        by, bx = np.gradient(cv2.GaussianBlur(base, (0, 0), 3))
        bn = np.dstack([-bx, -by, np.ones_like(base)])
        bn /= np.linalg.norm(bn, axis=2, keepdims=True)
        shade = np.where(bn @ np.array([-0.6, -0.3, 0.74], np.float32) > 0.25, 1.0, 0.88).astype(np.float32)
        shade = cv2.GaussianBlur(shade, (0, 0), 1.2)
    else:
        soft = 0.5 if style == "3d" else 0.35
        shade = (1 - soft) * (0.42 + 0.6 * diff + 0.25 * fill) + soft * 0.95
    spec = np.clip(nrm @ np.array([-0.2, -0.35, 0.92], np.float32), 0, 1) ** 30 * (0.18 if style != "anime" else 0)
    skin_tex = 1 + (0.025 if style == "cinematic" else 0.0) * _noise(rng, (H, W), 2.5)
    face_col = skin[None, None, :] * (shade * skin_tex)[..., None] + spec[..., None]
    # warm subsurface tint in the shadows, rosy cheeks and nose
    face_col[..., 0] += 0.04 * (1 - shade)
    blush = sum(_gauss(X, Y, cx + sgn * a * 0.5, cy + b * 0.33, a * 0.17, b * 0.1) for sgn in (-1, 1))
    blush = blush + 0.6 * _gauss(X, Y, cx, cy + nose_len * 0.9, a * 0.08, b * 0.05)
    face_col = face_col * (1 - 0.12 * blush[..., None]) + np.array([0.85, 0.35, 0.35]) * 0.12 * blush[..., None]
    _blend(img, np.clip(face_col, 0, 1), fm)
    if style == "anime":  # ink outline around the face
        edges = np.zeros((H, W), np.float32)
        cv2.polylines(edges, [np.round(outline * 4).astype(np.int32)], True, 1.0, 6, cv2.LINE_AA, shift=2)
        _blend(img, np.array([0.18, 0.12, 0.12]) * 255, cv2.GaussianBlur(edges, (0, 0), 0.6) * 0.8)
    # jaw shadow on the neck
    _blend(img, skin * 0.45 * 255, _gauss(X, Y, cx, cy + b * 1.04, a * 0.5, b * 0.07) * 0.5 * (1 - fm) * nm)

    if t.age > 50:  # lines of age: forehead, crow's feet, nasolabial folds
        k = min(1.0, (t.age - 50) / 25)
        for i in range(3):
            yy = cy - b * (0.45 + 0.09 * i)
            line = np.exp(-((Y - yy - 6 * np.sin((X - cx) / a * 2)) ** 2) / 2) * (np.abs(X - cx) < a * 0.5)
            _blend(img, skin * 0.7 * 255, line * 0.25 * k * fm)
        for sgn in (-1, 1):
            p0 = np.array([cx + sgn * a * 0.17, cy + nose_len * 0.95])
            p1 = np.array([cx + sgn * a * 0.33, mouth_y + b * 0.08])
            pts = np.linspace(p0, p1, 20) + np.array([[sgn * 6 * np.sin(np.pi * i / 19), 0] for i in range(20)])
            m = np.zeros((H, W), np.float32)
            cv2.polylines(m, [np.round(pts * 4).astype(np.int32)], False, 1.0, 2, cv2.LINE_AA, shift=2)
            _blend(img, skin * 0.6 * 255, cv2.GaussianBlur(m, (0, 0), 2.0) * 0.5 * k)

    if t.beard != "none":
        bm = np.zeros((H, W), np.float32)
        if t.beard in ("beard", "stubble"):
            reg = fm * (cy + b * 0.25 < Y) * np.clip((Y - (cy + b * 0.25)) / (b * 0.2), 0, 1)
            reg *= 1 - _gauss(X, Y, cx, mouth_y, a * 0.3, b * 0.07) * (t.beard == "beard")
            bm = reg
        if t.beard in ("beard", "moustache"):
            bm = np.maximum(bm, _mask((H, W), _ellipse_pts((cx, mouth_y - b * 0.07), a * 0.3, b * 0.045), 2))
        tex = 0.7 + 0.3 * np.clip(_strands(rng, (H, W), 90, 7), -2, 2) / 2
        dens = 0.35 if t.beard == "stubble" else 0.85
        _blend(img, hair[None, None, :] * tex[..., None] * 0.8, bm * dens)

    # lips
    mw = a * (0.42 if t.female else 0.4) * (0.85 if style == "anime" else 1.0)
    lip_col = (skin * 0.62 + np.array([0.62, 0.2, 0.25]) * (0.45 if t.female else 0.25))
    up_t, lo_t = b * 0.045, b * 0.06
    curve = t.smile * b * 0.02
    xs_ = np.linspace(-1, 1, 41)
    seam = np.stack([cx + xs_ * mw, mouth_y - curve * (xs_**2) * 1.0 + curve * 0.4], 1)
    upper_top = np.stack([cx + xs_ * mw, mouth_y - up_t * (1 - xs_**2) ** 0.6 * (1 - 0.25 * np.exp(-(xs_ / 0.12) ** 2))
                          - curve * xs_**2 + curve * 0.4], 1)
    lower_bot = np.stack([cx + xs_ * mw * 0.96, mouth_y + lo_t * (1 - xs_**2) ** 0.7 - curve * xs_**2 + curve * 0.4], 1)
    up_m = _mask((H, W), np.concatenate([upper_top, seam[::-1]]), 0.8)
    lo_m = _mask((H, W), np.concatenate([seam, lower_bot[::-1]]), 0.8)
    lip_shade = shade[..., None] * (0.95 if style == "anime" else 1.0)
    _blend(img, np.clip(lip_col * lip_shade * 0.92, 0, 1), up_m)
    _blend(img, np.clip(lip_col * lip_shade * 1.06 + 0.05 * _gauss(X, Y, cx, mouth_y + lo_t * 0.45, mw * 0.35, lo_t * 0.25)[..., None], 0, 1), lo_m)
    m = np.zeros((H, W), np.float32)
    cv2.polylines(m, [np.round(seam[4:-4] * 4).astype(np.int32)], False, 1.0, 2, cv2.LINE_AA, shift=2)
    _blend(img, lip_col * 0.35 * 255, cv2.GaussianBlur(m, (0, 0), 0.8) * 0.85)

    # eyes: sclera, iris, pupil, catchlight, lids, lashes, crease; brows above
    for sgn in (-1, 1):
        ec = np.array([cx + sgn * eye_dx, eye_y])
        ew, eh = eye_w, eye_w * (0.42 if style != "anime" else 0.62)
        tt = np.linspace(0, 1, 30)
        inner, outer = ec + np.array([-sgn * ew, 0]), ec + np.array([sgn * ew, -eh * 0.12])
        up = np.stack([inner[0] + (outer[0] - inner[0]) * tt, inner[1] + (outer[1] - inner[1]) * tt - eh * np.sin(np.pi * tt) ** 0.9], 1)
        lo = np.stack([inner[0] + (outer[0] - inner[0]) * tt, inner[1] + (outer[1] - inner[1]) * tt + eh * 0.7 * np.sin(np.pi * tt) ** 1.1], 1)
        em = _mask((H, W), np.concatenate([up, lo[::-1]]), 0.7)
        sclera = np.array([0.93, 0.91, 0.89]) * (0.82 + 0.18 * _gauss(X, Y, ec[0], ec[1], ew * 0.6, eh))[..., None]
        _blend(img, sclera, em)
        ir = eh * (0.92 if style != "anime" else 1.0)
        ic = ec + np.array([0, eh * 0.08])
        irm = _mask((H, W), _ellipse_pts(ic, ir, ir * (1.0 if style != "anime" else 1.25)), 0.6) * em
        eyec = _lin(t.eyes)
        rr = np.sqrt((X - ic[0]) ** 2 + (Y - ic[1]) ** 2) / ir
        iris_col = eyec[None, None, :] * (0.65 + 0.5 * np.clip(rr, 0, 1))[..., None]
        iris_col = iris_col * (1 - 0.5 * np.clip((rr - 0.82) / 0.18, 0, 1))[..., None]
        _blend(img, iris_col, irm)
        _blend(img, np.array([0.05, 0.04, 0.04]) * 255, _mask((H, W), _ellipse_pts(ic, ir * 0.42, ir * 0.42), 0.6) * em)
        hl = _mask((H, W), _ellipse_pts(ic + np.array([-ir * 0.35, -ir * 0.35]), ir * 0.18, ir * 0.18), 0.5) * em
        _blend(img, np.array([1.0, 1.0, 1.0]) * 255, hl * 0.9)
        # lid shadow on the top of the eye, then the lash line
        _blend(img, skin * 0.35 * 255, em * np.clip(1 - (Y - (ec[1] - eh)) / (eh * 0.8), 0, 1) * 0.5)
        m = np.zeros((H, W), np.float32)
        lw = 3 if style != "anime" else 5
        cv2.polylines(m, [np.round(up * 4).astype(np.int32)], False, 1.0, lw, cv2.LINE_AA, shift=2)
        _blend(img, np.array([0.1, 0.07, 0.06]) * 255, cv2.GaussianBlur(m, (0, 0), 0.7))
        m = np.zeros((H, W), np.float32)
        cv2.polylines(m, [np.round(lo * 4).astype(np.int32)], False, 1.0, 1, cv2.LINE_AA, shift=2)
        _blend(img, skin * 0.45 * 255, cv2.GaussianBlur(m, (0, 0), 0.8) * 0.6)
        crease = up + np.array([0, -eh * 0.55])
        m = np.zeros((H, W), np.float32)
        cv2.polylines(m, [np.round(crease[4:-3] * 4).astype(np.int32)], False, 1.0, 2, cv2.LINE_AA, shift=2)
        _blend(img, skin * 0.6 * 255, cv2.GaussianBlur(m, (0, 0), 1.2) * 0.5)
        # brow
        bt = np.linspace(0, 1, 30)
        b0 = ec + np.array([-sgn * ew * 1.05, -eh * 2.0 - b * 0.02])
        b1 = ec + np.array([sgn * ew * 1.25, -eh * 1.9 - b * 0.01])
        arch = -b * 0.035 * np.sin(np.pi * bt ** 0.8)
        thick = (b * (0.022 if t.female else 0.03)) * (1 - 0.6 * bt)
        top_ = np.stack([b0[0] + (b1[0] - b0[0]) * bt, b0[1] + (b1[1] - b0[1]) * bt + arch - thick], 1)
        bot_ = np.stack([b0[0] + (b1[0] - b0[0]) * bt, b0[1] + (b1[1] - b0[1]) * bt + arch + thick * 0.6], 1)
        brow_col = hair * 0.75 if t.age < 62 else hair * 0.9
        _blend(img, brow_col * 255, _mask((H, W), np.concatenate([top_, bot_[::-1]]), 1.2) * 0.9)

    # nostrils
    for sgn in (-1, 1):
        nc = (cx + sgn * a * 0.075 * nose_scale ** 0.5, cy + nose_len * 1.0)
        _blend(img, skin * 0.35 * 255, _mask((H, W), _ellipse_pts(nc, a * 0.04, b * 0.014), 1.2) * 0.7 * nose_scale ** 0.5)

    # front hair
    if t.hair_length != "bald":
        part = cx + a * 0.25 * (1 if v[6] > 0 else -1)
        hair_line = cy - b * (0.44 if t.hair_length != "short" else 0.5)
        side_y = cy + (b * 0.1 if long_hair else -b * 0.12)
        # a smooth hairline from temple to temple, highest in the middle, dipping at the parting
        th_ = np.linspace(0.0, np.pi, 60)
        hx = cx + a * 0.97 * np.cos(th_)
        temple = cy - b * 0.1
        hy = temple - (temple - hair_line) * np.sin(th_) ** 0.55
        hy -= b * 0.05 * np.exp(-(((hx - part) / (0.1 * a)) ** 2))
        hy += b * 0.07 * np.clip((hx - part) / a, -1, 1) * np.sign(v[6]) * np.sin(th_)  # side-swept
        cap = np.concatenate([
            _ellipse_pts((cx, cy - b * 0.08), a * 1.1, b * 1.02, 80, np.pi * 1.0, np.pi * 2.0),
            [[cx + a * 1.08, side_y]], np.stack([hx, hy], 1), [[cx - a * 1.08, side_y]]])
        cm = _mask((H, W), cap, 2.0)
        if long_hair:  # side locks framing the face
            for sgn in (-1, 1):
                lock = np.array([[cx + sgn * a * 1.1, cy - b * 0.3], [cx + sgn * a * 0.86, cy - b * 0.25],
                                 [cx + sgn * a * 0.93, cy + b * 0.4], [cx + sgn * a * 1.18,
                                 cy + b * (0.9 if t.hair_length == "long" else 0.55)],
                                 [cx + sgn * a * 1.28, cy + b * 0.3]])
                cm = np.maximum(cm, _mask((H, W), lock, 2.0))
        tex = _strands(rng, (H, W), 80 + 20 * np.sign(v[6]), 25)
        hdx, hdy = (X - cx) / (a * 1.1), (Y - (cy - b * 0.2)) / (b * 1.0)
        hn = np.sqrt(np.clip(1 - hdx**2 - hdy**2, 0, 1))
        hshade = 0.45 + 0.55 * np.clip(hn * 0.7 - hdx * 0.3 - hdy * 0.35, 0, 1)
        if style == "anime":
            hshade = np.where(hshade > 0.7, 1.0, 0.78).astype(np.float32)
            tex *= 0.3
        sheen = 0.25 * _gauss(X, Y, cx - a * 0.3, cy - b * 0.75, a * 0.35, b * 0.08)
        hcol = hair[None, None, :] * (hshade * (1 + 0.09 * tex))[..., None] + sheen[..., None] * (0.4 + hair)
        _blend(img, np.clip(hcol, 0, 1), cm)

    if t.glasses:
        for sgn in (-1, 1):
            ec = (cx + sgn * eye_dx, eye_y + 2)
            frame = _ellipse_pts(ec, eye_w * 1.55, eye_w * 1.05)
            m = np.zeros((H, W), np.float32)
            cv2.polylines(m, [np.round(frame * 4).astype(np.int32)], True, 1.0, 4, cv2.LINE_AA, shift=2)
            _blend(img, np.array([0.12, 0.1, 0.1]) * 255, cv2.GaussianBlur(m, (0, 0), 0.6))
            lens = _mask((H, W), frame, 1.0)
            _blend(img, np.array([0.9, 0.95, 1.0]) * 255, lens * 0.06)
        m = np.zeros((H, W), np.float32)
        cv2.line(m, (int((cx - eye_dx + eye_w * 1.5) * 4), int((eye_y - 2) * 4)),
                 (int((cx + eye_dx - eye_w * 1.5) * 4), int((eye_y - 2) * 4)), 1.0, 4, cv2.LINE_AA, shift=2)
        _blend(img, np.array([0.12, 0.1, 0.1]) * 255, m)

    if style == "anime":
        img = np.clip(np.round(img * 24) / 24 * 0.5 + img * 0.5, 0, 1)  # slight posterise
    if style == "cinematic":  # grade: warm highlights, teal shadows, vignette, grain
        lum = img.mean(2, keepdims=True)
        img = img + (lum - 0.5) * np.array([0.05, 0.0, -0.05]) + (0.5 - lum).clip(0) * np.array([-0.03, 0.01, 0.04])
        vig = 1 - 0.28 * (((X - W / 2) / (W * 0.7)) ** 2 + ((Y - H * 0.45) / (H * 0.7)) ** 2)
        img *= vig[..., None]
        img += rng.standard_normal((H, W, 1)).astype(np.float32) * 0.012
    if style == "3d":
        rim = np.clip(fm - cv2.GaussianBlur(fm, (0, 0), 6), 0, 1) * (cx < X)
        _blend(img, np.array([1.0, 0.95, 0.9]) * 255, rim * 0.5)
        img = cv2.GaussianBlur(img, (0, 0), 0.6)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
