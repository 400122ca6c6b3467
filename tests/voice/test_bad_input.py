"""Bad voice samples: each is a clear error (nothing saved) or, for odd-but-valid audio, a clean clone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from selfcast.errors import BadInput, TooLarge
from selfcast.media.audio_io import decode_audio, write_audio
from selfcast.media.resample import resample
from selfcast.voice.profiles import VoiceStore

RATE = 16000


@pytest.fixture(scope="module")
def speech(reader) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.concatenate([decode_audio(p, RATE)[0] for p in reader.train])


def _jfk(jfk_wav: Path) -> np.ndarray:
    return decode_audio(jfk_wav, RATE)[0]


def _assert_rejected(tmp_path: Path, path: Path, *words: str, kind: type[BadInput] = BadInput) -> None:
    store = VoiceStore(tmp_path / "voices")
    with pytest.raises(kind) as err:
        store.clone(path, "bad")
    msg = err.value.message
    assert path.name in msg or "sample rate" in msg, msg
    for w in words:
        assert w in msg, msg
    assert not store.root.exists() or not any(store.root.iterdir()), "a failed clone left files behind"
    assert store.list() == []


def test_five_seconds_of_speech_is_too_little(tmp_path: Path, speech: np.ndarray) -> None:
    p = write_audio(tmp_path / "short.wav", speech[: 5 * RATE], RATE)
    _assert_rejected(tmp_path, p, "of speech was found", "at least 15 s")


@pytest.mark.slow
def test_ten_minutes_is_too_long(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    p = write_audio(tmp_path / "long.mp3", (0.01 * rng.standard_normal(600 * 8000)).astype(np.float32), 8000)
    _assert_rejected(tmp_path, p, "10.0 minutes", "at most 5 minutes", kind=TooLarge)


def test_silence_is_rejected(tmp_path: Path) -> None:
    p = write_audio(tmp_path / "silence.wav", np.zeros(30 * RATE, np.float32), RATE)
    _assert_rejected(tmp_path, p, "silent")


def test_pure_noise_has_no_speech(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    p = write_audio(tmp_path / "noise.wav", (0.1 * rng.standard_normal(30 * RATE)).astype(np.float32), RATE)
    _assert_rejected(tmp_path, p, "no speech was found")


def test_music_has_no_speech(tmp_path: Path) -> None:
    t = np.arange(30 * RATE) / RATE
    notes = 220 * 2 ** (np.array([0, 4, 7, 12, 7, 4]) / 12)
    f = notes[(t * 2).astype(int) % len(notes)]
    phase = 2 * np.pi * np.cumsum(f) / RATE
    music = sum(0.15 / h * np.sin(h * phase) for h in range(1, 6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))
    p = write_audio(tmp_path / "song.mp3", music.astype(np.float32), RATE)
    _assert_rejected(tmp_path, p, "speech")


def test_clipped_audio_is_rejected(tmp_path: Path, speech: np.ndarray) -> None:
    loud = np.clip(speech * 8.0, -1.0, 1.0)
    p = write_audio(tmp_path / "clipped.wav", loud, RATE)
    _assert_rejected(tmp_path, p, "clipped", "input level lower")


def test_two_speakers_are_rejected(tmp_path: Path, speech: np.ndarray, jfk_wav: Path) -> None:
    jfk = _jfk(jfk_wav)
    both = np.concatenate([speech[: 9 * RATE], jfk, speech[9 * RATE:]])
    p = write_audio(tmp_path / "meeting.wav", both, RATE)
    _assert_rejected(tmp_path, p, "two different speakers")


def test_text_file_renamed_mp3_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "voice.mp3"
    p.write_text("Dear team, here are the notes from Monday.\n" * 50)
    _assert_rejected(tmp_path, p, "not a recognised audio")


def test_zero_byte_file_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "voice.m4a"
    p.write_bytes(b"")
    _assert_rejected(tmp_path, p, "empty (0 bytes)")


def test_sample_rate_out_of_range_is_rejected(tmp_path: Path, reader_sample: Path) -> None:
    store = VoiceStore(tmp_path / "voices")
    with pytest.raises(BadInput, match="8000-48000"):
        store.clone(reader_sample, "x", sample_rate=1000)
    assert store.list() == []


@pytest.mark.slow
def test_8khz_phone_audio_clones_cleanly(tmp_path: Path, speech: np.ndarray) -> None:
    phone = resample(speech, RATE, 8000)
    p = write_audio(tmp_path / "phone.wav", phone, 8000)
    profile = VoiceStore(tmp_path / "voices").clone(p, "phone")
    assert profile.metadata["source_rate"] == 8000 and profile.metadata["bandwidth_hz"] <= 4000
    from tests.voice import measure as M

    from selfcast.voice.tts import EmbeddedTTS, base_voice

    fs = base_voice().sample_rate
    pcm = EmbeddedTTS(profile.load_model(fs), voice_id=profile.voice_id).synthesize(M.MEETING_PARAGRAPH)
    spec = np.abs(np.fft.rfft(pcm)) ** 2
    freqs = np.fft.rfftfreq(len(pcm), 1 / fs)
    assert spec[freqs > 5000].sum() / spec.sum() > 1e-4  # the missing band is filled, not left dead
    assert M.wer(M.MEETING_PARAGRAPH, M.transcribe(pcm, fs)) <= 0.2


@pytest.mark.slow
def test_96khz_stereo_clones_cleanly_with_noise_reduction(tmp_path: Path, speech: np.ndarray) -> None:
    hi = resample(speech, RATE, 96000)
    rng = np.random.default_rng(3)
    noisy = hi + (0.01 * rng.standard_normal(len(hi))).astype(np.float32)
    import soundfile as sf

    p = tmp_path / "studio.flac"
    sf.write(p, np.stack([noisy, 0.8 * noisy], axis=1), 96000)
    profile = VoiceStore(tmp_path / "voices").clone(p, "studio", noise_reduction=True, sample_rate=48000)
    assert profile.metadata["source_rate"] == 96000 and profile.metadata["noise_reduction"] == "deepfilternet3"
    assert profile.sample_rate == 48000
    assert profile.metadata["snr_db_after_noise_reduction"] > profile.metadata["snr_db"]
    _kept, rate = decode_audio(profile.path / "sample.wav")
    assert rate == 48000
