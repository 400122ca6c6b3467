"""A reply needs real speech: room tone, noise, music, coughs, typing and hums heard by Silero VAD
and Whisper base never become a turn, while short real questions ("Why?", "And you?") do.

Everything here runs the real models on real or synthesised audio. Most of these sounds never
open a segment (Silero rejects them); the voiced ones do, Whisper writes words for them ("I",
"uh", "Oh"), and the speech gate is what keeps those words out of the conversation: the tests
check that it was the gate, not luck, by looking at what the recogniser wrote.
"""

from __future__ import annotations

import numpy as np
import pytest

from selfcast.hearing import EndOfTurn, Hearing
from selfcast.hearing.speechgate import GateRules, SegmentEvidence, judge, level_dbfs, silence_phrase
from selfcast.settings import HearingSettings, TurnOptions
from tests.hearing import noises
from tests.hearing.speech import SR, feed_fast, say, silence

NON_SPEECH = {
    "room tone": lambda: silence(3.0),
    "white noise": lambda: noises.white(3.0, 0.2),
    "pink noise": lambda: noises.pink(3.0, 0.6),
    "music": lambda: noises.music(4.0, 0.8),
    "music under a fan": lambda: noises.music(4.0) + noises.pink(4.0, 0.1),
    "a cough": lambda: noises.cough(0.95),
    "a voiced cough": noises.voiced_cough,
    "a coughing fit": noises.coughing_fit,
    "typing": lambda: noises.typing(3.0, 0.9),
    "a hum": noises.hum,
}
VOICED = ["a voiced cough", "a coughing fit", "a hum"]
SHORT_QUESTIONS = [("Why?", "joe"), ("And you?", "joe"), ("Really?", "joe"), ("How come?", "joe"), ("Why?", "en-us")]


def make(whisper, gate: GateRules | None = None) -> Hearing:
    return Hearing(HearingSettings(), turns=TurnOptions(), bot_name="Robin", asr=whisper, gate=gate)


def hear(h: Hearing, *pieces: np.ndarray) -> list[EndOfTurn]:
    """Each piece fed, then silence until its decode is in and its turn (if any) has ended: what a
    live call does between a question and a cough a second later."""
    turns: list[EndOfTurn] = []
    for pcm in pieces:
        events = feed_fast(h, np.concatenate([pcm, silence(0.6)]), start=h.media_time)
        for _ in range(8):
            h.wait_idle()
            events += feed_fast(h, silence(0.3), start=h.media_time)
            if any(isinstance(e, EndOfTurn) for e in events):
                break
        turns += [e for e in events if isinstance(e, EndOfTurn)]
    turns += [e for e in h.flush() if isinstance(e, EndOfTurn)]
    return turns


def test_after_a_question_noise_music_coughs_and_typing_get_no_reply(whisper):
    """One meeting: a question, then every non-speech sound in turn. Only the question is a turn."""
    h = make(whisper)
    try:
        turns = hear(h, silence(0.3), say("What's the status of the API refactor?"),
                     *(make_sound() for make_sound in NON_SPEECH.values()))
    finally:
        h.close()
    spoken = [t for t in turns if t.segment.text.strip()]
    assert [t.addressed for t in spoken] == [True], [(t.segment.text, t.reason) for t in turns]
    assert "refactor" in spoken[0].segment.text.lower()
    assert all(not t.addressed and not t.segment.text for t in turns[1:])


@pytest.mark.parametrize("name", sorted(NON_SPEECH))
def test_no_non_speech_sound_becomes_a_turn(whisper, name):
    h = make(whisper)
    try:
        turns = hear(h, silence(0.5), NON_SPEECH[name]())
    finally:
        h.close()
    assert not [t for t in turns if t.addressed or t.segment.text.strip()], \
        [(t.segment.text, t.reason, t.evidence) for t in turns]
    if name in VOICED:  # these trip the VAD and Whisper writes words for them: the gate stops them
        assert turns and all(t.reason.startswith("not speech") and t.evidence is not None and t.evidence.text
                             for t in turns), [(t.reason, t.evidence) for t in turns]


