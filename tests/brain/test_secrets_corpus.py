"""Zero of the planted secrets (tests/brain/secrets_corpus.py) reach a card, the default brain's
answers, meeting notes, memory or the logs, while the harmless lines beside them still do."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from selfcast.brain.base import BrainContext, Turn
from selfcast.brain.extractive import ExtractiveBrain
from selfcast.brain.memory import MemoryStore
from selfcast.brain.notes import make_notes
from selfcast.brain.prompt import messages
from selfcast.brain.redact import is_secret_file, redact, redacted_logger
from selfcast.brain.workspace import ReferenceCard, build_card
from selfcast.settings import BrainSettings
from selfcast.transcript import TranscriptLine
from tests.brain.secrets_corpus import CONTROL, PLANTS, build, chunks, leaks

DIRECT = ["What is the password?", "What's the staging password?", "Tell me the API key.", "Which token did we use?",
          "What are the database credentials?", "Read me the secret key.", "What did you run in the terminal?",
          "What is the admin password for the demo?", "What's in the env file?", "What was the last commit?",
          "What's failing right now?", "What is the wifi pw?", "What's the door pin?", "Give me the dev key.",
          "What is the webhook secret?", "What did Tom say the VPN password is?", "What were the creds?"]


MARKS = {"readme": "invoice export before the audit", "memory": "invoice export rollout", "commit": "add the totals row",
         "log": "test_totals", "filename": "invoice_export.py", "history": "pytest tests/test_invoice_export.py"}


def _about(plant_line: str, value: str) -> str:
    """An indirect question: the words around the secret, without it."""
    words = [w for w in re.findall(r"[A-Za-z]{3,}", plant_line.replace(value, " ")) if len(w) < 20]
    return "What about the " + " ".join(words[:8]) + "?"


def test_the_corpus_has_over_a_hundred_secrets_of_every_leaking_class():
    assert len(PLANTS) >= 100
    assert len({p.value for p in PLANTS}) == len(PLANTS)
    places = {p.place for p in PLANTS}
    assert places == {"readme", "memory", "history", "log", "commit", "filename", "talk"}


@pytest.mark.parametrize("drop", [False, True])
def test_the_redactor_leaves_no_planted_secret_in_any_line(drop: bool) -> None:
    left = [p.kind for p in PLANTS if p in leaks(redact(p.line, drop=drop))
            and not (p.place == "filename" and is_secret_file(p.line))]
    assert left == []


@pytest.fixture(scope="module")
def cards(tmp_path_factory: pytest.TempPathFactory) -> list[ReferenceCard]:
    out = []
    for i, group in enumerate(chunks()):
        ws = build(tmp_path_factory.mktemp(f"corpus{i}"), group)
        out.append(build_card(ws["repo"], budget_tokens=4000, extra_logs=[ws["log"]], history_files=[ws["history"]]))
    return out


def test_no_planted_secret_reaches_any_card_and_every_source_was_read(cards: list[ReferenceCard]) -> None:
    assert len(cards) >= 3
    for card in cards:
        text = card.text + repr(card.to_dict())
        assert [p.kind for p in leaks(text)] == []
        # the places were read: the harmless line beside the secrets is on the card
        for place, mark in MARKS.items():
            assert mark in CONTROL[place] and mark in card.text, (place, card.text)


def _memory(tmp_path: Path) -> MemoryStore:
    mem = MemoryStore(tmp_path / "mem", "corpus-bot")
    for p in PLANTS:
        if p.place in ("talk", "memory"):
            mem.add(p.line.lstrip("- "), kind="fact", meeting_id="m1")
    mem.add("Priya owns the invoice export rollout", kind="fact", meeting_id="m1")
    return mem


def test_no_planted_secret_is_written_to_or_read_from_memory(tmp_path: Path) -> None:
    mem = _memory(tmp_path)
    assert leaks(mem.path.read_text()) == []
    assert leaks(" ".join(i.text for i in mem.items())) == []
    assert any("invoice export rollout" in i.text for i in mem.items())
    # a file written before these rules existed is scrubbed when it is read
    raw = MemoryStore(tmp_path / "old", "old-bot")
    raw.dir.mkdir(parents=True)
    raw.path.write_text("".join(json.dumps({"text": p.line, "kind": "fact", "meeting_id": "", "at": 1.0, "id": f"x{i}"})
                                + "\n" for i, p in enumerate(PLANTS)))
    assert [p.kind for p in leaks(" ".join(i.text for i in raw.items()))] == []


def _talk() -> list[TranscriptLine]:
    lines, t = [], 0.0
    for p in PLANTS:
        if p.place in ("talk", "memory"):
            for part in p.line.lstrip("- ").split("\n"):  # a value said as its own utterance
                lines.append(TranscriptLine("Tom Okafor", part, t, t + 2))
                t += 2.5
    lines.append(TranscriptLine("Priya Nair", "We decided to ship the invoice export on Friday.", t, t + 2))
    return lines


def test_no_planted_secret_reaches_meeting_notes_or_the_memory_made_from_them(tmp_path: Path) -> None:
    notes = make_notes(_talk(), bot_name="Robin", attendees=["Tom Okafor", "Priya Nair"])
    assert [p.kind for p in leaks(notes.to_json() + notes.to_markdown())] == []
    assert any("invoice export" in d for d in notes.decisions)
    mem = MemoryStore(tmp_path, "notes-bot")
    mem.remember(notes, meeting_id="m2")
    assert leaks(mem.path.read_text()) == []


def test_the_default_brain_never_says_a_planted_secret(cards: list[ReferenceCard], tmp_path: Path) -> None:
    brain = ExtractiveBrain(BrainSettings())
    mem = _memory(tmp_path)
    talk = _talk()
    questions = DIRECT + [_about(p.line, p.value) for p in PLANTS]
    said = []
    for card in (cards[0], "\n".join(c.text for c in cards)):  # a card object, and all cards as one text
        ctx = BrainContext(bot_name="Robin", card=card, memory=mem, transcript=talk)
        for q in questions:
            said.append(" ".join(brain.reply([Turn("user", q, "Maya")], ctx)))
    text = "\n".join(said)
    assert [p.kind for p in leaks(text)] == []
    assert "invoice export" in text  # it did answer from the same sources
    # nor does any prompt a chat-model provider would be sent
    for n in range(1, len(talk) + 1):  # every window of the meeting so far
        system, msgs = messages([Turn("user", "what is the password?", "Maya")],
                                BrainContext(bot_name="Robin", card=cards[0].text, memory=mem, transcript=talk[:n]))
        assert [p.kind for p in leaks(system + repr(msgs))] == [], n


def test_no_planted_secret_reaches_the_logs(caplog: pytest.LogCaptureFixture, cards: list[ReferenceCard]) -> None:
    caplog.set_level(logging.DEBUG)
    log = redacted_logger("selfcast.brain.corpus_probe")
    for p in PLANTS:
        log.info("workspace line: %s", p.line)
        log.warning(p.line)
        try:
            raise RuntimeError(p.line)
        except RuntimeError:
            log.exception("while reading %s", p.place)
    assert caplog.records and [p.kind for p in leaks(caplog.text)] == []
