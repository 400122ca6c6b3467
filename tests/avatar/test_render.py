"""Offline render: MP4 with audio muxed and aligned, silent/1 ms/30 min audio, the CLI."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from selfcast.avatar.render import render_video
from selfcast.cli.main import main as cli
from selfcast.errors import BadInput
from selfcast.media.resample import resample


def _decode(path: Path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(v)]
    with av.open(str(path)) as c:
        a = c.streams.audio[0]
        first_pts = None
        chunks = []
        for f in c.decode(a):
            if first_pts is None:
                first_pts = float(f.pts * f.time_base)
            chunks.append(f.to_ndarray().reshape(-1))
        rate = a.sample_rate
    return frames, np.concatenate(chunks), rate, first_pts


@pytest.mark.slow
def test_render_writes_mp4_with_audio_aligned_to_the_sample(astronaut_rig, jfk_wav, tmp_path):
    out = tmp_path / "jfk.mp4"
    seen = []
    res = render_video(astronaut_rig, jfk_wav, out, fps=25, size=(640, 360), progress=lambda d, t: seen.append(d))
    assert res.frames == 275 and res.duration_s == pytest.approx(11.0)
    assert seen and seen[-1] == pytest.approx(11.0)
    frames, audio, rate, first_pts = _decode(out)
    assert len(frames) == 275 and frames[0].shape == (360, 640, 3)
    assert rate == 48000 and first_pts == 0.0
    src, sr = sf.read(jfk_wav, dtype="float32")
    ref = resample(src, sr, 48000)
    # cross-correlate a stretch of speech: the AAC priming must not shift the track
    seg = ref[48000 * 3: 48000 * 5]
    window = audio[48000 * 3 - 4800: 48000 * 5 + 4800]
    xc = np.correlate(window, seg, "valid")
    lag = int(np.argmax(xc)) - 4800
    assert abs(lag) <= 1, f"audio is {lag} samples ({lag / 48:.1f} ms) off"
    assert abs(len(audio) - len(ref)) < 2048


def test_silent_audio_renders_an_idle_face_with_closed_mouth(astronaut_rig, tmp_path):
    out = tmp_path / "silent.mp4"
    res = render_video(astronaut_rig, (np.zeros(16000 * 3, np.float32), 16000), out, size=(320, 180), progress=False)
    assert res.frames == 75
    from selfcast.avatar.stream import AvatarStream

    s = AvatarStream(astronaut_rig, size=(320, 180))
    assert max(s.pose_at(k / 25).jaw for k in range(75)) == 0
    frames, audio, _, _ = _decode(out)
    assert len(frames) == 75 and np.abs(audio).max() < 1e-3


def test_one_millisecond_of_audio_renders_one_frame(astronaut_rig, tmp_path):
    out = tmp_path / "blip.mp4"
    res = render_video(astronaut_rig, (np.full(16, 0.1, np.float32), 16000), out, size=(320, 180), progress=False)
    assert res.frames == 1
    frames, _, _, _ = _decode(out)
    assert len(frames) == 1


def test_not_audio_is_refused_and_leaves_no_file(astronaut_rig, astronaut_png, tmp_path):
    out = tmp_path / "x.mp4"
    with pytest.raises(BadInput):
        render_video(astronaut_rig, astronaut_png, out, progress=False)
    bogus = tmp_path / "speech.wav"
    bogus.write_bytes(b"RIFF....WAVEfmt nonsense")
    with pytest.raises(BadInput):
        render_video(astronaut_rig, bogus, out, progress=False)
    assert not out.exists() and not list(tmp_path.glob(".x.mp4*"))


def test_odd_video_size_is_refused(astronaut_rig, tmp_path):
    with pytest.raises(BadInput, match="even"):
        render_video(astronaut_rig, (np.zeros(1600, np.float32), 16000), tmp_path / "o.mp4", size=(321, 180),
                     progress=False)


def _long_wav(path: Path, minutes: float, sr: int = 16000) -> None:
    """Speech-like audio (bursts of voiced noise with pauses), written in one-minute pieces."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=sr, channels=1, subtype="PCM_16") as f:
        for _ in range(int(minutes)):
            t = np.arange(sr * 60) / sr
            syll = (np.sin(2 * np.pi * 3.5 * t) > 0) * (np.sin(2 * np.pi * 0.25 * t) > -0.5)
            x = rng.standard_normal(len(t)).astype(np.float32) * 0.05 + 0.2 * np.sin(2 * np.pi * 140 * t)
            f.write((x * syll).astype(np.float32))


