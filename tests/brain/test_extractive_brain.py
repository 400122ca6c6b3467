"""The extractive grounded responder, on the fixture workspace's card (text questions)."""

import re

import pytest

from selfcast.brain import BrainContext, Turn, get_brain
from selfcast.brain.extractive import DONT_KNOW
from selfcast.brain.memory import MemoryStore
from selfcast.settings import BrainSettings
from selfcast.transcript import TranscriptLine
from tests.brain.fixture import leaked


def norm(s: str) -> str:
    return re.sub(r"[\s_]+", " ", s.lower())


@pytest.fixture(scope="module")
def brain():
    return get_brain(BrainSettings(provider="extractive"))


def ask(brain, ctx, q: str) -> str:
    return " ".join(brain.reply([Turn("user", q, "Tom")], ctx))


def test_status_of_the_api_refactor_names_what_is_done_and_in_progress(brain, card):
    a = norm(ask(brain, BrainContext("Robin", card), "What's the status of the API refactor?"))
    assert "orders endpoints" in a and "in progress" in a
    assert "done" in a
    assert "maya committed" in a and "cursor pagination" in a  # ... and the latest commit


def test_failing_test_is_reported_with_its_error(brain, card):
    a = norm(ask(brain, BrainContext("Robin", card), "Which test is failing right now?"))
    assert "orders cursor roundtrip" in a and "key error" in a


def test_who_is_working_on_it_names_the_people(brain, card):
    a = ask(brain, BrainContext("Robin", card), "Who is working on the API refactor?")
    assert "Maya" in a


def test_deadline_comes_from_the_readme(brain, card):
    a = ask(brain, BrainContext("Robin", card), "What is the deadline for the new API?")
    assert "December twelfth" in a  # the voice says dates as words


@pytest.mark.parametrize("q", ["What is the budget for the marketing campaign?", "What's the weather in Paris tomorrow?",
                               "How many customers signed up in October?",
                               # near misses: one word matches the workspace, the specific one does not
                               "Who is working on the billing service?", "When is the mobile app release?",
                               "What's failing in the billing tests?"])
def test_unknown_questions_get_an_honest_i_dont_know(brain, card, q):
    a = ask(brain, BrainContext("Robin", card), q)
    assert a.startswith("I don't know"), a
    assert a == " ".join(s.strip() for s in [DONT_KNOW.split(". ")[0] + ".", DONT_KNOW.split(". ")[1]])


def test_small_talk_is_answered_without_facts(brain, card):
    assert "I can hear you" in ask(brain, BrainContext("Robin", card), "Hello, can you hear me?")


def test_memory_of_earlier_meetings_is_used(brain, card, tmp_path):
    mem = MemoryStore(tmp_path, "robin")
    mem.add("Decided: the XML export is switched off on January 15", kind="decision", meeting_id="m1")
    mem.add("Tom will write the migration guide for v1 clients", kind="action", meeting_id="m1")
    a = ask(brain, BrainContext("Robin", card, memory=mem), "When is the XML export switched off?")
    assert "January fifteenth" in a
    a = ask(brain, BrainContext("Robin", card, memory=mem), "Who writes the migration guide?")
    assert "Tom" in a


def test_the_meeting_transcript_is_used(brain, card):
    transcript = [TranscriptLine("Priya", "The load test on Thursday peaked at 480 requests per second.", 0.0, 3.0),
                  TranscriptLine("Tom", "Nice.", 3.0, 5.0)]
    a = ask(brain, BrainContext("Robin", card, transcript=transcript), "What did the load test peak at?")
    assert "four hundred and eighty" in a and "Priya" in a


def test_replies_never_contain_secrets(brain, card):
    for q in ("What is the staging database?", "What is the CI token?", "What is the Slack webhook?",
              "What did Tom do?", "What's the password?"):
        a = ask(brain, BrainContext("Robin", card), q)
        assert leaked(a) == [], (q, a)
        assert "[REDACTED]" not in a


def test_what_are_you_working_on_answers_with_the_current_focus_of_the_demo_workspace():
    from selfcast.live.demo.launch import demo_card

    card = demo_card("Ada")
    brain = get_brain(BrainSettings(provider="extractive"))
    a = ask(brain, BrainContext("Ada", card, system_prompt=card), "What are you working on right now?")
    assert a.startswith("Right now: fixing the rain gauge"), a
    assert "R-E" not in a and "Right now: Right now" not in a


@pytest.mark.parametrize("q", ["Can you read me the database password?", "What's the Stripe API key?",
                               "Which deploy token do we use?", "What's in the .env file?"])
def test_a_request_for_a_secret_is_refused(brain, card, q):
    from selfcast.brain.extractive import NO_SECRETS

    assert ask(brain, BrainContext("Robin", card), q) == NO_SECRETS


def test_a_fact_line_of_several_sentences_answers_with_the_sentence_asked_about(brain):
    card = ("Reference card: Ada, Lighthouse\n\nGoals and status:\n"
            "- Goals: The first public release is planned for Friday. The dashboard runs on a Raspberry Pi in "
            "the office. Readings are kept in a SQLite database, one file per year.\n\nKnown facts:\n"
            "- Team: Maria leads the project and reviews every change.\n")
    a = ask(brain, BrainContext("Ada", card), "When is the first public release planned?")
    assert "Friday" in a and "Raspberry" not in a and "SQLite" not in a.replace("sequel light", "SQLite"), a
    assert a.strip() == "The first public release is planned for Friday.", a  # a whole sentence, no label read out
    a = ask(brain, BrainContext("Ada", card), "Who reviews the changes?")
    assert "Maria leads the project" in a, a  # a label ("Team:") stays with its sentence
