"""Memory's rules that the live path relies on: scoped per workspace, "last time" means the latest
meeting, what people told the bot is kept (credentials never), a recalled decision is not a new
one, and forgetting is real even with another process writing at the same time."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

from selfcast.brain.memory import (
    AccountMemory,
    MeetingInfo,
    MemoryStore,
    Workspace,
    account_root,
    workspace_key,
)
from selfcast.brain.notes import ActionItem, MeetingNotes

DAY = 86400.0
WEBSHOP = Workspace.of_prompt("You are Ada.\n\nReference card: Ada, webshop\n\nKnown facts:\n- It sells gauges.\n")
LIGHTHOUSE = Workspace.of_prompt("Reference card: Ada, lighthouse\n")


def test_a_workspace_is_the_cards_subject_and_a_plain_prompt_has_none() -> None:
    assert Workspace(workspace_key("Ada, webshop"), "Ada, webshop") == WEBSHOP
    assert WEBSHOP != LIGHTHOUSE
    assert Workspace.of_prompt("You are Ada, a friendly engineer.") is None
    assert Workspace.of_prompt("") is None


def test_a_session_sees_only_its_workspaces_memories(tmp_path: Path) -> None:
    MemoryStore(tmp_path, "Ada", workspace=WEBSHOP).add("The checkout moves to the payment page", kind="decision")
    MemoryStore(tmp_path, "Ada", workspace=LIGHTHOUSE).add("The lamp is repainted in May", kind="decision")
    web = MemoryStore(tmp_path, "Ada", workspace=WEBSHOP)
    assert [i.text for i in web.items()] == ["The checkout moves to the payment page"]
    assert web.search("when is the lamp repainted?") == []
    assert len(MemoryStore(tmp_path, "Ada").items()) == 2  # no workspace: the bot's whole memory


def test_last_time_means_the_latest_meeting_and_says_so(tmp_path: Path) -> None:
    m = MemoryStore(tmp_path, "Ada")
    old = MeetingInfo("m-old", at=1_700_000_000.0)
    m.remember(MeetingNotes("", decisions=["We decided to keep the checkout on the old page"]), meeting=old)
    new = MeetingInfo("m-new", at=1_700_000_000.0 + 7 * DAY)
    m.remember(MeetingNotes("We talked about hiring.", decisions=["We decided to hire a designer"],
                            action_items=[ActionItem("Bea", "post the job ad")]), meeting=new)
    plain = m.search("what did we decide about the checkout?", k=1)
    assert plain[0].meeting_id == "m-old" and plain[0].text.startswith("At the meeting of 14 November: ")
    last = m.search("What did we decide last time?", k=3)
    assert [i.meeting_id for i in last] == ["m-new"] * 3
    assert last[0].text == "Last time (21 November): We decided to hire a designer"
    assert "Bea will post the job ad" in last[1].text
    assert [i.text for i in m.search("What did we decide last time about the checkout?", k=1)] == [
        "At the meeting of 14 November: We decided to keep the checkout on the old page"]  # not in the latest
    assert m.search("What did we decide about the budget last time?") == []  # no topic match: nothing to offer
    # the stored text itself is unchanged: the "when" is added for the brain at search time
    assert {i.text for i in m.items()} >= {"We decided to hire a designer"}


def test_what_people_told_the_bot_is_kept_but_never_a_credential(tmp_path: Path) -> None:
    m = MemoryStore(tmp_path, "Ada")
    n = m.remember(MeetingNotes(""), meeting=MeetingInfo("m1"), exchanges=[
        ("Bob", "The staging password is hunter2-Quantum-77, by the way."),
        ("Bob", "Can you review my pull request?"),
        ("Cy", "I moved the demo to Thursday.")])
    assert n == 2
    assert [(i.kind, i.text) for i in m.items()] == [
        ("asked", "Bob asked me: Can you review my pull request?"), ("told", "Cy told me: I moved the demo to Thursday.")]
    assert "hunter2" not in m.path.read_text()


def test_a_recalled_decision_is_not_remembered_again_and_the_bot_is_not_an_attendee(tmp_path: Path) -> None:
    m = MemoryStore(tmp_path, "Ada")
    notes = MeetingNotes("", decisions=["We decided to ship on Friday"], action_items=[ActionItem("Bob", "tag it")],
                         attendees=["Bob", "Ada (AI)"])
    assert m.remember(notes, meeting=MeetingInfo("m1")) == 3
    again = MeetingNotes("", decisions=['"We decided to ship on Friday."', "We decided to skip the retro"],
                         action_items=[ActionItem("Bob", "tag it")], attendees=["Ada (AI)"])
    assert m.remember(again, meeting=MeetingInfo("m2")) == 1
    assert [i.text for i in m.items() if i.kind == "person"] == ["Attendees: Bob"]
    assert m.remember(MeetingNotes("", action_items=[ActionItem("Ada (AI)", "send Carol the slides")]),
                      meeting=MeetingInfo("m3")) == 1
    assert [(i.text, i.owner) for i in m.items() if i.meeting_id == "m3"] == [
        ("I said I would send Carol the slides", "Ada (AI)")]
    assert [i.text for i in m.items() if i.meeting_id == "m2"] == ["We decided to skip the retro"]


def test_forget_removes_the_line_from_disk_and_from_search(tmp_path: Path) -> None:
    m = MemoryStore(tmp_path, "Ada")
    keep = m.add("The retro is on Mondays", kind="decision")
    gone = m.add("The launch code name is Bluebird", kind="fact")
    assert keep and gone and m.search("launch code name")[0].id == gone.id
    assert m.forget(gone.id) is not None and m.forget(gone.id) is None
    assert "Bluebird" not in m.path.read_text() and m.search("launch code name") == []
    assert [i.id for i in MemoryStore(tmp_path, "Ada").items()] == [keep.id]
    # a live session's store, already loaded, sees a deletion made elsewhere (the API's process)
    live = MemoryStore(account_root(tmp_path, "acc_2"), "Ada")
    held = live.add("The vendor is Acme Widgets", kind="fact")
    assert held and live.search("which vendor?")[0].id == held.id
    assert AccountMemory(tmp_path, "acc_2").forget(held.id) is not None
    assert live.search("which vendor?") == [] and live.items() == []


def test_a_torn_line_does_not_swallow_the_next_memory(tmp_path: Path) -> None:
    m = MemoryStore(tmp_path, "Ada")
    m.add("First")
    with m.path.open("a") as fh:
        fh.write('{"text": "half a li')
    m.add("Second")
    assert [i.text for i in MemoryStore(tmp_path, "Ada").items()] == ["First", "Second"]


def _writer(root: str, n: int, tag: str) -> None:
    m = MemoryStore(Path(root), "Ada")
    for i in range(n):
        m.add(f"{tag} note number {i}")


def test_forgetting_while_another_process_writes_loses_nothing_else(tmp_path: Path) -> None:
    root = account_root(tmp_path, "acc_1")
    first = [MemoryStore(root, "Ada").add(f"old note {i}") for i in range(40)]
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(root), 40, f"w{k}")) for k in range(2)]
    for p in procs:
        p.start()
    book = AccountMemory(tmp_path, "acc_1")
    for item in first[::2]:
        assert item is not None and book.forget(item.id) is not None
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    texts = [i.text for i in book.list(limit=200).items]
    assert len(texts) == 20 + 80 and len(set(texts)) == 100
    assert not {f"old note {i}" for i in range(0, 40, 2)} & set(texts)


def test_a_bots_memory_keeps_the_newest_items_when_it_is_full(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import selfcast.brain.memory as memory

    monkeypatch.setattr(memory, "MAX_ITEMS", 5)
    m = MemoryStore(tmp_path, "Ada")
    for day in range(4):
        m.remember(MeetingNotes("", decisions=[f"We decided plan number {day}"], open_questions=[f"Question {day}?"]),
                   meeting=MeetingInfo(f"m{day}", at=1_700_000_000.0 + day * DAY))
    assert [i.meeting_id for i in MemoryStore(tmp_path, "Ada").items()] == ["m1", "m2", "m2", "m3", "m3"]


def test_yesterday_means_yesterdays_meeting_even_after_a_later_one(tmp_path: Path) -> None:
    import time

    m = MemoryStore(tmp_path, "Ada")
    m.remember(MeetingNotes("", decisions=["We decided to freeze the API"]), meeting=MeetingInfo("m-y", at=time.time() - DAY))
    m.remember(MeetingNotes("", decisions=["We decided to order pizza"]), meeting=MeetingInfo("m-today", at=time.time()))
    hit = m.search("What did we decide yesterday?", k=1)[0]
    assert hit.meeting_id == "m-y" and hit.text.startswith("Yesterday (") and hit.text.endswith("freeze the API")
    assert m.search("What did we decide last time?", k=1)[0].text.endswith("order pizza")
