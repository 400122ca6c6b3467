"""Meeting talk becomes words a person would say."""

from __future__ import annotations

import pytest

from selfcast.voice.phonemize import restore_punctuation
from selfcast.voice.textnorm import normalize_text, number_words, ordinal_words


@pytest.mark.parametrize(("text", "spoken"), [
    ("We grew 1,250 users", "We grew one thousand two hundred fifty users"),
    ("It costs $4.50", "It costs four dollars and fifty cents"),
    ("Raised $2.5M", "Raised two point five million dollars"),
    ("Ship v2.3 today", "Ship version two point three today"),
    ("See you at 10:30 AM", "See you at ten thirty A M"),
    ("Due 2026-03-14", "Due March fourteenth, twenty twenty-six"),
    ("on March 3rd", "on March third"),
    ("up 30%", "up thirty percent"),
    ("The API uses SQL", "The A P I uses sequel"),
    ("call get_user_id now", "call get user id now"),
    ("fix parseConfig please", "fix parse Config please"),
    ("read https://docs.example.com/setup", "read docs dot example dot com slash setup"),
    ("the 21st item", "the twenty-first item"),
])
def test_meeting_talk_is_spoken_out(text: str, spoken: str) -> None:
    assert normalize_text(text) == spoken


def test_number_words() -> None:
    assert number_words(0) == "zero"
    assert number_words(1_000_001) == "one million one"
    assert ordinal_words(40) == "fortieth"
    assert ordinal_words(12) == "twelfth"


def test_clause_punctuation_is_restored_for_the_voice() -> None:
    assert restore_punctuation("Well, is it ready?", ["wˈɛl", "ɪz ɪt ɹˈɛdi"]) == "wˈɛl, ɪz ɪt ɹˈɛdi?"
