"""Avatar engine benchmark: frames per second at 1280x720 on one core, peak memory, build times.

Wall-clock figures depend on how busy the machine is; ``cpu_ms`` (the rendering thread's own CPU
time, OpenCV limited to one thread) is the cost of a frame on one core. ``frame_at`` figures are a
frame in a buffer of its own; ``hot_path`` is what a live session's video thread does per frame:
draw into its kept buffer (only the face region) and encode the JPEG the bridge sends.

    .venv/bin/python bench/avatar.py                 # figures
    .venv/bin/python bench/avatar.py --sheets docs   # also write the contact sheets

Sheets show, per avatar, speaking frames (JFK clip), a blink, and idle/listening frames, cropped
around the head.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import testdata  # noqa: E402

from selfcast.avatar.generator import generate_avatar  # noqa: E402
from selfcast.avatar.renderer import Renderer  # noqa: E402
from selfcast.avatar.rig import load_rig  # noqa: E402
from selfcast.avatar.stream import AvatarStream  # noqa: E402
from selfcast.media.encode import JpegEncoder  # noqa: E402
from selfcast.media.frames import AudioChunk  # noqa: E402


def _speech() -> tuple[np.ndarray, int]:
    import soundfile as sf

    pcm, sr = sf.read(testdata.jfk_wav(), dtype="float32")
    return pcm, sr


def bench(frames: int = 500) -> dict:
    cv2.setNumThreads(1)
    pcm, sr = _speech()
    src = testdata.astronaut_png(Path("/tmp"))
    t0 = time.perf_counter()
    rig = load_rig(src)
    t_rig = time.perf_counter() - t0
    t0 = time.perf_counter()
    Renderer(rig, (1280, 720))
    t_renderer = time.perf_counter() - t0
    stream = AvatarStream(rig, size=(1280, 720), fps=25)
    stream.push_audio(AudioChunk(pcm, sr, pts=0.0))
    for k in range(10):
        stream.frame_at(k / 25)
    tracemalloc.start()
    times, cpu = [], []
    for k in range(frames):
        t = (k % 270) / 25
        t0, c0 = time.perf_counter(), time.thread_time()
        stream.frame_at(t)
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    ms = np.array(times) * 1000
    cms = np.array(cpu) * 1000
    hot = hot_path(stream, frames)
    return {
        **hot,
        "frames": frames,
        "cpu_ms_median": float(np.median(cms)),
        "cpu_ms_p95": float(np.percentile(cms, 95)),
        "fps_cpu": 1000 / float(np.mean(cms)),
        "median_ms": float(np.median(ms)),
        "p95_ms": float(np.percentile(ms, 95)),
        "fps_median": 1000 / float(np.median(ms)),
        "fps_mean": 1000 / float(np.mean(ms)),
        "rig_build_s": t_rig,
        "renderer_build_s": t_renderer,
        "traced_peak_mb_during_frames": peak / 1e6,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def hot_path(stream: AvatarStream, frames: int) -> dict:
    """CPU per frame of the live video thread: draw into the kept buffer, then encode the JPEG."""
    canvas, encode = stream.canvas(), JpegEncoder()
    draw, enc = [], []
    for k in range(frames):
        t = (k % 270) / 25
        c0 = time.thread_time()
        frame = stream.frame_into(t, canvas)
        c1 = time.thread_time()
        encode(frame.rgb)
        draw.append(c1 - c0)
        enc.append(time.thread_time() - c1)
    d, e = np.array(draw) * 1000, np.array(enc) * 1000
    return {"hot_path_cpu_ms_median": float(np.median(d + e)), "hot_path_cpu_ms_p95": float(np.percentile(d + e, 95)),
            "draw_into_cpu_ms_median": float(np.median(d)), "jpeg_cpu_ms_median": float(np.median(e))}


def bench_offline(tmp: Path) -> dict:
    from selfcast.avatar.render import render_video

    cv2.setNumThreads(1)
    t0 = time.perf_counter()
    res = render_video(testdata.astronaut_png(Path("/tmp")), testdata.jfk_wav(), tmp / "bench.mp4", progress=False)
    dt = time.perf_counter() - t0
    return {"offline_s": dt, "offline_x_realtime": res.duration_s / dt, "offline_frames": res.frames}


# ---------------------------------------------------------------------------------------------
# contact sheets


def _crop(stream: AvatarStream, rgb: np.ndarray) -> np.ndarray:
    f = stream.renderer.face
    oval_c = stream.renderer.lm_rest.mean(0)
    half = int(0.95 * max(f.fh, f.fw))
    cx, cy = int(oval_c[0]), int(oval_c[1] + 0.05 * f.fh)
    h, w = rgb.shape[:2]
    a, b = max(0, cy - half), min(h, cy + half)
    c, d = max(0, cx - half), min(w, cx + half)
    return cv2.resize(rgb[a:b, c:d], (240, 240), interpolation=cv2.INTER_AREA)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    bar = np.full((26, img.shape[1], 3), 24, np.uint8)
    cv2.putText(bar, text, (8, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (235, 235, 235), 1, cv2.LINE_AA)
    return np.vstack([bar, img])


def contact_sheet(image, out: Path, title: str) -> None:
    pcm, sr = _speech()
    stream = AvatarStream(image, size=(1280, 720), fps=25, seed=3)
    stream.push_audio(AudioChunk(pcm, sr, pts=0.0))
    # speaking: the frames of 'ask not what your country' with the widest spread of shapes
    speak_t = [3.40, 3.56, 3.72, 3.88, 4.04, 4.20]
    row1 = [_crop(stream, stream.frame_at(t).rgb) for t in speak_t]
    # a blink, well after the speech
    blink = next(b for b in stream.motion.blinks.upto(40.0) if b.start > 12.0)
    bt = np.linspace(blink.start - 0.04, blink.end + 0.02, 6)
    row2 = [_crop(stream, stream.frame_at(float(t)).rgb) for t in bt]
    # idle and listening (nods)
    stream.set_listening(True)
    idle_t = [20.0, 22.5, 25.0, 27.5, 30.0, 32.5]
    row3 = [_crop(stream, stream.frame_at(t).rgb) for t in idle_t]
    sheet = np.vstack([
        _label(np.hstack(row1), f"{title}: speaking (JFK clip, 3.40-4.20 s)"),
        _label(np.hstack(row2), f"blink ({blink.end - blink.start:.2f} s)"),
        _label(np.hstack(row3), "idle / listening (20-32.5 s)"),
    ])
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])


def quality() -> dict:
    """Lip sync (Pearson r, re-detected MAR vs speech RMS, best lag in frames) per subject."""
    import cv2 as _cv2
    from tests.avatar.measure import detect, envelope, mar, pearson_at_lags, speak

    from selfcast.avatar.landmarks import FaceLandmarker

    pcm, sr = _speech()
    img = _cv2.imread(str(testdata.astronaut_png(Path("/tmp"))))[:, :, ::-1]
    rot = _cv2.warpAffine(img, _cv2.getRotationMatrix2D((225, 125), 6.0, 1.0), (512, 512),
                          borderMode=_cv2.BORDER_REFLECT)
    subjects = {"astronaut": load_rig(np.ascontiguousarray(img)), "astronaut rotated 6°": load_rig(np.ascontiguousarray(rot))}
    for style, prompt in PROMPTS.items():
        subjects[f"generated {style}"] = load_rig(generate_avatar(prompt, style=style, seed=7))
    out = {}
    with FaceLandmarker() as lmk:
        for name, rig in subjects.items():
            stream = AvatarStream(rig, fps=25, seed=1)
            speak(stream, pcm, sr)
            n = int(len(pcm) / sr * 25)
            mars = np.array([mar(detect(lmk, stream, stream.frame_at(k / 25).rgb)) for k in range(n)])
            r = pearson_at_lags(mars, envelope(pcm, sr, 25, n), range(-3, 4))
            best = max(r, key=r.get)
            out[f"lipsync r ({name})"] = f"{r[best]:.3f} at lag {best}"
    return out


PROMPTS = {"cinematic": "a woman in her thirties with long auburn hair and a navy sweater, office",
           "anime": "young man with short black hair and a red jacket",
           "3d": "a friendly man with glasses, short brown hair and a beard, teal shirt"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sheets", type=Path, help="write contact sheets into this folder")
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument("--quality", action="store_true", help="also measure lip sync per subject")
    args = ap.parse_args()
    if args.sheets:
        contact_sheet(load_rig(testdata.astronaut_png(Path("/tmp"))), args.sheets / "avatar-astronaut.png", "astronaut")
        for style, prompt in PROMPTS.items():
            png = generate_avatar(prompt, style=style, seed=7)
            contact_sheet(load_rig(png), args.sheets / f"avatar-{style}.png", f"{style}: {prompt}")
            print(f"wrote {args.sheets / f'avatar-{style}.png'}")
    r = bench(args.frames)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        r.update(bench_offline(Path(tmp)))
    if args.quality:
        r.update(quality())
    for k, v in r.items():
        print(f"{k:32s} {v:.3f}" if isinstance(v, float) else f"{k:32s} {v}")


if __name__ == "__main__":
    main()
