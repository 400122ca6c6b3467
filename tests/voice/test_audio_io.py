"""Audio in and out: every user format decodes to the same speech; errors name file and problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from selfcast.errors import BadInput
from selfcast.media.audio_io import (
    decode_audio,
    encode_wav,
    integrated_loudness,
    normalize_loudness,
    probe_audio,
    write_audio,
)
from selfcast.media.resample import StreamResampler, resample


@pytest.fixture(scope="module")
def jfk(jfk_wav: Path) -> np.ndarray:
    return decode_audio(jfk_wav)[0]


def _best_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak normalised cross-correlation (codecs add or trim a few hundred samples at the start)."""
    from scipy.signal import correlate

    c = correlate(b, a, mode="full", method="fft")
    return float(np.max(np.abs(c)) / np.sqrt(np.sum(a * a) * np.sum(b * b)))


@pytest.mark.parametrize("ext", [".wav", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".webm", ".mp4",
                                 ".mov", ".mkv", ".wma"])
def test_every_user_format_decodes_to_the_same_speech(ext: str, jfk: np.ndarray, tmp_path: Path) -> None:
    path = write_audio(tmp_path / f"jfk{ext}", jfk, 16000)
    pcm, rate = decode_audio(path, 16000)
    assert rate == 16000 and pcm.dtype == np.float32 and pcm.ndim == 1
    assert abs(len(pcm) - len(jfk)) < 0.1 * 16000
    assert _best_corr(jfk, pcm) > 0.9  # same waveform, give or take codec delay


def test_stereo_96k_is_downmixed_and_resampled(jfk: np.ndarray, tmp_path: Path) -> None:
    import soundfile as sf

    hi = resample(jfk, 16000, 96000)
    sf.write(tmp_path / "st.wav", np.stack([hi, 0.5 * hi], axis=1), 96000)
    info = probe_audio(tmp_path / "st.wav")
    assert (info.sample_rate, info.channels) == (96000, 2)
    pcm, rate = decode_audio(tmp_path / "st.wav", 16000)
    assert rate == 16000 and abs(len(pcm) - len(jfk)) <= 2
    assert np.corrcoef(pcm, jfk[: len(pcm)])[0, 1] > 0.99
    assert np.sqrt(np.mean(pcm ** 2)) == pytest.approx(0.75 * np.sqrt(np.mean(jfk ** 2)), rel=0.05)


def test_bytes_decode_like_files(jfk: np.ndarray) -> None:
    pcm, rate = decode_audio(encode_wav(jfk, 16000))
    assert rate == 16000 and np.max(np.abs(pcm - jfk)) < 1e-3


def test_errors_name_the_file_and_the_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("these are my meeting notes, not audio\n" * 20)
    cases = {empty: "empty (0 bytes)", text: "not a recognised audio", tmp_path / "missing.wav": "does not exist"}
    for path, words in cases.items():
        with pytest.raises(BadInput) as err:
            decode_audio(path)
        assert path.name in err.value.message and words in err.value.message


def test_video_without_audio_says_no_audio_stream(tmp_path: Path) -> None:
    import av

    path = tmp_path / "silent.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("mpeg4", rate=5)
        s.width = s.height = 64
        s.pix_fmt = "yuv420p"
        for _ in range(5):
            f = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    with pytest.raises(BadInput, match="no audio stream"):
        decode_audio(path)


def test_loudness_normalisation_reaches_target(jfk: np.ndarray) -> None:
    quiet = jfk * 0.05
    out = normalize_loudness(quiet, 16000, -20.0)
    assert integrated_loudness(out, 16000) == pytest.approx(-20.0, abs=0.5)
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-6
    assert np.all(normalize_loudness(np.zeros(16000, np.float32), 16000) == 0)


def test_streaming_resampler_matches_whole_buffer(jfk: np.ndarray) -> None:
    rs = StreamResampler(16000, 48000)
    parts = [rs.process(jfk[i:i + 1234]) for i in range(0, len(jfk), 1234)] + [rs.flush()]
    streamed = np.concatenate(parts)
    whole = resample(jfk, 16000, 48000)
    assert abs(len(streamed) - len(whole)) <= 3
    n = min(len(streamed), len(whole))
    assert np.corrcoef(streamed[:n], whole[:n])[0, 1] > 0.999
