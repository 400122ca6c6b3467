"""The live video generator: phoneme refinement, barge-in, listening, determinism, sizes."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from selfcast.avatar.pose import Pose
from selfcast.avatar.stream import AvatarStream
from selfcast.errors import BadInput
from selfcast.media.frames import AudioChunk
from tests.avatar.measure import detect, mar, speak

FPS = 25


def _phones(librivox_dir):
    wav = sorted(librivox_dir.glob("*.wav"))[0]
    data = json.loads(wav.with_suffix(".phone.json").read_text())
    out = []
    for word in data["w"]:
        for ph in word.get("w", []):
            if ph["t"] != "SIL":
                out.append((ph["t"], ph["b"], ph["b"] + ph["d"]))
    return out


def test_phoneme_timings_close_the_mouth_for_m_b_p_and_round_it_for_o_u(
        astronaut_rig, landmarker, librivox_pcm, librivox_dir):
    pcm, sr = librivox_pcm
    phones = _phones(librivox_dir)
    stream = AvatarStream(astronaut_rig, fps=FPS, seed=1)
    speak(stream, pcm, sr, phonemes=phones)
    rest = mar(detect(landmarker, stream, stream.renderer.render(Pose())))
    bilabial = [(s + e) / 2 for p, s, e in phones if p in ("M", "B", "P") and e - s >= 0.04]
    assert len(bilabial) >= 4
    for t in bilabial:
        pose = stream.pose_at(t)
        assert pose.press > 0.5 and pose.jaw < 0.08, (t, pose)
        assert mar(detect(landmarker, stream, stream.frame_at(t).rgb)) < rest + 0.05
    rounded = [(s + e) / 2 for p, s, e in phones if p in ("OW", "UW", "AO") and e - s >= 0.06]
    assert rounded and max(stream.pose_at(t).round for t in rounded) > 0.5
    # the same audio without phonemes opens the mouth at some of those m/b/p moments
    plain = AvatarStream(astronaut_rig, fps=FPS, seed=1)
    speak(plain, pcm, sr)
    assert max(plain.pose_at(t).jaw for t in bilabial) > max(stream.pose_at(t).jaw for t in bilabial)


def test_estimated_phoneme_timings_leave_the_mouth_to_the_audio(astronaut_rig, librivox_pcm, librivox_dir):
    pcm, sr = librivox_pcm
    phones = _phones(librivox_dir)
    bilabial = [(s + e) / 2 for p, s, e in phones if p in ("M", "B", "P") and e - s >= 0.04]
    guessed = AvatarStream(astronaut_rig, fps=FPS, seed=1)
    speak(guessed, pcm, sr, phonemes=phones, timing="estimated")
    plain = AvatarStream(astronaut_rig, fps=FPS, seed=1)
    speak(plain, pcm, sr)
    for t in bilabial + [k / FPS for k in range(0, int(len(pcm) / sr * FPS), 7)]:
        assert guessed.pose_at(t) == plain.pose_at(t), t


def test_barge_in_closes_the_mouth_at_once_and_smoothly(astronaut_rig, landmarker, jfk_pcm):
    pcm, sr = jfk_pcm
    stream = AvatarStream(astronaut_rig, fps=FPS, seed=1)
    speak(stream, pcm, sr)
    # speak up to a moment of wide-open mouth, then a participant talks over us
    t_open = max((k / FPS for k in range(20, 60)), key=lambda t: stream.pose_at(t).jaw)  # queries only
    for k in range(int(t_open * FPS) + 1):
        stream.frame_at(k / FPS)
    assert stream.pose_at(t_open).jaw > 0.5
    stream.clear_buffer()
    after = [stream.pose_at(t_open + d).jaw for d in (0.04, 0.08, 0.12, 0.16, 0.2)]
    assert after[-1] < 0.02 and after[-2] < 0.05, after
    assert all(a >= b - 1e-6 for a, b in itertools.pairwise(after)), "closing must be monotonic"
    assert after[0] > 0.05, "and not a jump cut"
    assert mar(detect(landmarker, stream, stream.frame_at(t_open + 0.2).rgb)) < \
        mar(detect(landmarker, stream, stream.renderer.render(Pose()))) + 0.05
    # queued speech is gone: well after the cut the face idles with a closed mouth
    assert all(stream.pose_at(t_open + 0.3 + k / FPS).jaw == 0 for k in range(50))
    # new speech after the barge-in plays again
    stream.push_audio(AudioChunk(pcm[int(3.3 * sr):int(5.5 * sr)], sr, pts=t_open + 1.0))
    assert max(stream.pose_at(t_open + 1.0 + k / FPS).jaw for k in range(50)) > 0.5


def test_listening_adds_nods(astronaut_rig):
    idle = AvatarStream(astronaut_rig, seed=9)
    listen = AvatarStream(astronaut_rig, seed=9)
    listen.set_listening(True)
    ts = np.arange(0, 30, 1 / FPS)
    p_idle = np.array([idle.pose_at(t).pitch for t in ts])
    p_listen = np.array([listen.pose_at(t).pitch for t in ts])
    assert (p_listen - p_idle).max() > 0.02  # a nod dips the head
    assert np.allclose([idle.pose_at(t).blink_a for t in ts], [listen.pose_at(t).blink_a for t in ts])
    listen.set_listening(False)
    later = np.arange(40, 60, 1 / FPS)
    assert np.allclose([idle.pose_at(t).pitch for t in later], [listen.pose_at(t).pitch for t in later])


def test_same_seed_gives_same_frames_in_any_order_and_seeds_differ(astronaut_rig):
    a = AvatarStream(astronaut_rig, seed=11, size=(640, 360))
    b = AvatarStream(astronaut_rig, seed=11, size=(640, 360))
    c = AvatarStream(astronaut_rig, seed=12, size=(640, 360))
    fa = [a.frame_at(t).rgb for t in (0.5, 3.0, 7.25)]
    fb = [b.frame_at(t).rgb for t in (7.25, 3.0, 0.5)][::-1]
    for x, y in zip(fa, fb, strict=True):
        np.testing.assert_array_equal(x, y)
    sa = [round(bl.start, 3) for bl in a.motion.blinks.upto(60)]
    sc = [round(bl.start, 3) for bl in c.motion.blinks.upto(60)]
    assert sa != sc


def test_idle_face_without_speech_keeps_mouth_closed_and_lives(astronaut_rig):
    stream = AvatarStream(astronaut_rig, seed=3)
    poses = [stream.pose_at(k / FPS) for k in range(0, 30 * FPS)]
    assert max(p.jaw for p in poses) == 0
    assert np.ptp([p.yaw for p in poses]) > 0.005  # sway
    assert np.ptp([p.ty for p in poses]) > 0.002  # breathing
    assert np.ptp([p.gaze_x for p in poses]) > 0.1  # glances
    assert sum(1 for p, q in itertools.pairwise(poses) if p.blink_a == 0 < q.blink_a) >= 4


@pytest.mark.parametrize("size, fps", [((640, 360), 30), ((720, 1280), 25), ((1920, 1080), 25)])
def test_any_output_size_and_frame_rate(astronaut_rig, size, fps):
    stream = AvatarStream(astronaut_rig, size=size, fps=fps)
    frame = stream.frame_at(1.0)
    assert frame.size == size and frame.rgb.dtype == np.uint8 and frame.pts == 1.0
    # the head is framed: the face is centred horizontally and fills a sensible part of the height
    lm = stream.renderer.lm_rest
    assert abs(lm[:, 0].mean() - size[0] / 2) < 0.1 * size[0]
    assert 0.2 < np.ptp(lm[:, 1]) / size[1] < 0.6


def test_bad_stream_arguments_are_refused(astronaut_rig):
    with pytest.raises(BadInput):
        AvatarStream(astronaut_rig, fps=0)
    with pytest.raises(BadInput):
        AvatarStream(astronaut_rig, size=(10, 10))
    stream = AvatarStream(astronaut_rig)
    with pytest.raises(BadInput):
        stream.push_audio(AudioChunk(np.zeros(10, np.float32), 0))


def test_stereo_and_int_like_chunks_are_accepted(astronaut_rig, jfk_pcm):
    pcm, sr = jfk_pcm
    stream = AvatarStream(astronaut_rig)
    stereo = np.stack([pcm[: sr * 5], pcm[: sr * 5]], 1)
    stream.push_audio(AudioChunk(stereo, sr, pts=0.0, final=True))
    assert max(stream.pose_at(k / FPS).jaw for k in range(125)) > 0.5
    assert stream.speech_end == pytest.approx(5.0)


def test_frame_into_rewrites_only_the_face_region_of_one_buffer_and_draws_what_frame_at_draws(astronaut_rig, jfk_pcm):
    pcm, sr = jfk_pcm
    into = AvatarStream(astronaut_rig, size=(640, 360), seed=5)
    fresh = AvatarStream(astronaut_rig, size=(640, 360), seed=5)
    for s in (into, fresh):
        speak(s, pcm, sr)
    blink = next(b for b in into.motion.blinks.upto(20.0) if b.start > 0.5)
    canvas = into.canvas()
    x0, y0, x1, y1 = into.renderer.roi
    assert (x1 - x0) * (y1 - y0) < 0.6 * 640 * 360, "the face region is the part that changes, not the frame"
    outside = (0, 0) if x0 > 0 or y0 > 0 else (359, 639)
    canvas[outside] = (1, 2, 3)  # a mark outside the face region: it must survive every frame
    times = [3.4, 3.56, 3.72, blink.start + 0.05, blink.start + 0.1, 9.0, 3.6]
    for t in times:
        got = into.frame_into(t, canvas)
        assert got.rgb is canvas and got.pts == t
        want = fresh.frame_at(t).rgb
        assert tuple(canvas[outside]) == (1, 2, 3)
        np.testing.assert_array_equal(canvas[y0:y1, x0:x1], want[y0:y1, x0:x1])
    with pytest.raises(BadInput):
        into.frame_into(1.0, np.zeros((10, 10, 3), np.uint8))


def test_a_frame_never_waits_for_the_analysis_of_pushed_speech(astronaut_rig, jfk_pcm):
    """Speech is analysed outside the lock frames take: a frame asked for while a long chunk is
    being analysed on another thread comes back before that analysis ends."""
    import threading
    import time

    pcm, sr = jfk_pcm
    stream = AvatarStream(astronaut_rig, size=(640, 360), seed=5)
    stream.frame_at(0.0)
    long = np.tile(pcm, 12)  # ~2 minutes of speech in one chunk: a long analysis
    pushing = threading.Thread(target=stream.push_audio, args=(AudioChunk(long, sr, pts=1.0),))
    pushing.start()
    while not stream._analysis_lock.locked():
        time.sleep(0.0005)
    time.sleep(0.01)
    t0 = time.perf_counter()
    stream.frame_at(0.04)
    took = time.perf_counter() - t0
    still_analysing = pushing.is_alive()
    pushing.join()
    assert still_analysing, f"the frame ({took * 1000:.0f} ms) waited for the analysis to finish"
    assert stream.speech_end == pytest.approx(1.0 + len(long) / sr)
