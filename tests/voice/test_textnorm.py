"""The voice keeps each clause's punctuation (what text becomes before it: tests/test_speakable.py)."""

from __future__ import annotations

from selfcast.voice.phonemize import restore_punctuation


def test_clause_punctuation_is_restored_for_the_voice() -> None:
    assert restore_punctuation("Well, is it ready?", ["wˈɛl", "ɪz ɪt ɹˈɛdi"]) == "wˈɛl, ɪz ɪt ɹˈɛdi?"
