"""Memory across meetings through the real live session: the first meeting's decision, action
items and what people told the bot are remembered when it leaves, and the next meeting answers
"What did we decide last time about the checkout?" from them (the extractive brain: fast and
deterministic; the meeting side is the fake port)."""

from __future__ import annotations

import json
from pathlib import Path

from selfcast.brain import get_brain
from selfcast.brain.memory import AccountMemory
from selfcast.live.engines import Engines
from tests.live import fakes
from tests.live.session_run import SessionRun

CARD = ("Reference card: Ada, webshop\n\nKnown facts:\n- The webshop sells rain gauges and weather stations.\n"
        "- Payments run through the new payment provider since October.\n")
OTHER_CARD = "Reference card: Ada, lighthouse\n\nKnown facts:\n- The lighthouse project measures rain.\n"


def _engines(tmp_path: Path) -> Engines:
    settings = fakes.fast_settings(tmp_path / "data")
    brain = get_brain(settings.brain.model_copy(update={"provider": "extractive"}))
    return fakes.engines(brain=brain)  # type: ignore[arg-type]


def _run(tmp_path: Path, session_id: str, card: str = CARD) -> SessionRun:
    return SessionRun(tmp_path, eng=_engines(tmp_path), greeting="off",
                      spec_kw={"session_id": session_id, "system_prompt": card})


async def test_the_next_meeting_answers_what_was_decided_last_time(tmp_path: Path) -> None:
    async with _run(tmp_path, "sess_first") as first:
        await first.ready()
        t = first.port.media_time()
        first.hearing.question("We decided to move the checkout to the new payment page by Friday.",
                               speaker="Bob", start=t - 6, end=t - 4, addressed=False)
        first.hearing.question("Bob will write the migration script by Thursday.",
                               speaker="Alice", start=t - 9, end=t - 7, addressed=False)
        first.hearing.question("Ada, what does the webshop sell?", speaker="Alice", start=t - 1.5, end=t)
        await first.until(first.bot_lines, why="the first meeting's answer")

    files = list((tmp_path / "data" / "memory").glob("*/*/memory.jsonl"))
    assert len(files) == 1 and files[0].parent.name == "Ada" and files[0].parent.parent.name == "acc_test"
    items = [json.loads(x) for x in files[0].read_text().splitlines()]
    by_kind = {i["kind"]: i for i in items}
    assert "checkout" in by_kind["decision"]["text"] and "payment page" in by_kind["decision"]["text"]
    assert by_kind["action"]["owner"] == "Bob" and "migration script" in by_kind["action"]["text"]
    assert by_kind["asked"]["text"] == "Alice asked me: Ada, what does the webshop sell?"
    assert {i["meeting_id"] for i in items} == {"sess_first"} and {i["platform"] for i in items} == {"room"}
    assert {i["workspace_name"] for i in items} == {"Ada, webshop"}

    async with _run(tmp_path, "sess_second") as second:
        await second.ready()
        t = second.port.media_time()
        second.hearing.question("Ada, what did we decide last time about the checkout?", start=t - 1, end=t)
        await second.until(second.bot_lines, timeout_s=30, why="the answer about last time")
    answer = " ".join(second.bot_lines())
    assert "checkout" in answer and "payment page" in answer and "Friday" in answer, answer

    # a meeting about another workspace does not get this one's memories
    async with _run(tmp_path, "sess_other", OTHER_CARD) as other:
        await other.ready()
        t = other.port.media_time()
        other.hearing.question("Ada, what did we decide last time about the checkout?", start=t - 1, end=t)
        await other.until(other.bot_lines, why="the other workspace's answer")
    assert "payment page" not in " ".join(other.bot_lines())

    # forgotten means forgotten: the decision is gone from disk and from the next meeting
    book = AccountMemory(tmp_path / "data", "acc_test")
    decisions = [i for i in book.list(q="checkout").items if i.kind == "decision"]
    assert len(decisions) == 1  # the bot recalling it aloud in the second meeting did not decide it again
    assert book.forget(decisions[0].id) is not None and book.forget(decisions[0].id) is None
    left = [json.loads(x) for x in files[0].read_text().splitlines()]
    assert decisions[0].id not in files[0].read_text() and not [i for i in left if i["kind"] == "decision"]
    assert not [i for i in book.list(q="checkout").items if i.kind == "decision"]