@pytest.mark.slow
def test_thirty_minutes_of_speech_stream_in_bounded_memory(astronaut_rig, tmp_path):
    """The speech track keeps only seconds of features however long the audio is."""
    from selfcast.avatar.stream import AvatarStream
    from selfcast.media.frames import AudioChunk

    stream = AvatarStream(astronaut_rig, size=(320, 180))
    sr = 16000
    t = np.arange(sr) / sr
    second = (0.2 * np.sin(2 * np.pi * 140 * t) * (np.sin(2 * np.pi * 3.5 * t) > 0)).astype(np.float32)
    tracemalloc.start()
    peaks = []
    for s in range(30 * 60):
        stream.push_audio(AudioChunk(second, sr, pts=float(s)))
        for k in range(25):
            stream.pose_at(s + k / 25)
        stream.frame_at(s + 0.5) if s % 60 == 0 else None
        if s % 300 == 299:
            peaks.append(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    assert max(peaks) < 40e6, f"peak {max(peaks) / 1e6:.1f} MB"
    assert peaks[-1] < peaks[0] * 1.3 + 2e6, "memory must not grow with the length of the audio"


@pytest.mark.slow
def test_thirty_minute_file_renders_to_mp4_in_bounded_memory(astronaut_rig, tmp_path):
    wav = tmp_path / "long.wav"
    _long_wav(wav, 30)
    out = tmp_path / "long.mp4"
    tracemalloc.start()
    res = render_video(astronaut_rig, wav, out, fps=5, size=(160, 90), progress=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert res.duration_s == pytest.approx(1800, abs=0.1) and res.frames == 9000
    assert peak < 60e6, f"peak {peak / 1e6:.1f} MB for 30 minutes"
    with av.open(str(out)) as c:
        assert float(c.duration / 1e6) == pytest.approx(1800, abs=1)


@pytest.mark.slow
def test_cli_generates_an_avatar_and_renders_it(jfk_wav, tmp_path, monkeypatch):
    monkeypatch.setenv("SELFCAST_DATA_DIR", str(tmp_path / "data"))
    png = tmp_path / "me.png"
    assert cli(["generate-avatar", "--output", str(png), "--prompt", "woman with short black hair",
                "--style", "3d", "--seed", "5"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = tmp_path / "me.mp4"
    assert cli(["render", "--image", str(png), "--audio", str(jfk_wav), "--out", str(out),
                "--size", "320x180", "--fps", "30", "--quiet"]) == 0
    frames, _, _, _ = _decode(out)
    assert len(frames) == 330 and frames[0].shape == (180, 320, 3)
    assert list((tmp_path / "data" / "rigs").glob("rig-*.npz"))


def test_cli_bad_input_exits_with_code_2(tmp_path, jfk_wav):
    assert cli(["generate-avatar", "--output", str(tmp_path / "a.png"), "--style", "cartoon"]) == 2
    not_image = tmp_path / "face.png"
    not_image.write_text("hello")
    assert cli(["render", "--image", str(not_image), "--audio", str(jfk_wav), "--out",
                str(tmp_path / "o.mp4")]) == 2
    assert cli(["render", "--image", str(not_image), "--audio", str(jfk_wav), "--out",
                str(tmp_path / "o.mp4"), "--size", "big"]) == 2
