"""The one prompt design: what is fixed for the meeting comes first and stays byte-identical, the
meeting's turns only grow at the end (dropped a dozen at a time), the question's memories last."""

from __future__ import annotations

from pathlib import Path

from selfcast.brain import BrainContext, Turn
from selfcast.brain.memory import MemoryStore
from selfcast.brain.prompt import messages, system_prompt

CARD = "Reference card: Ada, Lighthouse\nKnown facts:\n- The first public release is planned for Friday."


def meeting(n: int) -> list[Turn]:
    return [Turn("user", f"Question {i} about the gauge?", "Tom") if i % 2 == 0 else Turn("assistant", f"Answer {i}.")
            for i in range(n)]


def test_the_system_prompt_is_the_same_whatever_is_asked_or_said() -> None:
    a = messages([Turn("user", "When is the release?", "Tom")], BrainContext("Ada", CARD, system_prompt=CARD))[0]
    b = messages(meeting(30), BrainContext("Ada", CARD, system_prompt=CARD))[0]
    assert a == b == system_prompt(BrainContext("Ada", CARD, system_prompt=CARD))
    assert a.count("first public release") == 1  # the card given as the system prompt is said once
    assert "speaking as them" in a and "don't know" in a


def test_a_persona_distinct_from_the_card_is_kept() -> None:
    s = system_prompt(BrainContext("Ada", CARD, system_prompt="Speak formally and call the owner Dr. Lovelace."))
    assert "Speak formally" in s and "first public release" in s


def test_the_turns_only_grow_at_the_end_between_jumps_of_a_dozen() -> None:
    ctx = BrainContext("Ada", CARD, system_prompt=CARD)
    changed_start = []
    prev = None
    for n in range(1, 80):
        msgs = messages(meeting(n), ctx)[1]
        if prev is not None and msgs[:1] != prev[:1]:
            changed_start.append(n)
        elif prev is not None:
            common = len(prev) - 1  # the previous last turn may have grown
            assert msgs[:common] == prev[:common], n
        prev = msgs
        assert len(msgs) <= 25
    assert len(changed_start) <= 6  # 80 turns: the prefix moved a handful of times, not 55


def test_memories_that_bear_on_the_question_come_after_it(tmp_path: Path) -> None:
    memory = MemoryStore(tmp_path, "ada")
    memory.add("Decided: the checkout ships without coupons.", kind="decision", meeting_id="m1")
    ctx = BrainContext("Ada", CARD, system_prompt=CARD, memory=memory)
    system, msgs = messages([Turn("user", "What did we decide about the checkout?", "Tom")], ctx)
    assert "coupons" not in system
    last = msgs[-1]["content"]
    assert last.startswith("What did we decide about the checkout?") and "without coupons" in last


def test_people_are_named_only_when_several_speak() -> None:
    ctx = BrainContext("Ada", CARD, system_prompt=CARD)
    one = messages([Turn("user", "Hi Ada.", "Tom"), Turn("assistant", "Hi Tom."), Turn("user", "When?", "Tom")], ctx)[1]
    assert [m["content"] for m in one] == ["Hi Ada.", "Hi Tom.", "When?"]
    two = messages([Turn("user", "Hi Ada.", "Tom"), Turn("user", "And hi from me.", "Priya")], ctx)[1]
    assert two == [{"role": "user", "content": "Tom: Hi Ada.\nPriya: And hi from me."}]
