"""The live session's turn-taking on fakes: greetings, replies, split questions, barge-in, captions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from selfcast.hearing import Hearing
from selfcast.hearing.events import BargeIn, EndOfTurn, HoldOn, Resume, SpeechStarted
from selfcast.media.frames import AudioChunk
from selfcast.meeting.outcomes import EventKind
from selfcast.settings import HearingSettings, TurnOptions
from selfcast.transcript import TranscriptLine
from tests.hearing.speech import say, silence
from tests.live.fakes import CannedBrain, FakeMeeting, engines
from tests.live.session_run import SessionRun

LONG = " ".join(f"word{i}" for i in range(40)) + "."  # 40 words: two seconds of fake speech


@pytest.mark.parametrize(("mode", "people", "greets"), [
    ("auto", ["Alice"], True), ("auto", ["Alice", "Bob"], False), ("on", ["Alice", "Bob"], True),
    ("off", ["Alice"], False)])
async def test_greeting_follows_its_mode_and_how_many_people_are_there(
        tmp_path: Path, mode: str, people: list[str], greets: bool) -> None:
    async with SessionRun(tmp_path, ports=[FakeMeeting(participants=people)], greeting=mode) as run:
        await run.ready()
        if greets:
            await run.until(run.bot_lines, why="the greeting is heard")
            assert run.bot_lines() == ["Hi, I'm Ada. Ask me anything about what I've been working on."]
        else:
            await asyncio.sleep(0.4)
            assert run.engines.voice.texts == []  # type: ignore[attr-defined]


async def test_auto_greeting_waits_for_the_first_person_to_arrive(tmp_path: Path) -> None:
    port = FakeMeeting(participants=[])
    async with SessionRun(tmp_path, ports=[port]) as run:
        await run.ready()
        await asyncio.sleep(0.3)
        assert run.engines.voice.texts == []  # type: ignore[attr-defined]
        port.arrive("Alice")
        await run.until(run.bot_lines, why="the greeting once Alice is there")
        assert run.bot_lines()[0].startswith("Hi, I'm Ada.")


async def test_an_addressed_question_gets_the_brains_answer_spoken_and_logged(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1.5, end=t)
        await run.until(run.bot_lines, why="the answer")
        assert run.bot_lines() == ["The first release is planned for Friday."]
        assert [ln.text for ln in run.reporter.lines if not ln.bot] == ["Ada, when is the release?"]
        assert run.said_after(t) >= 0.3  # 7 words of 50 ms reached the microphone
        await run.until(lambda: "reply" in run.reporter.kinds(), why="the reply's latency record")
        rec = run.reporter.first("reply")
        assert 0 < rec["first_audio_ms"] < 1500 and rec["reason"] == "scripted"


async def test_an_unaddressed_turn_is_logged_but_not_answered(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Bob, when is the release?", start=t - 1, end=t, addressed=False)
        await run.until(lambda: run.reporter.lines, why="the line is logged")
        await asyncio.sleep(0.3)
        assert run.brain.asked == [] and run.bot_lines() == []


async def test_a_question_split_by_a_pause_is_answered_once_as_a_whole(tmp_path: Path) -> None:
    brain = CannedBrain({"release ada": ["Friday, for the whole question."], "release": ["A half answer."]},
                        delay_s=0.4)
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("When is the release", start=t - 1.2, end=t)
        await run.until(lambda: len(brain.asked) == 1, why="the first part reaches the brain")
        run.hearing.question("Ada?", start=t + 0.5, end=t + 0.8)
        await run.until(run.bot_lines, why="the answer to the whole question")
        await asyncio.sleep(0.2)
        assert run.bot_lines() == ["Friday, for the whole question."]
        assert "A half answer." not in run.engines.voice.texts  # type: ignore[attr-defined]
        assert brain.asked[-1][0][-1].text == "When is the release Ada?"


async def test_a_tail_after_the_answer_started_playing_is_not_answered_again(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("When is the release", start=t - 1.2, end=t)
        await run.until(lambda: run.said_after(t) > 0.2, why="the answer is playing")
        run.hearing.question("Ada?", start=t + 0.5, end=t + 0.8)
        await run.until(run.bot_lines, timeout_s=6, why="the first answer completes")
        assert len(brain.asked) == 1 and run.bot_lines() == [LONG]


async def test_barge_in_stops_the_voice_and_keeps_only_the_words_heard(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG], "again": ["Yes."]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1, end=t)
        await run.until(lambda: run.said_after(t) >= 0.5, why="half a second of the answer")
        run.hearing.hear(BargeIn(run.port.media_time()))
        await run.until(run.bot_lines, why="the cut answer is logged")
        (heard,) = run.bot_lines()
        words = heard.rstrip(" —").split()
        assert heard.endswith("—") and 5 <= len(words) <= 30, heard
        assert words == LONG.split()[:len(words)]
        assert run.port.clears and run.engines.avatar.cleared >= 1  # type: ignore[attr-defined]
        assert run.reporter.first("barge_in")["heard"] == heard
        played = run.said_after(t)
        await asyncio.sleep(0.4)
        assert run.said_after(t) == played  # nothing more reached the microphone
        t2 = run.port.media_time()
        run.hearing.question("Ada, say that again?", start=t2 - 1, end=t2)
        await run.until(lambda: len(brain.asked) == 2, why="the next question")
        history = brain.asked[1][0]
        assert [h.text for h in history if h.role == "assistant"] == [heard]


async def test_a_failing_brain_gets_a_spoken_apology_and_an_event(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, eng=engines(brain=CannedBrain({}, fail=True)), greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1, end=t)
        await run.until(run.bot_lines, why="the apology")
        assert run.bot_lines()[0].startswith("Sorry, I couldn't come up with an answer")
        await run.until(lambda: "brain_error" in run.reporter.kinds(), why="the brain error event")
        assert "provider is down" in run.reporter.first("brain_error")["message"]


async def test_captions_drive_turns_when_hearing_is_captions_only(tmp_path: Path) -> None:
    hearing = Hearing(HearingSettings(provider="captions"), bot_name="Ada (AI)",
                      turns=TurnOptions(end_of_turn_silence_ms=300))
    async with SessionRun(tmp_path, eng=engines(hearing=hearing), greeting="off") as run:
        await run.ready()
        run.port.push(EventKind.CAPTION, speaker="Alice", text="Ada, when is the")
        await asyncio.sleep(0.1)
        run.port.push(EventKind.CAPTION, speaker="Alice", text="Ada, when is the release?")
        await run.until(run.bot_lines, why="an answer to the captioned question")
        assert run.bot_lines() == ["The first release is planned for Friday."]
        people = [(ln.speaker, ln.text) for ln in run.reporter.lines if not ln.bot]
        assert people == [("Alice", "Ada, when is the release?")]


async def test_brain_reads_the_card_while_joining_and_the_partial_words_while_someone_speaks(tmp_path: Path) -> None:
    hearing = Hearing(HearingSettings(provider="captions"), bot_name="Ada (AI)",
                      turns=TurnOptions(end_of_turn_silence_ms=300))
    brain = CannedBrain({"release": ["The first release is planned for Friday."]})
    async with SessionRun(tmp_path, eng=engines(hearing=hearing, brain=brain), greeting="off") as run:
        await run.ready()
        await run.until(lambda: brain.prepared, why="the card prefilled")
        assert brain.prepared[0].system_prompt == "Ada is fixing the rain gauge."
        assert brain.prepared[0].bot_name == "Ada"
        run.port.push(EventKind.CAPTION, speaker="Alice", text="Ada, when is the")
        await run.until(lambda: brain.warmed, why="the partial words warmed")
        run.port.push(EventKind.CAPTION, speaker="Alice", text="Ada, when is the release?")
        await run.until(run.bot_lines, why="an answer to the captioned question")
    assert brain.warmed[0] == "Ada, when is the"
    assert len(brain.asked) == 1  # warming never asked for a reply


# ---------------------------------------------------------------- yielding the floor (two-stage barge-in)
def _sound_sent_since(run: SessionRun, n: int) -> list[float]:
    """pts of the sound pieces sent to the meeting after its first ``n`` pieces (what was sent
    before a clear and not yet played is dropped by the clear: the meeting never plays it)."""
    return [c.pts for c in run.port.audio[n:] if np.any(c.pcm)]


async def _answer_playing(run: SessionRun, brain_key: str = "release") -> float:
    t = run.port.media_time()
    run.hearing.question(f"Ada, when is the {brain_key}?", start=t - 1, end=t)
    await run.until(lambda: run.said_after(t) >= 0.5, why="half a second of the answer")
    return t


async def test_a_backchannel_pauses_the_answer_at_once_and_it_resumes_and_completes(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG, "That is all."]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        await _answer_playing(run)
        t_hold = run.port.media_time()
        run.hearing.hear(SpeechStarted(t_hold - 0.16), HoldOn(t_hold))
        await run.until(lambda: run.port.clears, why="the queued sound dropped at the pause")
        n = len(run.port.audio)
        assert run.engines.avatar.cleared >= 1  # type: ignore[attr-defined]  # the mouth closed
        await asyncio.sleep(0.4)  # "mm-hm" is being said and recognised: the bot stays silent
        assert _sound_sent_since(run, n) == []
        paused_at = run.reporter.first("hold_on")["paused_at"]
        assert paused_at <= run.port.clears[0] + 0.01
        run.hearing.hear(Resume(run.port.media_time(), "backchannel"),
                         EndOfTurn(TranscriptLine("Alice", "Mm-hm.", t_hold - 0.16, t_hold + 0.2), False, "backchannel"))
        await run.until(run.bot_lines, timeout_s=8, why="the answer completes")
        assert run.bot_lines() == [f"{LONG} That is all."]  # the whole reply, once, in the record
        assert run.engines.voice.texts == [LONG, "That is all."]  # type: ignore[attr-defined]  # voiced once
        assert "barge_in" not in run.reporter.kinds() and "resumed" in run.reporter.kinds()
        # heard before the pause + sent after the resume = the whole reply, plus at most the word
        # in flight again (the fake voice has no pauses between words: it resumes at that word)
        before = sum(c.duration for c in run.port.audio[:n] if c.pts < paused_at and np.any(c.pcm))
        after = sum(c.duration for c in run.port.audio[n:] if np.any(c.pcm))
        assert 43 * 0.05 - 1e-6 <= before + after <= 44 * 0.05 + 1e-6, (before, after)
        assert len(brain.asked) == 1  # the backchannel was not answered


async def test_a_floor_taking_interruption_is_yielded_to_in_silence(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        await _answer_playing(run)
        start = run.port.media_time()
        run.hearing.hear(SpeechStarted(start), HoldOn(start + 0.16))
        await run.until(lambda: run.port.clears, why="paused")
        silent_from, n = run.port.clears[0], len(run.port.audio)
        await asyncio.sleep(0.3)
        words = "Wait, sorry, let me stop you there."
        run.hearing.hear(BargeIn(start + 0.5),
                         EndOfTurn(TranscriptLine("Alice", words, start, start + 1.6), True, "one-to-one (over the bot)"))
        await run.until(lambda: len(run.bot_lines()) == 1 and "yielded" in run.reporter.kinds(), why="cut and yielded")
        await asyncio.sleep(0.5)
        assert _sound_sent_since(run, n) == []  # silent from the pause on
        (heard,) = run.bot_lines()
        assert heard.endswith("—") and LONG.startswith(heard.rstrip(" —"))
        barge = run.reporter.first("barge_in")
        assert barge["paused_first"] and barge["cut_at"] <= silent_from + 0.01  # cut where the pause silenced it
        assert len(brain.asked) == 1, "the interruption was answered"
        assert run.reporter.first("yielded") == {"text": words, "kind": "floor"}
        # then their question is answered as usual
        t = run.port.media_time()
        run.hearing.question("When is the release?", start=t - 1, end=t)
        await run.until(lambda: len(run.bot_lines()) == 2, why="the question after the interruption")
        assert len(brain.asked) == 2


async def test_asking_for_the_floor_gets_only_sure_go_ahead(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        await _answer_playing(run)
        start = run.port.media_time()
        run.hearing.hear(SpeechStarted(start), HoldOn(start + 0.16), BargeIn(start + 0.5),
                         EndOfTurn(TranscriptLine("Alice", "Sorry, can I jump in?", start, start + 1.0), True, "one-to-one"))
        await run.until(lambda: len(run.bot_lines()) == 2, why="the cut answer and the go-ahead")
        assert run.bot_lines()[1] == "Sure, go ahead."
        assert len(brain.asked) == 1


async def test_an_interrupting_question_cuts_the_answer_and_is_answered(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG], "demo": ["The demo is on Thursday."]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off") as run:
        await run.ready()
        await _answer_playing(run)
        start = run.port.media_time()
        run.hearing.hear(SpeechStarted(start), HoldOn(start + 0.16))
        await run.until(lambda: run.port.clears, why="paused")
        run.hearing.hear(BargeIn(start + 0.5),
                         EndOfTurn(TranscriptLine("Alice", "Wait, when is the demo?", start, start + 1.2), True, "one-to-one"))
        await run.until(lambda: len(run.bot_lines()) == 2, why="the cut answer and the new one")
        first, second = run.bot_lines()
        assert first.endswith("—") and second == "The demo is on Thursday."
        assert "yielded" not in run.reporter.kinds()


async def test_a_pause_nobody_settles_resumes_by_itself(tmp_path: Path) -> None:
    brain = CannedBrain({"release": [LONG]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off", turns={"resume_after_ms": 300}) as run:
        await run.ready()
        await _answer_playing(run)
        run.hearing.hear(HoldOn(run.port.media_time()))
        await run.until(lambda: "resumed" in run.reporter.kinds(), why="the watchdog's resume")
        assert [d["reason"] for k, d in run.reporter.events if k == "resumed"] == ["unsettled"]
        await run.until(run.bot_lines, timeout_s=8, why="the answer completes")
        assert run.bot_lines() == [LONG]


# ---------------------------------------------------------------- the whole path, with real ears
REPLY = [LONG, "And then some more words to say.", LONG.replace("word", "item")]  # six seconds of fake speech


class SpeakingMeeting(FakeMeeting):
    """A fake meeting whose audio is real speech the test queues, delivered at real pace."""

    def __init__(self) -> None:
        super().__init__()
        self._queued: list[np.ndarray] = []
        self.heard_from: list[float] = []  # media time each queued utterance's first sample arrived

    def speak(self, pcm: np.ndarray) -> None:
        self._queued.append(pcm)

    async def audio_in(self) -> AsyncIterator[AudioChunk]:
        buf = np.zeros(0, np.float32)
        while not self.crashed_flag:
            await asyncio.sleep(0.02)
            t = self.media_time()
            if not buf.size and self._queued:
                buf = self._queued.pop(0)
                self.heard_from.append(t - 0.02)
            piece, buf = buf[:320], buf[320:]
            pcm = np.concatenate([piece, silence(0.02)[: 320 - piece.size]])
            yield AudioChunk(pcm, 16_000, t - 0.02)


async def _real_ears_session(tmp_path: Path, said: str) -> tuple[SessionRun, SpeakingMeeting, float]:
    """A session with real hearing (Silero VAD, Whisper) talking; ``said`` spoken over it.
    Returns the run, its meeting and the media time of the interruption's first sound."""
    port = SpeakingMeeting()
    hearing = Hearing(HearingSettings(), bot_name="Ada (AI)", turns=TurnOptions())
    brain = CannedBrain({"demo": ["The demo is on Thursday."]})
    run = SessionRun(tmp_path, ports=[port], eng=engines(hearing=hearing, brain=brain), greeting="off")
    await run.__aenter__()
    await run.ready()
    assert run.session.turns is not None
    run.session.turns.say(REPLY, source="brain")
    await run.until(lambda: run.said_after(0) >= 0.6, why="the bot is talking")
    pcm = say(said)
    port.speak(pcm)
    await run.until(lambda: port.heard_from, why="the interruption reaches the ears")
    return run, port, port.heard_from[0] + float(np.flatnonzero(np.abs(pcm) > 0.02)[0]) / 16_000


