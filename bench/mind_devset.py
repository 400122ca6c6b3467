"""The mind's dev set, scored: what the AI self answers about five unseen workspaces, and the
notes it writes for four meetings (data and scorer in tests/devset/).

    .venv/bin/python bench/mind_devset.py                          # the configured brain (settings.brain)
    .venv/bin/python bench/mind_devset.py --provider extractive    # the keyword responder
    .venv/bin/python bench/mind_devset.py --json                   # one JSON object instead of tables
    .venv/bin/python bench/mind_devset.py --only notes -v          # notes only, with what each missed

Each workspace is built as a git repository with dated commits in a temporary folder, its card
built by ``build_card`` as a meeting builds it (shell history off: the card must not carry the
machine's own ``~/.bash_history``), and each question asked in a fresh meeting through the live
``Conversation`` (history and ``BrainContext`` exactly as a session makes them) to
``get_brain(settings.brain).reply``, after the brain read the card (``prepare``, as while the bot
joins). The embedded LLM's first-sentence deadline is raised to ``--deadline`` seconds (this
scores what it says, not how fast, on a shared machine); an answer its extractive fallback gave
instead is counted in ``fallback``. Verdicts: right / missed (said it did not know) / honest
(an unanswerable met with "I don't know") / invented (a claim without the facts, or any claim to
an unanswerable) / failed (the brain's own apology: it did not answer in time), plus any planted
secret leaked. Correctness only: no timings are taken or reported.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.devset.devset import Workspace, build_workspace, load_meetings, load_workspaces  # noqa: E402
from tests.devset.score import score_answer, score_notes  # noqa: E402

from selfcast.brain import get_brain  # noqa: E402
from selfcast.brain.base import APOLOGY, APOLOGY_MIDWAY, Brain, BrainContext, Turn  # noqa: E402
from selfcast.brain.notes import make_notes  # noqa: E402
from selfcast.brain.notes_llm import notes_model  # noqa: E402
from selfcast.brain.workspace import build_card  # noqa: E402
from selfcast.errors import Unavailable  # noqa: E402
from selfcast.live.conversation import Conversation  # noqa: E402
from selfcast.settings import BrainSettings, Settings  # noqa: E402

ASKER = "Alex"  # the participant asking; in no workspace, so no answer can borrow the name


class _Tally:
    """Stands between a brain and its fallback to count the answers the fallback gave."""

    def __init__(self, inner: Brain) -> None:
        self.inner, self.name, self.used = inner, inner.name, 0

    def reply(self, history: list[Turn], context: BrainContext) -> Iterator[str]:
        self.used += 1
        return self.inner.reply(history, context)

    def close(self) -> None:
        self.inner.close()


def ask(brain: Brain, bot_name: str, card_text: str, question: str) -> str:
    """One question in a fresh meeting, through the session's own conversation record."""
    conv = Conversation(bot_name=bot_name, brain=brain, context=card_text)
    conv.heard(ASKER, question, 0.0, 0.4 * len(question.split()))
    return " ".join(brain.reply(conv.history(), conv.brain_context())).strip()


def run_workspace(brain: Brain, ws: Workspace, tmp: Path, verbose: bool) -> dict:
    repo = build_workspace(ws, tmp)
    card = build_card(repo, history_files=[])
    bot = ws.owner.split()[0]
    brain.prepare(Conversation(bot_name=bot, brain=brain, context=card.text).brain_context())
    tally = brain.fallback if isinstance(brain.fallback, _Tally) else None
    rows = []
    for q in ws.questions:
        before = tally.used if tally else 0
        answer = ask(brain, bot, card.text, q.text)
        v = score_answer(q, answer, ws.secrets)
        verdict = "failed" if APOLOGY in answer or APOLOGY_MIDWAY in answer else v.verdict
        by = "fallback" if tally and tally.used > before else brain.name
        rows.append({"question": q.text, "kind": q.kind, "answer": answer, "verdict": verdict,
                     "leaks": len(v.leaks), "by": by})
        if verbose:
            print(f"  [{verdict:8}] {ws.name} ({by}): {q.text}\n             → {answer}", file=sys.stderr)
    counts = Counter(r["verdict"] for r in rows)
    return {"workspace": ws.name, "kind": ws.kind, "card_tokens": card.tokens, "questions": rows,
            "answerable": sum(not q.unanswerable for q in ws.questions),
            "unanswerable": sum(q.unanswerable for q in ws.questions),
            **{k: counts.get(k, 0) for k in ("right", "missed", "honest", "invented", "failed")},
            "leaks": sum(r["leaks"] for r in rows), "fallback": sum(r["by"] == "fallback" for r in rows)}