@pytest.mark.parametrize("name", VOICED)
def test_without_the_gate_the_invented_words_would_be_heard(whisper, name):
    """The control: the same audio with every threshold open puts Whisper's words in the transcript."""
    wide_open = GateRules(min_voiced_s=0.0, max_no_speech_prob=1.01, clear_max_no_speech_prob=1.01,
                          doubt_no_speech_prob=1.01, quiet_dbfs=-500.0)
    h = make(whisper, wide_open)
    try:
        turns = hear(h, silence(0.5), NON_SPEECH[name]())
    finally:
        h.close()
    assert any(t.segment.text.strip() for t in turns), [(t.segment.text, t.reason) for t in turns]


@pytest.mark.parametrize(("question", "voice"), SHORT_QUESTIONS)
def test_short_real_questions_still_get_a_reply(whisper, question, voice):
    h = make(whisper)
    try:
        turns = hear(h, silence(0.4), say(question, voice=voice))
    finally:
        h.close()
    (turn,) = turns
    assert turn.addressed, (turn.reason, turn.evidence)
    assert turn.segment.text.lower().split()[0].strip("?.,!") == question.lower().split()[0].strip("?")


def test_thank_you_said_aloud_is_a_turn_but_a_whispered_one_at_room_tone_level_is_not(whisper):
    loud = say("Thank you.")
    h, h2 = make(whisper), make(whisper)
    try:
        (said,) = hear(h, silence(0.4), loud)
        (faint,) = hear(h2, silence(0.4), loud * 0.01)  # ~-58 dBFS: what Whisper invents "Thank you." over
    finally:
        h.close()
        h2.close()
    assert said.segment.text.lower().startswith("thank you") and said.addressed
    assert faint.evidence is not None and silence_phrase(faint.evidence.text)
    assert not faint.segment.text and "known invention" in faint.reason


def test_a_long_recording_passes_the_gate(whisper, jfk_wav):
    import soundfile as sf

    pcm, _ = sf.read(jfk_wav, dtype="float32")
    h = make(whisper)
    try:
        turns = hear(h, pcm)
    finally:
        h.close()
    assert turns and all(t.segment.text.strip() for t in turns), [(t.reason, t.evidence) for t in turns]
    assert "country" in " ".join(t.segment.text for t in turns).lower()


# ---------------------------------------------------------------- the rule itself
def ev(text="Why?", voiced=0.3, nsp=0.1, lp=-0.5, level=-20.0) -> SegmentEvidence:
    return SegmentEvidence(text, voiced, nsp, lp, level)


def test_each_sign_alone_is_enough_and_none_rejects_speech():
    assert judge(ev()).speech
    assert not judge(ev(voiced=0.1)).speech and "ms of voice" in judge(ev(voiced=0.1)).reason
    assert not judge(ev(nsp=0.65)).speech
    assert not judge(ev(nsp=0.4)).speech  # that much doubt over clear audio
    assert judge(ev(nsp=0.45, lp=-1.5, level=-45.0)).speech  # a quiet real "Why?": doubtful, but sure of its word
    assert not judge(ev(text="I", nsp=0.45, lp=-4.0)).speech
    assert not judge(ev(text="Thank you.", level=-58.0)).speech
    assert judge(ev(text="Thank you.", level=-20.0)).speech
    assert judge(ev(nsp=None, lp=None)).speech  # an HTTP recogniser that says nothing more


@pytest.mark.parametrize("text", ["you", "You.", "Thank you.", "thanks for watching!", "Thank you for watching.",
                                  "Bye.", ".", "…", " you ", "Vielen Dank.", "Untertitel im Auftrag des ZDF, 2017",
                                  "Sous-titres réalisés para la communauté d'Amara.org"])
def test_whisper_silence_phrases_are_known(text):
    assert silence_phrase(text)


@pytest.mark.parametrize("text", ["Why?", "And you?", "Thank you, Robin.", "See you on Friday."])
def test_real_sentences_are_not_silence_phrases(text):
    assert not silence_phrase(text)


def test_level_is_the_loud_part_not_the_padding():
    burst = np.concatenate([np.zeros(SR), np.full(SR // 2, 0.1, np.float32), np.zeros(SR)])
    assert level_dbfs(burst) == pytest.approx(-20.0, abs=0.5)
    assert level_dbfs(np.zeros(SR, np.float32)) < -150
