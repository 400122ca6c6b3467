"""What the conversation keeps of an utterance: only the words played before a barge-in."""

import asyncio

from selfcast.live.speech import SpeechHandle


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
