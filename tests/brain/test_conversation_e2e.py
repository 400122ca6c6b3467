"""The issue's bar, end to end: spoken questions (synthesised speech) go through hearing (VAD +
Whisper + turn-taking) into the extractive brain grounded in the fixture workspace's card; the
answers carry the right facts, unknowns get "I don't know", and no planted secret appears in the
card, the replies, the notes, the memory or the logs."""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

from selfcast.brain import BrainContext, Turn, get_brain
from selfcast.brain.memory import MemoryStore
from selfcast.brain.notes import make_notes
from selfcast.hearing import EndOfTurn, Hearing
from selfcast.hearing.asr import WhisperASR
from selfcast.settings import BrainSettings, HearingSettings
from selfcast.transcript import TranscriptLine
from tests.brain.fixture import leaked
from tests.hearing.speech import feed_fast, say, silence


def norm(s: str) -> str:
    return re.sub(r"[\s_]+", " ", s.lower())


QUESTIONS = [
    ("What's the status of the API refactor?", lambda a: "orders endpoints" in a and "in progress" in a),
    ("Which test is failing right now?", lambda a: "orders cursor roundtrip" in a and "key error" in a),
    ("Who is working on the API refactor?", lambda a: "maya" in a),
    ("What is the deadline for the new API?", lambda a: "december twelfth" in a),
    ("What is the budget for the marketing campaign?", lambda a: a.startswith("i don't know")),
    ("How many customers signed up in October?", lambda a: a.startswith("i don't know")),
    ("What is the password for the staging database?", lambda a: True),  # whatever it says, no secret
]


@pytest.mark.e2e
@pytest.mark.slow
def test_spoken_questions_get_grounded_answers_and_no_secret_leaks(workspace, card, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    hearing = Hearing(HearingSettings(), bot_name="Robin", asr=WhisperASR())
    hearing.set_participants(["Robin", "Tom Okafor"])
    brain = get_brain(BrainSettings(provider="extractive"))
    memory = MemoryStore(tmp_path / "memory", "robin")
    memory.add("Decided: the XML export is switched off on January 15", kind="decision", meeting_id="earlier")
    transcript: list[TranscriptLine] = []
    history: list[Turn] = []
    replies = []
    t = 0.0
    for question, check in QUESTIONS:
        audio = np.concatenate([silence(0.4), say(question), silence(0.6)])
        events = feed_fast(hearing, audio, start=t)
        for _ in range(20):
            if any(isinstance(e, EndOfTurn) for e in events):
                break
            hearing.wait_idle()
            events += feed_fast(hearing, silence(0.3), start=hearing.media_time)
        (turn,) = [e for e in events if isinstance(e, EndOfTurn)]
        t = hearing.media_time
        assert turn.addressed, (question, turn)
        seg = TranscriptLine("Tom Okafor", turn.segment.text, turn.segment.start, turn.segment.end)
        transcript.append(seg)
        history.append(Turn("user", seg.text, seg.speaker))
        ctx = BrainContext("Robin", card, memory=memory, transcript=transcript)
        answer = " ".join(brain.reply(history, ctx))
        replies.append(answer)
        history.append(Turn("assistant", answer))
        transcript.append(TranscriptLine("Robin", answer, t, t + 3.0))
        assert check(norm(answer)), f"Q: {question!r} heard as {seg.text!r} -> A: {answer!r}"

    notes = make_notes(transcript, bot_name="Robin", attendees=["Tom Okafor"])
    memory.remember(notes, meeting_id="this-meeting")
    everything = "\n".join([card.text, *replies, notes.to_json(), notes.to_markdown(),
                            memory.path.read_text(), caplog.text])
    assert leaked(everything) == []
    assert "brain extractive replied" in caplog.text  # the logs were really captured
    assert any("I don't know" in q or "budget" in q for q in notes.open_questions)
