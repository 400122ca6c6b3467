"""The consent announcement in a real ``LiveSession`` on fakes: said and posted on joining,
before the greeting, once; recorded as a ``consent`` event, in the transcript and in the notes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.live.fakes import FakeMeeting
from tests.live.session_run import SessionRun

TEXT = "Hi, I'm Ada, Grace's AI assistant. This meeting is being transcribed."


async def test_the_announcement_is_said_posted_recorded_and_noted_before_the_greeting(tmp_path: Path) -> None:
    async with SessionRun(tmp_path, greeting="on", spec_kw={"consent_text": TEXT}) as run:
        await run.ready()
        await run.until(lambda: len(run.bot_lines()) == 2, why="the announcement, then the greeting")
        assert run.bot_lines()[0] == TEXT and run.bot_lines()[1].startswith("Hi, I'm Ada. Ask me")
        assert run.port.chat == [TEXT]
        assert run.reporter.first("consent") == {"text": TEXT, "spoken": True, "chat": True}
    await run.ended()
    data, markdown = run.reporter.notes
    assert data["consent"]["text"] == TEXT and data["consent"]["chat"] is True
    assert "## Consent" in markdown and f"\u201c{TEXT}\u201d" in markdown
    assert run.reporter.kinds().count("consent") == 1


async def test_it_waits_for_someone_to_hear_it_and_none_is_made_without_a_text(tmp_path: Path) -> None:
    port = FakeMeeting(participants=[])
    async with SessionRun(tmp_path, ports=[port], greeting="off", spec_kw={"consent_text": TEXT}) as run:
        await run.ready()
        await asyncio.sleep(0.3)
        assert port.chat == [] and "consent" not in run.reporter.kinds()
        port.arrive("Bob")
        await run.until(lambda: port.chat == [TEXT], why="the announcement once Bob is there")
        await run.until(lambda: run.bot_lines() == [TEXT], why="the announcement is heard")
    async with SessionRun(tmp_path, greeting="off") as plain:
        await plain.ready()
        await asyncio.sleep(0.3)
        assert plain.port.chat == [] and "consent" not in plain.reporter.kinds()
    await plain.ended()
    assert "Consent" not in plain.reporter.notes[1]