@pytest.mark.slow  # real recognition at real pace, ~6 s
async def test_real_ears_a_floor_taking_interruption_silences_the_bot_within_300_ms_and_is_not_answered(
        tmp_path: Path) -> None:
    run, port, onset = await _real_ears_session(tmp_path, "Wait, sorry, let me stop you there.")
    try:
        await run.until(lambda: port.clears, why="the pause")
        n = len(port.audio)
        pause_ms = (port.clears[0] - onset) * 1000
        print(f"paused {pause_ms:.0f} ms after the interruption's first sound")
        await run.until(lambda: "yielded" in run.reporter.kinds(), timeout_s=10, why="the floor yielded")
        await asyncio.sleep(0.5)
        assert _sound_sent_since(run, n) == [], [(k, d.get("t"), d.get("reason")) for k, d in run.reporter.events]  # silent from the pause on, and no answer
        assert run.reporter.first("barge_in")["paused_first"] and run.brain.asked == []
        assert run.reporter.first("yielded")["kind"] == "floor", run.reporter.first("yielded")
        assert pause_ms <= 300, pause_ms  # hearing's ≤ 229 ms + 20 ms chunks + the session's work
    finally:
        await run.__aexit__(None, None, None)


@pytest.mark.slow  # real recognition at real pace, ~6 s
async def test_real_ears_a_backchannel_pauses_the_bot_and_it_goes_on(tmp_path: Path) -> None:
    run, _port, _onset = await _real_ears_session(tmp_path, "Yeah, right.")
    try:
        await run.until(lambda: "resumed" in run.reporter.kinds(), timeout_s=10, why="the resume")
        await run.until(run.bot_lines, timeout_s=15, why="the reply completes")
        assert run.bot_lines() == [" ".join(REPLY)] and "barge_in" not in run.reporter.kinds()
        assert run.brain.asked == []
    finally:
        await run.__aexit__(None, None, None)


@pytest.mark.slow  # real recognition at real pace, ~6 s
async def test_real_ears_an_interrupting_question_is_answered(tmp_path: Path) -> None:
    run, port, onset = await _real_ears_session(tmp_path, "Wait, when is the demo?")
    try:
        await run.until(lambda: port.clears, why="the pause")
        print(f"paused {(port.clears[0] - onset) * 1000:.0f} ms after the question's first sound")
        await run.until(lambda: len(run.bot_lines()) == 2, timeout_s=15, why="the cut reply and the answer")
        cut, answer = run.bot_lines()
        assert cut.endswith("—") and answer == "The demo is on Thursday."
        assert "yielded" not in run.reporter.kinds()
    finally:
        await run.__aexit__(None, None, None)
