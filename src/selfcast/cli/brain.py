"""``selfcast context build`` (the workspace reference card) and ``selfcast notes make``."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import typer

from selfcast.errors import BadInput


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temp file and rename, so a failure never leaves half a card behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(app: typer.Typer) -> None:
    context = typer.Typer(help="Workspace synthesis: what the bot knows about your current work.", no_args_is_help=True)
    notes = typer.Typer(help="Meeting notes from a transcript.", no_args_is_help=True)
    app.add_typer(context, name="context")
    app.add_typer(notes, name="notes")

    @context.command("build")
    def build(
        directory: Path = typer.Argument(Path("."), help="The folder you work in (default: current)."),
        out: Path | None = typer.Option(None, "--out", help="Write the card to this file instead of printing it."),
        budget: int = typer.Option(1200, "--budget", help="Token budget for the card."),
        log: list[Path] = typer.Option([], "--log", help="A terminal log to scan for recent errors (repeatable)."),
        as_json: bool = typer.Option(False, "--json", help="Print the card as JSON (sections, sources, stats)."),
    ) -> None:
        """Scan DIR (README, roadmap, git, logs, memory files) into a reference card, secrets redacted."""
        from selfcast.brain.workspace import build_card

        for p in log:
            if not p.is_file():
                raise BadInput(f"--log {str(p)!r} is not a file; pass a terminal log you saved")
        card = build_card(directory, budget_tokens=budget, extra_logs=log)
        text = json.dumps(card.to_dict(), indent=2) + "\n" if as_json else card.text
        if out is not None:
            _write_atomic(out, text)
            typer.echo(json.dumps({"path": str(out), "tokens": card.tokens, **card.stats}))
        else:
            typer.echo(text, nl=False)

    @notes.command("make")
    def make(
        transcript: Path = typer.Argument(..., help="JSON list of {speaker, start, end, text} segments."),
        bot_name: str = typer.Option("selfcast", "--bot-name"),
        attendee: list[str] = typer.Option([], "--attendee", help="A participant's name (repeatable)."),
        fmt: str = typer.Option("markdown", "--format", help="markdown or json"),
        out: Path | None = typer.Option(None, "--out"),
        writer: str = typer.Option("auto", "--writer", help="auto (the configured brain's model, else rules), "
                                   "llm (the model or an error) or rules"),
    ) -> None:
        """Summary, decisions, action items with owners and open questions from a transcript,
        written by the configured brain's model (as after a meeting) or, without one, by rules."""
        from selfcast.brain.notes import make_notes
        from selfcast.brain.notes_llm import notes_model
        from selfcast.settings import Settings
        from selfcast.transcript import TranscriptLine

        if fmt not in ("markdown", "json"):
            raise BadInput(f"--format {fmt!r}: use markdown or json")
        if writer not in ("auto", "llm", "rules"):
            raise BadInput(f"--writer {writer!r}: use auto, llm or rules")
        try:
            raw = json.loads(transcript.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise BadInput(f"transcript {str(transcript)!r} does not exist") from exc
        except json.JSONDecodeError as exc:
            raise BadInput(f"transcript {str(transcript)!r} is not JSON: {exc.msg} at line {exc.lineno}") from exc
        items = raw.get("segments", raw) if isinstance(raw, dict) else raw
        if not isinstance(items, list) or not all(isinstance(x, dict) and "text" in x for x in items):
            raise BadInput("the transcript must be a JSON list of objects with speaker, start, end and text")
        lines = [TranscriptLine.from_dict(x) for x in items]
        if writer == "rules":
            result = make_notes(lines, bot_name=bot_name, attendees=attendee)
        else:
            brain = Settings().brain
            with notes_model(brain) as model:
                if model is None and writer == "llm":
                    raise BadInput(f"--writer llm: brain provider {brain.provider!r} has no model that writes notes "
                                   "(use 'embedded' or an OpenAI-compatible one), or pass --writer rules")
                result = make_notes(lines, bot_name=bot_name, attendees=attendee, model=model, strict=writer == "llm")
        text = result.to_json() + "\n" if fmt == "json" else result.to_markdown()
        if out is not None:
            _write_atomic(out, text)
            typer.echo(json.dumps({"path": str(out)}))
        else:
            typer.echo(text, nl=False)
