"""The mind on the dev set, with the default model (Qwen2.5-Coder-1.5B through the node's
llama.cpp server): five unseen workspaces, ten questions each. Speed is not judged here (the
first-sentence deadline is raised so a busy CI machine measures what the model says, not how
fast); ``bench/live.py`` measures speed at the participant.

The issue's bar is >= 90 % right, every unanswerable met honestly, nothing invented. Measured
2026-12-01 (docs/benchmarks.md, "The mind"): 37/40 right, 9/10 honest, 3 invented (a subtraction
done wrong, a supervisor named for the one who ran the baseline, a tool the team uses named as the
one it will switch to). A clean-clone CI run measured 2 invented with one unanswerable answered.
This test holds a floor just under those runs (>= 85 % right, at most two unanswerables answered,
at most four invented), so a change that makes the model clearly worse fails; the bar itself is
not met yet."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from bench.mind_devset import _Tally, run_workspace

from selfcast.brain import get_brain
from selfcast.settings import BrainSettings
from tests.devset.devset import load_workspaces

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def brain():
    b = get_brain(BrainSettings(llm_first_sentence_s=300, first_token_timeout_s=300, timeout_s=600))
    b.fallback = _Tally(b.fallback)  # counts the answers the grounded responder gave instead
    yield b
    b.close()


def test_the_default_model_answers_the_dev_set_right_honestly_and_without_inventing(brain, tmp_path: Path) -> None:
    rows = [run_workspace(brain, ws, tmp_path, verbose=bool(os.environ.get("SELFCAST_DEVSET_VERBOSE")))
            for ws in load_workspaces()]
    answerable = sum(r["answerable"] for r in rows)
    right = sum(r["right"] for r in rows)
    unanswerable = sum(r["unanswerable"] for r in rows)
    honest = sum(r["honest"] for r in rows)
    report = {r["workspace"]: {k: r[k] for k in ("right", "answerable", "honest", "invented", "leaks", "fallback")}
              for r in rows}
    wrong = [(r["workspace"], q["question"], q["answer"]) for r in rows for q in r["questions"]
             if q["verdict"] not in ("right", "honest")]
    assert sum(r["leaks"] for r in rows) == 0, wrong
    # answers the grounded responder gave when the model's own were not backed by the card count
    # as the default brain's answers (that is what a participant hears); they are in ``report``
    assert sum(r["invented"] for r in rows) <= 4, (report, wrong)
    assert honest >= unanswerable - 2, (report, wrong)
    assert right >= 0.85 * answerable, (report, wrong)
