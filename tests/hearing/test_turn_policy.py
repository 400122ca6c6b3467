"""The text side of turn-taking: completeness cues, backchannels, names, addressing."""

import pytest

from selfcast.hearing import turns


@pytest.mark.parametrize("text,cue", [
    ("What's the status of the API refactor?", "complete"),
    ("which test is failing right now.", "complete"),
    ("So I wanted to ask about the...", "incomplete"),
    ("What's the status of the refactor and, um", "incomplete"),
    ("and the", "incomplete"),
    ("how is the rollout going", "complete"),
    ("the rollout", "unknown"),
    # a trailing mark over words that do not trail off: the recogniser clipped the last word
    ("Where are the readings kept...", "complete"),
    ("Who leads the project…", "complete"),
    ("the rollout is going fine,", "unknown"),
    ("So I wanted to ask about the rollout, and", "incomplete"),
])
def test_completeness_cue(text, cue):
    assert turns.completeness(text) == cue


@pytest.mark.parametrize("text", ["Uh-huh.", "Mm-hmm.", "Yeah.", "Right, okay.", "Yeah, got it."])
def test_backchannels_are_recognised(text):
    assert turns.is_backchannel(text)


@pytest.mark.parametrize("text", ["Wait, stop.", "Yeah, but what about the tests?", "No."])
def test_real_interjections_are_not_backchannels(text):
    assert not turns.is_backchannel(text)


def test_bot_name_is_found_despite_recognition_spelling():
    assert turns.mentions_name("Robyn, what's the status?", "Robin")
    assert turns.mentions_name("hey robin can you", "Robin")
    assert not turns.mentions_name("we should rob the bank", "Robin")


def test_addressing_policy():
    a = turns.Addressing(bot_name="Robin", participants=4)
    assert a.decide("I think we should order pizza.", t=10, last_bot_reply_end=None) == (False, "group chatter")
    assert a.decide("Robin, what's the status?", t=10, last_bot_reply_end=None) == (True, "named")
    assert a.decide("And when will it ship?", t=12, last_bot_reply_end=9.0) == (True, "follow-up")
    assert a.decide("And when will it ship?", t=30, last_bot_reply_end=9.0)[0] is False
    one = turns.Addressing(bot_name="Robin", participants=2)
    assert one.decide("What's the status?", t=1, last_bot_reply_end=None) == (True, "one-to-one")


def test_word_error_rate():
    from tests.hearing.wer import wer

    assert wer("And so, my fellow Americans", "and so my fellow americans") == 0.0
    assert wer("he was not an ill disposed young man", "He was not an ill-disposed young man.") == 0.0
    assert wer("a b c d", "a x c") == 0.5


def test_recognition_tidy_joins_acronyms_and_cuts_the_short_window_echo():
    from selfcast.hearing.asr import _tidy

    assert _tidy("who is working on the a p i refactor") == "who is working on the API refactor"
    assert _tidy("What's the status of the API refactor? What's the") == "What's the status of the API refactor?"
    assert _tidy("who is working on the API refactor. Who was working on") == "who is working on the API refactor."
    assert _tidy("It works. It works fine.") == "It works. It works fine."
    assert _tidy("Why? Why?") == "Why?" and _tidy("Why? Why") == "Why?"  # Whisper base's echo of a short question
    assert _tidy("No, no.") == "No, no."


@pytest.mark.parametrize("text", ["Mm-hm.", "Mhmm.", "Yup, got it.", "Alright.", "I see."])
def test_more_backchannels(text):
    assert turns.is_backchannel(text) and turns.interruption(text) == "backchannel"


@pytest.mark.parametrize("text,kind", [
    # taking the floor: the bot yields in silence
    ("Wait, sorry, let me stop you there.", "floor"),
    ("Stop, stop. Wait a moment please.", "floor"),
    ("Hold on.", "floor"),
    ("Okay, hang on.", "floor"),
    ("Wait, give me a second.", "floor"),
    ("One second, let me check something.", "floor"),
    ("Actually, it's Monday now.", "floor"),
    ("Wait, stop, I have a different question about the budget.", "floor"),
    ("Oh wait, sorry.", "floor"),
    # asking for the floor: "Sure, go ahead." and nothing more
    ("Sorry, can I jump in?", "permission"),
    ("Could I interrupt for a second?", "permission"),
    ("Can I ask you something?", "permission"),
    # questions (and anything else) are turns: answered as usual
    ("Wait, when is the demo?", "turn"),
    ("Wait. When's the demo?", "turn"),
    ("Hold on, is that the final date?", "turn"),
    ("Actually, what about the tests?", "turn"),
    ("Can I ask when the demo is?", "turn"),
    ("Sorry, what?", "turn"),
    ("Wait, Friday?", "turn"),
    ("Hold on, hold on, tell me about the demo.", "turn"),
    ("No, the demo is on Friday.", "turn"),
])
def test_what_an_interruption_asks_of_the_bot(text, kind):
    assert turns.interruption(text) == kind
