"""The embedded engine streams intelligible speech sentence by sentence, with phoneme timings."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from tests.voice import measure as M

from selfcast.voice import get_tts
from selfcast.voice.tts import EmbeddedTTS, speech_pieces


@pytest.fixture(scope="module")
def joe() -> EmbeddedTTS:
    tts = EmbeddedTTS(None, voice_id="joe")
    tts.synthesize("Warm up.")
    return tts


def test_stream_yields_one_chunk_per_sentence_with_timings(joe: EmbeddedTTS) -> None:
    chunks = list(joe.stream("Hello team. The API is ready, mostly! Any questions?"))
    assert [c.meta["text"] for c in chunks] == ["Hello team.", "The API is ready, mostly!", "Any questions?"]
    assert [c.meta["text"] for c in joe.stream("Thanks everyone for joining the weekly sync today.")] == [
        "Thanks everyone,", "for joining the weekly sync today."]
    assert [c.final for c in chunks] == [False, False, True]
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.pts == pytest.approx(prev.end)
    for c in chunks:
        assert c.sample_rate == 22050 and c.pcm.dtype == np.float32 and 0.3 < c.duration < 4
        ph = c.meta["phonemes"]
        assert ph and all(0 <= s < e <= c.duration + 1e-6 for _, s, e in ph)
        assert all(a[2] <= b[1] + 1e-6 for a, b in itertools.pairwise(ph))  # in order, no overlap


def test_long_first_sentence_is_cut_so_audio_starts_early() -> None:
    text = ("I finished the migration to the new database yesterday and the search page is now about "
            "thirty percent faster than before. Thanks.")
    pieces = speech_pieces(text)
    assert len(pieces[0]) <= 30 and len(pieces) == 3
    assert " ".join(pieces).replace(",", "").replace("  ", " ") == text.replace(",", "")


def test_first_audio_arrives_quickly(joe: EmbeddedTTS) -> None:
    """Generous bound for a shared 2-core CI box; bench/voice.py measures the 150 ms budget."""
    waits = []
    for s in ("Thanks everyone for joining today.", "Next week I want to focus on the billing dashboard."):
        t = time.perf_counter()
        next(iter(joe.stream(s)))
        waits.append(time.perf_counter() - t)
    assert min(waits) < 1.0


@pytest.mark.slow
def test_joe_is_intelligible_on_meeting_talk(joe: EmbeddedTTS) -> None:
    pcm = joe.synthesize(M.MEETING_PARAGRAPH)
    assert M.wer(M.MEETING_PARAGRAPH, M.transcribe(pcm, joe.sample_rate)) <= 0.10


def test_normalised_text_is_what_is_said(joe: EmbeddedTTS) -> None:
    pcm = joe.synthesize("Version 2.3 ships on March 14th at 10:30 AM.")
    heard = M.transcribe(pcm, joe.sample_rate).lower()
    assert "march" in heard and ("2.3" in heard or "two point three" in heard)


@pytest.mark.slow
def test_stock_radiant_girl_is_higher_and_still_intelligible(settings) -> None:  # type: ignore[no-untyped-def]
    tts = get_tts("English_radiant_girl", settings)
    pcm = tts.synthesize(M.MEETING_PARAGRAPH)
    assert M.pitch_stats(pcm, tts.sample_rate)["median_hz"] > 170
    assert M.wer(M.MEETING_PARAGRAPH, M.transcribe(pcm, tts.sample_rate)) <= 0.2


def test_closing_the_stream_midway_stops_cleanly(joe: EmbeddedTTS) -> None:
    """Barge-in closes the generator after the first sentence; nothing more is produced or raised."""
    it = joe.stream("First sentence here. Second sentence here. Third sentence here.")
    first = next(it)
    it.close()
    assert first.meta["text"] == "First sentence here." and not first.final
    with pytest.raises(StopIteration):
        next(it)