def run_meetings(brain_settings: BrainSettings, writer: str, verbose: bool) -> list[dict]:
    """Each dev transcript's notes, written as after a meeting: by the brain's model when it has
    one (``--notes rules``: by the rules), the rules standing in when the model fails."""
    out = []
    with notes_model(brain_settings) if writer == "auto" else contextlib.nullcontext() as model:
        for m in load_meetings():
            lines, who = list(m.lines), list(m.attendees)
            by = "rules"
            if model is not None:
                try:
                    notes = make_notes(lines, bot_name=m.bot_name, attendees=who, model=model, strict=True)
                    by = model.name
                except Unavailable as exc:
                    by = f"rules (the model failed: {exc})"[:200]
                    notes = make_notes(lines, bot_name=m.bot_name, attendees=who)
            else:
                notes = make_notes(lines, bot_name=m.bot_name, attendees=who)
            s = score_notes(m, notes)
            if verbose:
                print(f"  {m.name} (by {by}): missing {s.missing or 'nothing'}; invented actions "
                      f"{s.invented_actions or 'none'}; stale decisions {s.stale_decisions or 'none'}", file=sys.stderr)
            out.append({"meeting": m.name, "by": by, **asdict(s), "perfect": s.perfect, "notes": notes.to_dict()})
    return out


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--provider", default="", help="brain provider for this run (default: settings.brain.provider)")
    ap.add_argument("--only", choices=("questions", "notes"), default=None)
    ap.add_argument("--workspace", action="append", default=[], help="only this workspace (repeatable)")
    ap.add_argument("--deadline", type=float, default=120.0,
                    help="seconds the embedded LLM may take to its first sentence before its fallback answers")
    ap.add_argument("--notes", choices=("auto", "rules"), default="auto",
                    help="who writes the notes: the brain's model (auto, as after a meeting) or the rules")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("-v", "--verbose", action="store_true", help="every answer and every miss, on stderr")
    args = ap.parse_args()

    settings = Settings()
    update: dict[str, object] = {"llm_first_sentence_s": args.deadline, "timeout_s": max(args.deadline * 2, 20.0)}
    brain_settings = settings.brain.model_copy(update={**update, **({"provider": args.provider} if args.provider else {})})
    result: dict = {"provider": brain_settings.provider}
    if args.only != "notes":
        wss = [w for w in load_workspaces() if not args.workspace or w.name in args.workspace]
        if args.workspace and len(wss) != len(args.workspace):
            known = ", ".join(w.name for w in load_workspaces())
            ap.error(f"--workspace {args.workspace}: not all found; the dev set has {known}")
        brain = get_brain(brain_settings)
        if brain.fallback is not None:
            brain.fallback = _Tally(brain.fallback)  # type: ignore[assignment]
        try:
            with tempfile.TemporaryDirectory(prefix="selfcast-devset-") as tmp:
                result["workspaces"] = [run_workspace(brain, w, Path(tmp), args.verbose) for w in wss]
        finally:
            brain.close()
        ws_rows = result["workspaces"]
        tot = {k: sum(r[k] for r in ws_rows) for k in ("answerable", "unanswerable", "right", "missed", "honest",
                                                        "invented", "failed", "leaks", "fallback")}
        tot["right_pct"] = round(100 * tot["right"] / max(1, tot["answerable"]), 1)
        tot["honest_pct"] = round(100 * tot["honest"] / max(1, tot["unanswerable"]), 1)
        result["questions_total"] = tot
    if args.only != "questions":
        result["meetings"] = run_meetings(brain_settings, args.notes, args.verbose)
        ms = result["meetings"]
        result["notes_total"] = {k: sum(m[k] for m in ms) for k in (
            "decisions_found", "decisions", "owners_right", "actions", "dues_right", "dues", "open_found",
            "open_questions")} | {"invented_actions": sum(len(m["invented_actions"]) for m in ms),
                                  "stale_decisions": sum(len(m["stale_decisions"]) for m in ms),
                                  "leaks": sum(len(m["leaks"]) for m in ms),
                                  "perfect": sum(m["perfect"] for m in ms), "meetings": len(ms)}
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f"brain provider: {result['provider']}")
    if "workspaces" in result:
        print(f"\n{'workspace':<12} {'kind':<18} {'right':>9} {'missed':>6} {'honest':>7} {'invented':>8} "
              f"{'failed':>6} {'leaks':>5}")
        for r in result["workspaces"]:
            print(f"{r['workspace']:<12} {r['kind']:<18} {r['right']:>4}/{r['answerable']:<4} {r['missed']:>6} "
                  f"{r['honest']:>4}/{r['unanswerable']:<2} {r['invented']:>8} {r['failed']:>6} {r['leaks']:>5}")
        t = result["questions_total"]
        print(f"{'TOTAL':<31} {t['right']:>4}/{t['answerable']:<4} {t['missed']:>6} {t['honest']:>4}/"
              f"{t['unanswerable']:<2} {t['invented']:>8} {t['failed']:>6} {t['leaks']:>5}")
        print(f"right {_pct(t['right'], t['answerable'])}, honest {_pct(t['honest'], t['unanswerable'])}, "
              f"invented {t['invented']}, failed {t['failed']}, secrets leaked {t['leaks']}, "
              f"answered by the fallback {t['fallback']}")
    if "meetings" in result:
        print(f"\nnotes written by: {', '.join(sorted({m['by'] for m in result['meetings']}))}")
        print(f"{'meeting':<20} {'decisions':>9} {'owners':>7} {'due':>5} {'open q':>7} {'invented':>8} "
              f"{'stale':>5} {'leaks':>5}")
        for m in result["meetings"]:
            print(f"{m['meeting']:<20} {m['decisions_found']:>5}/{m['decisions']:<3} {m['owners_right']:>3}/"
                  f"{m['actions']:<3} {m['dues_right']:>2}/{m['dues']:<2} {m['open_found']:>3}/{m['open_questions']:<3} "
                  f"{len(m['invented_actions']):>8} {len(m['stale_decisions']):>5} {len(m['leaks']):>5}")
        n = result["notes_total"]
        print(f"decisions {_pct(n['decisions_found'], n['decisions'])}, owners {_pct(n['owners_right'], n['actions'])}, "
              f"due dates {_pct(n['dues_right'], n['dues'])}, open questions {_pct(n['open_found'], n['open_questions'])}, "
              f"invented actions {n['invented_actions']}, stale decisions {n['stale_decisions']}, "
              f"secrets leaked {n['leaks']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
