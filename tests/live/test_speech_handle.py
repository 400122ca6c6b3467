"""What the conversation keeps of an utterance: only the words played before a barge-in."""

import asyncio

import numpy as np
import pytest

from selfcast.live.media_out import _Piece, _rewind
from selfcast.live.speech import SpeechHandle
from selfcast.media.frames import AudioChunk


def _handle() -> SpeechHandle:
    h = SpeechHandle("s1")
    h.schedule("The release is planned for Friday.", 10.0, 12.0)
    h.schedule("Maria leads the project and reviews every change.", 12.0, 13.0)
    h.schedule("Maria leads the project and reviews every change.", 13.0, 14.0)  # second chunk of it
    return h


def test_uncut_speech_is_heard_whole():
    h = _handle()
    assert len(h.sentences) == 2 and h.end == 14.0
    assert h.heard_text == h.text
    assert not h.interrupted


def test_barge_in_keeps_the_played_share_of_the_sentence_in_flight():
    h = _handle()
    h.cancel(13.0)  # half-way through the second sentence
    assert h.interrupted and h.cut_at == 13.0
    assert h.heard_text.startswith("The release is planned for Friday. Maria leads the project")
    assert "every change" not in h.heard_text
    assert h.result().interrupted is True
    assert abs(h.result().duration_s - 3.0) < 1e-6


def test_cancel_after_the_end_is_not_an_interruption():
    h = _handle()
    h.all_scheduled = True  # the speaker has nothing left to say
    h.cancel(20.0)
    assert not h.interrupted and h.heard_text == h.text


def test_cancel_in_a_pause_between_sentences_with_more_to_say_is_an_interruption():
    h = _handle()  # two sentences played; a third is still being voiced (a slow machine's gap)
    h.cancel(14.3)
    assert h.interrupted and h.heard_text == h.text


def test_wait_returns_when_finished():
    async def go():
        h = _handle()
        asyncio.get_running_loop().call_later(0.01, h.finish)
        assert (await h.wait(1.0)) is h and h.done

    asyncio.run(go())


def test_a_cancel_while_paused_cuts_where_the_pause_silenced_it():
    h = _handle()
    assert h.pause(12.5) and h.paused and h.halted and not h.cancel_requested
    assert not h.pause(12.7)  # already paused: the first silence stands
    h.cancel(13.6)  # the interruption is confirmed later
    assert h.cut_at == 12.5 and h.interrupted
    assert h.heard_text.startswith("The release is planned for Friday. Maria")
    assert "every change" not in h.heard_text


def test_resume_rewinds_to_the_start_of_the_sentence_in_flight():
    h = _handle()
    h.pause(13.0)  # half-way through the second sentence
    assert h.resume() and not h.paused and not h.halted
    assert h.rewind() == 1  # the first sentence was heard whole; the second is said again
    assert [s.text for s in h.sentences] == ["The release is planned for Friday."]
    assert not h.resume()  # nothing to resume any more


def test_the_last_sentence_scheduled_is_said_again_unless_it_is_known_to_be_complete():
    h = _handle()
    h.pause(14.2)  # after the second sentence's sound, but its next chunk may still be coming
    h.resume()
    assert h.rewind() == 1
    h2 = _handle()
    h2.all_scheduled = True
    h2.pause(14.2)
    h2.resume()
    assert h2.rewind() == 2


def test_nothing_is_paused_or_resumed_once_finished_or_cancelled():
    h = _handle()
    h.cancel(13.0)
    assert not h.pause(13.1) and not h.resume()
    done = _handle()
    done.finish()
    assert not done.pause(1.0)


def test_resumed_waits_for_a_resume_or_a_cancel():
    async def go():
        h = _handle()
        h.pause(12.0)
        asyncio.get_running_loop().call_later(0.01, h.resume)
        assert await asyncio.wait_for(h.resumed(), 1.0) is True
        h.pause(12.5)
        asyncio.get_running_loop().call_later(0.01, h.cancel, 13.0)
        assert await asyncio.wait_for(h.resumed(), 1.0) is False
        assert h.cut_at == 12.5

    asyncio.run(go())


def _tone(seconds: float, sr: int = 16_000) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * sr)) / sr)).astype(np.float32)


def _three_sentences() -> tuple[SpeechHandle, list[_Piece]]:
    sr = 16_000
    two = np.concatenate([_tone(0.6), np.zeros(int(0.2 * sr), np.float32), _tone(0.8)])  # a phrase pause at 0.6-0.8 s
    played = [_Piece("One.", AudioChunk(_tone(1.0), sr), origin=10.0),
              _Piece("Two, three.", AudioChunk(two, sr, meta={"phonemes": [("t", 0.0, 0.1), ("θ", 0.8, 0.9)]}), origin=11.0),
              _Piece("Four.", AudioChunk(_tone(0.5), sr), origin=12.6)]
    h = SpeechHandle("s")
    for p in played:
        h.schedule(p.text, p.origin, p.origin + p.chunk.duration)
    return h, played


def test_a_resume_takes_the_sentence_up_again_at_its_last_pause_between_phrases():
    h, played = _three_sentences()
    h.pause(12.0)  # 1.0 s into "Two, three.", after its phrase pause
    h.resume()
    again = _rewind(h, played)
    assert [p.text for p in again] == ["Two, three.", "Four."] and [p.text for p in played] == ["One."]
    assert again[0].chunk.duration == pytest.approx(0.9, abs=0.011)  # from the middle of the pause on
    assert again[0].chunk.meta["phonemes"] == [("θ", pytest.approx(0.1), pytest.approx(0.2))]
    assert [(s.text, s.end) for s in h.sentences] == [("One.", 11.0), ("Two, three.", pytest.approx(11.7))]


def test_a_resume_before_any_pause_between_phrases_says_the_sentence_again_from_its_start():
    h, played = _three_sentences()
    h.pause(11.3)
    h.resume()
    again = _rewind(h, played)
    assert [p.text for p in again] == ["Two, three.", "Four."] and again[0].chunk.duration == pytest.approx(1.6)
    assert [s.text for s in h.sentences] == ["One."]
