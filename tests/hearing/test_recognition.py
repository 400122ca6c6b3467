"""Recognition accuracy of the embedded recogniser (Whisper base, the default) on public-domain
recordings, and that it is the better ear than the tiny.en it replaced (``bench/asr.py`` has the
per-clip figures)."""

from pathlib import Path

import soundfile as sf

from selfcast.hearing.asr import WhisperASR
from selfcast.hearing.asr.whisper import TINY_EN, default_model_dir
from tests.hearing.wer import wer
from tests.testdata import JFK_TEXT


def librivox_wer(asr: WhisperASR, librivox_dir: Path) -> list[float]:
    rates = []
    for wav in sorted(librivox_dir.glob("*.wav")):
        pcm, sr = sf.read(wav, dtype="float32")
        assert sr == 16_000
        rates.append(wer(wav.with_suffix(".txt").read_text(), asr.transcribe(pcm)))
    assert len(rates) == 5
    return rates


def test_the_default_recogniser_is_whisper_base(whisper):
    assert whisper.model_path == str(default_model_dir()) and whisper.multilingual


def test_jfk_is_recognised_word_for_word(whisper, jfk_wav):
    pcm, sr = sf.read(jfk_wav, dtype="float32")
    assert sr == 16_000
    assert wer(JFK_TEXT, whisper.transcribe(pcm)) <= 0.02


def test_librivox_reader_is_recognised_closely_and_better_than_tiny_en(whisper, librivox_dir: Path):
    base = librivox_wer(whisper, librivox_dir)
    assert sum(base) / len(base) <= 0.06, base  # measured 0.036 (one word in 0880, one in 0920)
    tiny = WhisperASR(TINY_EN)
    try:
        small = librivox_wer(tiny, librivox_dir)
    finally:
        tiny.close()
    assert sum(base) < sum(small), (base, small)  # tiny.en: 0.089 ("old-sposed" twice)
