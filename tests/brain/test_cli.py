import json

from selfcast.cli.main import main
from tests.brain.fixture import leaked
from tests.brain.test_memory_notes import TRANSCRIPT
from tests.brain.test_notes_llm import SMOLLM


def test_context_build_writes_the_card_atomically(workspace, home, tmp_path, capsys):
    out = tmp_path / "card.txt"
    rc = main(["context", "build", str(workspace["repo"]), "--out", str(out), "--budget", "600",
               "--log", str(workspace["log"])])
    assert rc == 0
    info = json.loads(capsys.readouterr().out)
    assert info["path"] == str(out) and info["tokens"] <= 600
    text = out.read_text()
    assert "Known facts:" in text and "test_orders_cursor_roundtrip" in text
    assert leaked(text) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".card")] == []  # no temp file left


def test_context_build_prints_the_card(workspace, home, capsys):
    assert main(["context", "build", str(workspace["repo"])]) == 0
    assert capsys.readouterr().out.startswith("Reference card: Maya Chen, Orderdesk")


def test_context_build_bad_input_exits_2(tmp_path, capsys):
    assert main(["context", "build", str(tmp_path / "nope")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["context", "build", str(tmp_path), "--log", str(tmp_path / "missing.log")]) == 2


def test_notes_make_from_a_transcript_file(tmp_path, capsys):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([s.to_dict() for s in TRANSCRIPT]))
    assert main(["notes", "make", str(path), "--bot-name", "Robin", "--format", "json", "--writer", "rules"]) == 0
    notes = json.loads(capsys.readouterr().out)
    assert any(a["owner"] == "Priya Nair" for a in notes["action_items"])
    assert leaked(json.dumps(notes)) == []
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["notes", "make", str(bad)]) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert main(["notes", "make", str(path), "--writer", "model"]) == 2
    assert "use auto, llm or rules" in capsys.readouterr().err


def test_notes_make_with_the_model_or_a_clear_error_when_there_is_none(tmp_path, capsys, monkeypatch):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([s.to_dict() for s in TRANSCRIPT[4:6]]))
    monkeypatch.setenv("SELFCAST_BRAIN__PROVIDER", "extractive")
    assert main(["notes", "make", str(path), "--writer", "llm"]) == 2
    assert "has no model that writes notes" in capsys.readouterr().err
    monkeypatch.setenv("SELFCAST_BRAIN__PROVIDER", "embedded")
    monkeypatch.setenv("SELFCAST_BRAIN__MODEL_PATH", str(SMOLLM))
    # the configured model (the 135M one writes little that survives the checks; the rules stand in then)
    assert main(["notes", "make", str(path), "--format", "json", "--attendee", "Maya Chen"]) == 0
    notes = json.loads(capsys.readouterr().out)
    assert notes["summary"] and set(notes["attendees"]) == {"Priya Nair", "Tom Okafor", "Maya Chen"}
    assert {a["owner"] for a in notes["action_items"]} <= {"Priya Nair", "Tom Okafor", "Maya Chen"}
