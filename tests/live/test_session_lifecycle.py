"""The live session's lifecycle on fakes: ready, rejoin after a crash, commands, every way of
leaving with its goodbye, and the notes it hands back (and remembers)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from selfcast.live.contract import Command, Directive
from selfcast.live.joining import BotCrashed, MediaNotFlowing
from selfcast.meeting.outcomes import EventKind, Outcome
from tests.live.fakes import CannedBrain, FakeMeeting, FixedChunkVoice, engines
from tests.live.session_run import SessionRun


class SilentMeeting(FakeMeeting):
    """Admitted, but its microphone track never plays what the bot sends."""

    def health(self):  # type: ignore[no-untyped-def]
        h = super().health()
        h.audio_out_flowing = False
        return h


async def test_ready_only_once_camera_and_microphone_flow(tmp_path: Path) -> None:
    run = SessionRun(tmp_path, ports=[SilentMeeting()], ready_timeout_s=0.5)
    async with run:
        with pytest.raises(MediaNotFlowing, match="audio off"):
            await run.ended()
    assert "ready" not in run.reporter.states


async def test_a_crashed_bot_rejoins_on_the_same_clock_without_greeting_again(tmp_path: Path) -> None:
    first, second = FakeMeeting(), FakeMeeting()
    async with SessionRun(tmp_path, ports=[first, second]) as run:
        await run.ready()
        await run.until(run.bot_lines, why="the greeting")
        first.crash()
        await run.until(lambda: run.reporter.kinds().count("media_flowing") == 2, why="the rejoin")
        assert second.origin_set == first.clock_origin()
        assert run.reporter.first("bot_crashed") == {"rejoining": True, "attempt": 1}
        rejoin = [d for k, d in run.reporter.events if k == "media_flowing"][1]
        assert 0 < rejoin["rejoin_s"] < 3
        assert "join:2.0" in second.calls and "close" in first.calls
        assert "error" not in run.reporter.states and {"video_connected": False, "bot_connected": False} in run.reporter.flags
        t = second.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1, end=t)
        await run.until(lambda: len(run.bot_lines()) == 2, why="an answer through the new bot")
        assert second.spoken_s(after=t) > 0.3
        assert sum("Hi, I'm Ada" in x for x in run.engines.voice.texts) == 1  # type: ignore[attr-defined]


async def test_crashing_more_often_than_rejoin_attempts_ends_in_an_error(tmp_path: Path) -> None:
    first, second = FakeMeeting(), FakeMeeting()
    run = SessionRun(tmp_path, ports=[first, second], greeting="off")
    async with run:
        await run.ready()
        first.crash()
        await run.until(lambda: run.reporter.kinds().count("media_flowing") == 2, why="the rejoin")
        second.crash()
        with pytest.raises(BotCrashed, match="1 rejoin attempt"):
            await run.ended()


async def test_speak_and_chat_commands_are_carried_out_and_answered(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="off") as run:
        await run.ready()
        run.reporter.commands.append(Command(7, "cmd_a", "speak", "Hello there. This is selfcast."))
        run.reporter.commands.append(Command(8, "cmd_b", "chat", "The doc is in the wiki."))
        await run.until(lambda: run.reporter.kinds().count("command_done") == 2, why="both commands done")
        done = {d["id"]: d for k, d in run.reporter.events if k == "command_done"}
        assert done["cmd_a"]["heard"] == "Hello there. This is selfcast." and not done["cmd_a"]["interrupted"]
        assert done["cmd_b"] == {"id": "cmd_b", "type": "chat", "ok": True}
        assert run.port.chat == ["The doc is in the wiki."]
        await asyncio.sleep(0.1)
        assert max(run.reporter.command_reads) == 8  # read newer than the last seen, never all again


async def test_failing_commands_are_answered_with_their_error(tmp_path: Path) -> None:
    eng = engines(voice=FixedChunkVoice(fail_on="boom"))
    async with SessionRun(tmp_path, eng=eng, greeting="off") as run:
        await run.ready()
        run.port.outcome = Outcome.LEFT  # the page says the bot is no longer in the call
        run.reporter.commands.append(Command(1, "cmd_chat", "chat", "hi"))
        run.reporter.commands.append(Command(2, "cmd_say", "speak", "boom"))
        await run.until(lambda: run.reporter.kinds().count("command_done") == 2, why="both answered")
        done = {d["id"]: d for k, d in run.reporter.events if k == "command_done"}
        assert "not in a call" in done["cmd_chat"]["error"]
        assert "cannot say 'boom'" in done["cmd_say"]["error"] and done["cmd_say"]["heard"] == ""


def _leave_by(run: SessionRun, how: str) -> None:
    if how == "user":
        run.reporter.cancelled.set()
    elif how == "credits":
        run.reporter.current = Directive(cancel=True, reason="out_of_credits")
    elif how in ("ended", "removed", "left"):
        run.port.push(EventKind.STATE, outcome=how, message="scripted")


@pytest.mark.parametrize(("how", "reason", "goodbye"), [
    ("user", "user", "I've been asked to leave now."),
    ("credits", "out_of_credits", "I've run out of credits"),
    ("duration", "max_duration", "That's all the time I have"),
    ("ended", "ended", ""), ("removed", "removed", ""), ("left", "alone", "")])
async def test_every_way_of_leaving_says_its_goodbye_then_leaves(
        tmp_path: Path, how: str, reason: str, goodbye: str) -> None:
    spec_kw = {"max_duration_s": 0.8} if how == "duration" else {}
    run = SessionRun(tmp_path, greeting="off", spec_kw=spec_kw)
    async with run:
        await run.ready()
        _leave_by(run, how)
        await run.ended()
    assert run.reporter.first("leave") == {"reason": reason}
    assert run.reporter.states[-1] == "leaving" and "leave" in run.port.calls
    if goodbye:
        assert run.bot_lines() and run.bot_lines()[-1].startswith(goodbye)
        assert run.port.spoken_s() > 0.3
    else:
        assert run.bot_lines() == [] and run.engines.voice.texts == []  # type: ignore[attr-defined]


async def test_low_balance_is_announced_once(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="off") as run:
        await run.ready()
        run.reporter.current = Directive(low_balance=True, credits_left=40.0)
        await run.until(run.bot_lines, why="the warning")
        await asyncio.sleep(0.5)
        assert run.bot_lines() == ["Just so you know, I only have about 2 minutes of credit left, then I'll have to go."]
        assert run.reporter.first("low_balance_warning") == {"credits_left": 40.0}


async def test_notes_are_stored_on_leave_and_remembered_in_the_next_meeting(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="off") as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1, end=t)
        await run.until(run.bot_lines, why="the answer")
    assert run.reporter.notes is not None
    data, markdown = run.reporter.notes
    assert data["exchanges"][0] == {"speaker": "Alice", "said": "Ada, when is the release?",
                                    "answer": "The first release is planned for Friday."}
    assert "Friday" in markdown and data["participants"] == ["Alice"]
    memory = tmp_path / "data" / "memory" / "acc_test" / "Ada" / "memory.jsonl"
    remembered = [json.loads(x) for x in memory.read_text().splitlines()]
    assert remembered and {m["meeting_id"] for m in remembered} == {"sess_fake"}

    async with SessionRun(tmp_path, greeting="off", spec_kw={"session_id": "sess_next"}) as nxt:
        await nxt.ready()
        t = nxt.port.media_time()
        nxt.hearing.question("Ada, what did we talk about last time?", start=t - 1, end=t)
        await nxt.until(lambda: nxt.brain.asked, why="the brain is asked")
        context = nxt.brain.asked[0][1]
        assert context.memory is not None
        assert [m.text for m in context.memory.items()] == [m["text"] for m in remembered]


class SlowNotesBrain(CannedBrain):
    """A brain whose model takes far too long to write the notes."""

    name = "llm"

    def complete(self, system: str, user: str, *, schema: dict | None = None, max_tokens: int = 800) -> str:
        time.sleep(5.0)
        return "{}"


async def test_notes_the_model_cannot_write_in_time_are_written_by_the_rules(tmp_path: Path) -> None:
    brain = SlowNotesBrain({"release": ["The first release is planned for Friday."]})
    async with SessionRun(tmp_path, eng=engines(brain=brain), greeting="off", notes_model_s=0.5) as run:
        await run.ready()
        t = run.port.media_time()
        run.hearing.question("Ada, when is the release?", start=t - 1, end=t)
        await run.until(run.bot_lines, why="the answer")
        t0 = time.monotonic()
    assert time.monotonic() - t0 < 4.0  # the session left without waiting for the model
    assert run.reporter.notes is not None
    data, _ = run.reporter.notes
    assert data["exchanges"][0]["said"] == "Ada, when is the release?"
