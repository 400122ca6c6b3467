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
