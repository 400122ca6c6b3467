"""The one sentence splitter (selfcast.sentences), and its users: the brain cuts a streamed reply
and the voice cuts an utterance the same way."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from selfcast.brain.base import SENTENCE_MAX_CHARS, Brain, BrainContext, Turn, spoken
from selfcast.sentences import SentenceSplitter, split_sentences
from selfcast.settings import BrainSettings
from selfcast.voice.tts import speech_pieces

CASES = [
    ("Mr. Smith shipped v2.3 today. It is 3.5 times faster! Any questions?",
     ["Mr. Smith shipped v2.3 today.", "It is 3.5 times faster!", "Any questions?"]),
    ("Yes. We meet at 5 p.m. on Friday, e.g. after the demo. J. R. R. Tolkien wrote it.",
     ["Yes.", "We meet at 5 p.m. on Friday, e.g. after the demo.", "J. R. R. Tolkien wrote it."]),
    ("It costs 5. Then No. 5 wins. St. Louis is nice; Dr. Who agrees. It took 500 ms. Done.",
     ["It costs 5.", "Then No. 5 wins.", "St. Louis is nice;", "Dr. Who agrees.", "It took 500 ms.", "Done."]),
    ('He said "we ship Friday." Then he left. Really?! Wow.',
     ['He said "we ship Friday."', "Then he left.", "Really?!", "Wow."]),
    ("Here is the plan:\n- Install it\n- Run it\n\nThat is all.\n1. First step\n2. Second step",
     ["Here is the plan:", "Install it", "Run it", "That is all.", "1. First step", "2. Second step"]),
    ("Note: The server restarts tonight. see the log for details",
     ["Note:", "The server restarts tonight. see the log for details"]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sentences_end_where_a_reader_would_end_them(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def _pieces(text: str) -> list[list[str]]:
    """The ways a model streams text: words with their space before, words with their space after."""
    return [re.findall(r"\s*\S+", text), re.findall(r"\S+\s*", text)]


@pytest.mark.parametrize(("text", "expected"), [c for c in CASES if "see the log" not in c[0]])
def test_streamed_text_is_cut_exactly_as_the_whole_text(text: str, expected: list[str]) -> None:
    for pieces in _pieces(text):
        splitter, out = SentenceSplitter(), []
        for p in pieces:
            out += splitter.push(p)
        assert out + splitter.flush() == expected, pieces


def test_a_finished_sentence_is_given_out_at_once_and_an_open_number_waits() -> None:
    s = SentenceSplitter()
    assert s.push("Hello there.") == ["Hello there."]  # no waiting for the next piece
    assert s.push(" It costs 3.") == []  # "3." may be "3.5"
    assert s.push("5 dollars, or") == []
    assert s.push(" more! So") == ["It costs 3.5 dollars, or more!"]
    assert s.flush() == ["So"]


def test_a_long_sentence_is_cut_at_a_clause_before_the_limit_streamed_or_not() -> None:
    text = ("The migration moved every table to the new cluster over the weekend, the search page is now "
            "about thirty percent faster than before, and the dashboards load in under a second for "
            "everyone on the team. Thanks.")
    whole = split_sentences(text, max_chars=120)
    assert whole == [
        "The migration moved every table to the new cluster over the weekend,",  # the last comma before 120
        "the search page is now about thirty percent faster than before,",
        "and the dashboards load in under a second for everyone on the team.", "Thanks."]
    for pieces in _pieces(text):
        splitter, out = SentenceSplitter(120), []
        for p in pieces:
            out += splitter.push(p)
        assert out + splitter.flush() == whole


class _CannedBrain(Brain):
    name = "canned"

    def __init__(self, pieces: list[str]) -> None:
        super().__init__(BrainSettings())
        self.pieces = pieces

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        yield from self.pieces


def test_the_brain_and_the_voice_cut_a_reply_alike() -> None:
    reply = ("Sure. The first public release is planned for Friday, after the review. Mr. Lee signs it off; "
             "Ada writes the notes. Anything else?")
    streamed = list(_CannedBrain(re.findall(r"\s*\S+", reply)).reply([Turn("user", "When?")], BrainContext()))
    expected = split_sentences(reply, max_chars=SENTENCE_MAX_CHARS)
    assert streamed == [spoken(s) for s in expected] == expected
    assert speech_pieces(reply) == split_sentences(reply)  # a short first sentence is not cut again
