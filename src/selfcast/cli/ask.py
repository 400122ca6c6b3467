"""``selfcast ask``: hear what your AI self would say, before a meeting.

The card is built from the workspace exactly as ``selfcast context build`` builds it for a
meeting, the configured brain (the embedded LLM by default) reads it once, and each question is
answered in turn as if asked in the call: one JSON line per question on stdout, with the time
from the question to the first complete sentence (what a listener waits for).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from selfcast.errors import BadInput

MAX_QUESTION_CHARS = 2000
MAX_PROMPT_BYTES = 64 * 1024


def _persona(path: Path | None) -> str:
    if path is None:
        return ""
    if not path.is_file():
        raise BadInput(f"--system-prompt-file {str(path)!r} is not a file")
    if path.stat().st_size > MAX_PROMPT_BYTES:
        raise BadInput(f"--system-prompt-file {str(path)!r} is over {MAX_PROMPT_BYTES // 1024} KiB; shorten it")
    try:
        return path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError as exc:
        raise BadInput(f"--system-prompt-file {str(path)!r} is not UTF-8 text") from exc


def register(app: typer.Typer) -> None:
    @app.command("ask")
    def ask(
        questions: list[str] = typer.Argument(..., help="One or more questions, each answered in turn."),
        workspace: Path = typer.Option(Path("."), "--workspace", help="The folder you work in (default: current)."),
        system_prompt_file: Path | None = typer.Option(None, "--system-prompt-file",
                                                       help="Instructions for the bot (the skill's system prompt)."),
        bot_name: str = typer.Option("", "--bot-name", help="Who the bot is (default: the workspace owner)."),
        provider: str = typer.Option("", "--provider", help="Override brain.provider (embedded, extractive, openai, anthropic)."),
    ) -> None:
        """Answer QUESTIONS as your AI self would in a meeting: one JSON line each
        ({"question", "answer", "first_sentence_s"})."""
        from selfcast.brain import BrainContext, Turn, get_brain
        from selfcast.brain.workspace import build_card
        from selfcast.settings import Settings

        if not workspace.is_dir():
            raise BadInput(f"--workspace {str(workspace)!r} is not a folder; point it at the project you work in")
        for q in questions:
            if not q.strip():
                raise BadInput("a question is empty; pass the words you would say in the meeting")
            if len(q) > MAX_QUESTION_CHARS:
                raise BadInput(f"a question is over {MAX_QUESTION_CHARS} characters; ask it the way you would say it")
        persona = _persona(system_prompt_file)
        card = build_card(workspace.resolve())
        if "reference card" in persona.lower():  # the card file the skill joins with: the meeting gets only it
            card_text, persona = persona, ""
        else:
            card_text = card.text
        name = bot_name.strip() or card.subject.split(",")[0].strip() or "the assistant"
        settings = Settings().brain
        if provider:
            settings = settings.model_copy(update={"provider": provider})
        # a preview of what the model says: on a busy machine it may be slower than a meeting's
        # deadline, and the time it took is reported either way
        settings = settings.model_copy(update={"llm_first_sentence_s": max(settings.llm_first_sentence_s, 60.0),
                                               "first_token_timeout_s": max(settings.first_token_timeout_s, 60.0)})
        brain = get_brain(settings)
        context = BrainContext(bot_name=name, card=card_text, system_prompt=persona or card_text)
        try:
            t0 = time.perf_counter()
            brain.prepare(context)
            print(json.dumps({"card_tokens": card.tokens, "card_loaded_s": round(time.perf_counter() - t0, 2),
                              "brain": brain.name}), file=sys.stderr)
            for q in questions:
                t0 = time.perf_counter()
                first: float | None = None
                sentences = []
                for sentence in brain.reply([Turn("user", q.strip(), "you")], context):
                    if first is None:
                        first = time.perf_counter() - t0
                    sentences.append(sentence)
                typer.echo(json.dumps({"question": q, "answer": " ".join(sentences),
                                       "first_sentence_s": None if first is None else round(first, 3)}))
        finally:
            brain.close()
