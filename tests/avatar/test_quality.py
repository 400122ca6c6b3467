"""Measured quality on real speech and real/generated faces: lip sync, identity, background, blinks.

Each subject is rendered through the live ``AvatarStream`` and its frames are re-measured with
MediaPipe, independently of what the renderer thinks it drew.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from selfcast.avatar import landmarks as L
from selfcast.avatar.pose import Pose
from selfcast.avatar.stream import AvatarStream
from tests.avatar.measure import detect, envelope, mar, pearson_at_lags, speak

# every subject rendered and re-measured with MediaPipe: about half a minute
pytestmark = pytest.mark.slow

FPS = 25
SUBJECTS = ["astronaut", "astronaut-cropped", "astronaut-rescaled", "astronaut-rotated",
            "generated-cinematic", "generated-anime", "generated-3d"]


def _lipsync(stream, landmarker, pcm, sr, seconds):
    pcm = pcm[: int(seconds * sr)]
    speak(stream, pcm, sr)
    n = int(len(pcm) / sr * FPS)
    mars = np.array([mar(detect(landmarker, stream, stream.frame_at(k / FPS).rgb)) for k in range(n)])
    env = envelope(pcm, sr, FPS, n)
    return mars, env


@pytest.mark.parametrize("subject", SUBJECTS)
def test_lip_sync_follows_jfk_and_mouth_is_closed_in_silence(subject, subjects, landmarker, jfk_pcm):
    pcm, sr = jfk_pcm
    stream = AvatarStream(subjects[subject], fps=FPS, seed=1)
    seconds = 11.0 if subject == "astronaut" else 6.5
    mars, env = _lipsync(stream, landmarker, pcm, sr, seconds)
    assert np.isnan(mars).mean() < 0.02, "the face must stay detectable on nearly every frame"
    r = pearson_at_lags(mars, env, range(-4, 5))
    best = max(r, key=r.get)
    assert abs(best) <= 1, f"best lag {best} frames: {r}"
    assert r[best] >= 0.7, f"Pearson {r[best]:.2f} at lag {best}"
    # silence: frames whose audio (and the 80 ms around it) is below -40 dBFS
    db = 20 * np.log10(np.maximum(env, 1e-6))
    quiet = np.array([db[max(0, k - 2):k + 3].max() < -40 for k in range(len(db))])
    assert quiet.sum() >= 5
    rest = mar(detect(landmarker, stream, stream.renderer.render(Pose())))
    assert np.nanmax(mars[quiet]) < rest + 0.05, "mouth must be closed in silences"
    assert np.nanpercentile(mars[~quiet], 90) > rest + 0.15, "mouth must really open in speech"


def test_lip_sync_follows_a_second_real_voice(subjects, landmarker, librivox_pcm):
    pcm, sr = librivox_pcm
    stream = AvatarStream(subjects["astronaut"], fps=FPS, seed=2)
    mars, env = _lipsync(stream, landmarker, pcm, sr, 7.0)
    r = pearson_at_lags(mars, env, range(-1, 2))
    assert max(r.values()) >= 0.7, r


def _idle_frames(stream, times):
    return [(t, stream.pose_at(t), stream.frame_at(t).rgb) for t in times]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_identity_and_background_hold_while_idle(subject, subjects, landmarker):
    stream = AvatarStream(subjects[subject], fps=FPS, seed=3)
    stream.set_listening(True)  # nods included: the most head motion there is
    ref = detect(landmarker, stream, stream.renderer.stage.background)
    assert ref is not None
    face = L.face_size(ref)
    times = [t for t in np.linspace(1, 119, 60) if stream.motion.blink_amount(t) == 0][:10]
    errs, bg_diffs = [], []
    st = stream.renderer.stage
    lm0 = st.landmarks[:, :2]
    c = lm0[L.FACE_OVAL].mean(0)
    fh, fw = stream.renderer.face.fh, stream.renderer.face.fw
    yy, xx = np.mgrid[0:st.background.shape[0], 0:st.background.shape[1]]
    head = ((xx - c[0]) / (1.5 * fw / 2 + 0.45 * fw)) ** 2 + ((yy - c[1] + 0.15 * fh) / (0.85 * fh + 0.3 * fh)) ** 2 < 1
    outside = ~head
    grey0 = st.background.astype(np.float32).mean(2)
    for _t, pose, rgb in _idle_frames(stream, times):
        assert pose.jaw < 0.02 and pose.blink_a == 0
        lm = detect(landmarker, stream, rgb)
        assert lm is not None
        errs.append(np.linalg.norm(lm[:, :2] - ref[:, :2], axis=1).mean() / face)
        bg_diffs.append(np.abs(rgb.astype(np.float32).mean(2) - grey0)[outside].mean())
    assert max(errs) < 0.02, f"landmarks moved {max(errs):.3%} of the face size"
    assert np.mean(bg_diffs) < 1.0, f"background outside the head moved {np.mean(bg_diffs):.2f} grey levels"


def test_blinks_are_natural_over_two_idle_minutes(subjects):
    stream = AvatarStream(subjects["astronaut"], fps=FPS, seed=4)
    blinks = [b for b in stream.motion.blinks.upto(120.0) if b.start < 120.0]
    assert 20 <= len(blinks) <= 50, f"{len(blinks)} blinks in 2 minutes"
    assert all(b.end - b.start <= 0.4 for b in blinks)
    gaps = np.diff([b.start for b in blinks])
    assert gaps.std() / gaps.mean() > 0.2, "blinks must not tick like a clock"
    # the schedule shows up in the frames: sampled at 25 fps, closed frames come in short runs
    amounts = np.array([stream.motion.blink_amount(k / FPS) for k in range(120 * FPS)])
    closed = amounts > 0.5
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], closed.astype(int), [0]]))))[::2]
    assert len(runs) >= 20 and runs.max() * 1000 / FPS <= 400


@pytest.mark.parametrize("subject", ["astronaut", "astronaut-rotated", "generated-cinematic", "generated-3d"])
def test_rendered_lids_close_during_blinks(subject, subjects, landmarker):
    stream = AvatarStream(subjects[subject], fps=FPS, seed=5)
    open_ear = L.eye_aspect_ratio(detect(landmarker, stream, stream.renderer.render(Pose())))
    blinks = stream.motion.blinks.upto(40.0)
    # blinks with a clear second before them (a double blink's second half has none)
    lone = [b for prev, b in itertools.pairwise(blinks) if b.start - prev.end > 1.0][:3]
    for b in lone:
        peak = b.start + b.close + b.hold / 2
        closed = L.eye_aspect_ratio(detect(landmarker, stream, stream.frame_at(peak).rgb))
        before = L.eye_aspect_ratio(detect(landmarker, stream, stream.frame_at(b.start - 0.3).rgb))
        assert closed < 0.6 * open_ear, f"lids at blink peak: EAR {closed:.3f} vs open {open_ear:.3f}"
        assert before > 0.8 * open_ear
