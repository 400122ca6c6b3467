"""Recognition accuracy of the embedded Whisper tiny.en on public-domain recordings."""

from pathlib import Path

import soundfile as sf

from tests.hearing.wer import wer
from tests.testdata import JFK_TEXT


def test_jfk_is_recognised_word_for_word(whisper, jfk_wav):
    pcm, sr = sf.read(jfk_wav, dtype="float32")
    assert sr == 16_000
    assert wer(JFK_TEXT, whisper.transcribe(pcm)) <= 0.05


def test_librivox_reader_is_recognised_closely(whisper, librivox_dir: Path):
    rates = []
    for wav in sorted(librivox_dir.glob("*.wav")):
        pcm, sr = sf.read(wav, dtype="float32")
        assert sr == 16_000
        rates.append(wer(wav.with_suffix(".txt").read_text(), whisper.transcribe(pcm)))
    assert len(rates) == 5
    assert sum(rates) / len(rates) <= 0.15, rates
