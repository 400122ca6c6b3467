"""``selfcast ask``: one JSON line per question from the workspace's card; bad input exits 2."""

from __future__ import annotations

import json

import pytest

from selfcast.cli.main import main
from tests.brain.fixture import leaked


def lines(out: str) -> list[dict]:
    return [json.loads(x) for x in out.splitlines() if x.strip()]


def test_ask_answers_each_question_from_the_workspace_card(workspace, home, capsys) -> None:
    rc = main(["ask", "--workspace", str(workspace["repo"]), "--provider", "extractive",
               "What's the status of the API refactor?", "What's the office wifi password?"])
    assert rc == 0
    failing, unknown = lines(capsys.readouterr().out)
    assert failing["question"] == "What's the status of the API refactor?"
    assert "cursor pagination" in failing["answer"].lower()
    assert 0 <= failing["first_sentence_s"] < 5
    assert "can't share" in unknown["answer"]  # a password is refused, never looked for
    assert leaked(failing["answer"] + unknown["answer"]) == []


def test_ask_honours_a_card_file_given_as_the_system_prompt(workspace, home, tmp_path, capsys) -> None:
    card = tmp_path / "card.md"
    card.write_text("Reference card: Maya Chen\nKnown facts:\n- The launch party is on the roof terrace.\n")
    assert main(["ask", "--workspace", str(workspace["repo"]), "--provider", "extractive",
                 "--system-prompt-file", str(card), "Where is the launch party?"]) == 0
    (answer,) = lines(capsys.readouterr().out)
    assert "roof terrace" in answer["answer"]


@pytest.mark.parametrize(("args", "said"), [
    (["--workspace", "/no/such/dir", "Hi?"], "not a folder"),
    (["--workspace", ".", "   "], "question is empty"),
    (["--workspace", ".", "x" * 3000], "over 2000 characters"),
    (["--workspace", ".", "--system-prompt-file", "/no/such/file", "Hi?"], "is not a file"),
])
def test_ask_bad_input_exits_2_naming_what_is_wrong(args, said, home, capsys) -> None:
    assert main(["ask", "--provider", "extractive", *args]) == 2
    assert said in capsys.readouterr().err
