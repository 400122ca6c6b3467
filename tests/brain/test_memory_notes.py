import json

import pytest

from selfcast.brain.memory import MemoryStore
from selfcast.brain.notes import MeetingNotes, make_notes
from selfcast.errors import BadInput
from selfcast.transcript import TranscriptLine
from tests.brain.fixture import SECRETS, leaked

TRANSCRIPT = [
    TranscriptLine("Tom Okafor", "Robin, what's the status of the API refactor?", 0.0, 4.0),
    TranscriptLine("Robin", "The orders endpoints are moving to v2. Cursor pagination is still to do.", 4.5, 9.0),
    TranscriptLine("Priya Nair", "We decided to keep the v1 shims until the December 12 release.", 9.5, 14.0),
    TranscriptLine("Tom Okafor", f"Priya, can you send me the staging password {SECRETS['db_password']}?", 14.5, 18.0),
    TranscriptLine("Priya Nair", "I'll write the migration guide for the v1 clients by Friday.", 18.5, 22.0),
    TranscriptLine("Tom Okafor", "Maya will fix the failing cursor pagination test.", 22.5, 26.0),
    TranscriptLine("Tom Okafor", "Robin, what is the budget for the load tests?", 26.5, 29.0),
    TranscriptLine("Robin", "I don't know that. It isn't in anything I've seen of the work.", 29.5, 31.0),
    TranscriptLine("Priya Nair", f"Use the token={SECRETS['generic_token']} for the dashboard.", 31.5, 34.0),
]


@pytest.fixture(scope="module")
def notes() -> MeetingNotes:
    return make_notes(TRANSCRIPT, bot_name="Robin", attendees=["Tom Okafor", "Priya Nair", "Maya Chen"])


def test_notes_have_decisions_actions_with_owners_and_open_questions(notes):
    assert any("keep the v1 shims" in d for d in notes.decisions)
    owners = {a.owner: a.task for a in notes.action_items}
    assert "migration guide" in owners["Priya Nair"]
    assert "failing cursor pagination test" in owners["Maya Chen"]
    assert any("budget for the load tests" in q for q in notes.open_questions)
    assert notes.attendees[:3] == ["Tom Okafor", "Priya Nair", "Maya Chen"] and "Robin" in notes.attendees
    assert "refactor" in notes.summary.lower() or "v1" in notes.summary.lower()
    assert notes.duration_s == 34.0


def test_notes_render_as_json_and_markdown_without_secrets(notes):
    data = json.loads(notes.to_json())
    assert set(data) >= {"summary", "decisions", "action_items", "open_questions", "attendees"}
    assert MeetingNotes.from_dict(data) == notes
    md = notes.to_markdown()
    assert "## Action items" in md and "**Priya Nair**" in md
    assert leaked(notes.to_json()) == [] and leaked(md) == []


def test_memory_persists_across_instances_and_retrieves_by_relevance(tmp_path, notes):
    m1 = MemoryStore(tmp_path, "robin")
    assert m1.remember(notes, meeting_id="meet-1") >= 4
    m1.add("The coffee machine on floor 3 is broken", kind="fact", meeting_id="meet-2")
    m2 = MemoryStore(tmp_path, "robin")  # a later meeting, a fresh process
    hits = m2.search("who writes the migration guide", k=2)
    assert "migration guide" in hits[0].text and "Priya" in hits[0].text
    assert "coffee" in m2.search("coffee machine", k=1)[0].text
    assert MemoryStore(tmp_path, "other-bot").items() == []  # memories are per bot
    raw = (tmp_path / "robin" / "memory.jsonl").read_text()
    assert leaked(raw) == []


def test_memory_rejects_bad_ids_and_kinds(tmp_path):
    with pytest.raises(BadInput):
        MemoryStore(tmp_path, "../escape")
    with pytest.raises(BadInput):
        MemoryStore(tmp_path, "ok").add("x", kind="gossip")


def test_memory_survives_a_torn_last_line(tmp_path):
    m = MemoryStore(tmp_path, "robin")
    m.add("The launch is on Monday")
    with m.path.open("a") as fh:
        fh.write('{"text": "half a li')
    assert [i.text for i in MemoryStore(tmp_path, "robin").items()] == ["The launch is on Monday"]


def test_summary_says_what_the_bot_was_asked_and_answered_but_not_what_it_did_not_know():
    transcript = [
        TranscriptLine("Alice", "Hi there Ada, nice to see you again today.", 0.0, 2.0),
        TranscriptLine("Alice", "When is the first public release planned?", 2.0, 4.0),
        TranscriptLine("Ada (AI)", "The first public release is planned for Friday. It ships with dark mode.", 5.0, 7.0),
        TranscriptLine("Bob", "What about the marketing budget?", 8.0, 9.0),
        TranscriptLine("Ada (AI)", "I don't know that; it isn't in what I have.", 9.5, 10.5),
    ]
    notes = make_notes(transcript, bot_name="Ada (AI)")
    assert 'Alice asked "When is the first public release planned?"' in notes.summary
    assert "planned for Friday" in notes.summary
    assert "budget" not in notes.summary.split("asked", 1)[-1]
    assert "What about the marketing budget?" in notes.open_questions
    assert "nice" not in notes.summary.split(".")[0]  # chatter is not a topic


def test_notes_follow_spoken_order_and_skip_answers_cut_short_by_barge_in():
    # stored as completed (the live session's order), not as spoken
    transcript = [
        TranscriptLine("Ada (AI)", "Hi, I'm Ada. Ask me anything about what I've been working on.", 6.5, 11.0),
        TranscriptLine("participant", "When is the first public?", 12.5, 13.7),
        TranscriptLine("Ada (AI)", "One of —", 14.4, 14.5),
        TranscriptLine("participant", "Release", 14.0, 14.8),
        TranscriptLine("Ada (AI)", "The first public release is planned for Friday.", 15.7, 20.3),
    ]
    notes = make_notes(transcript, bot_name="Ada (AI)")
    assert 'answered "The first public release is planned for Friday."' in notes.summary
    assert "One of —" not in notes.summary


def test_an_answered_question_whose_question_mark_the_recogniser_dropped_is_still_in_the_summary():
    transcript = [
        TranscriptLine("participant", "One is the first public release planned.", 12.0, 13.0),
        TranscriptLine("Ada (AI)", "The first public release is planned for Friday.", 14.0, 16.0),
    ]
    summary = make_notes(transcript, bot_name="Ada (AI)").summary
    assert 'answered "The first public release is planned for Friday."' in summary
