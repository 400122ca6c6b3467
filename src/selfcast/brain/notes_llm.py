"""Meeting notes written by a language model, then checked against the transcript.

The model reads the redacted transcript (a line that states a credential never reaches it) and
answers in one JSON object whose shape a JSON schema fixes (llama.cpp's server and OpenAI both
honour ``response_format: json_schema``): a 3–6 sentence summary in its own words, the decisions
as they stand at the end, action items ``{owner, task, due}`` and open questions. Nothing it
writes is taken on trust: an owner must be a speaker or attendee (first names become the name
the transcript has), an action item must be backed by the owner's own commitment ("I'll…",
"Will do") or by someone assigning it to them by name, on the same subject, so a person who only
reported what they did gets none; a due date must be words somebody said. Any failure raises
``NotesModelError`` and the caller falls back to the rule-based notes.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import httpx

from selfcast.brain.redact import MASK, redact
from selfcast.brain.retrieval import STOPWORDS
from selfcast.sentences import split_sentences

if TYPE_CHECKING:
    from selfcast.settings import BrainSettings

log = logging.getLogger(__name__)

SYSTEM = (
    "You write the notes of a meeting from its transcript, as one JSON object.\n"
    "- decisions: what the group agreed or settled, as it stood at the END of the meeting; when a decision "
    "was changed later, give only the final one. A task someone will do is not a decision.\n"
    "- action_items: work that someone agreed to do, or was asked by name to do, in this meeting. owner: that "
    "person's name exactly as the transcript writes it; task: a short imperative phrase; due: the deadline as "
    "it was said (\"Friday\"), or \"\" when none was said. What a person says they already did (\"I finished "
    "X\", \"I ran Y\") is a report, not an action item.\n"
    "- open_questions: questions that were raised and not answered, or explicitly left open.\n"
    "- summary: 3 to 6 sentences in your own words: what was discussed and what was concluded. No quotes.\n"
    "Use only what the transcript says; never invent names, dates or tasks.\n\n"
    "Example transcript:\n"
    "Ann Lee: I fixed the login bug yesterday.\n"
    "Bo Chan: Great. Let's ship on Monday. Ann, can you write the release notes by Friday?\n"
    "Ann Lee: Sure.\n"
    "Bo Chan: Actually, Monday is a holiday, so we ship on Tuesday instead.\n"
    "Bo Chan: Does marketing need screenshots? Nobody knows yet.\n"
    "Its notes:\n"
    '{"decisions": ["Ship on Tuesday"], "action_items": [{"owner": "Ann Lee", "task": "Write the release notes", '
    '"due": "Friday"}], "open_questions": ["Does marketing need screenshots?"], "summary": "Ann fixed the login '
    'bug. The release was moved from Monday to Tuesday because of a holiday, and Ann will write the release '
    'notes by Friday. Whether marketing needs screenshots is still open."}'
)
MAX_TOKENS = 1000
PROMPT_TOKENS = 450  # the instructions and the schema's grammar, with room to spare

_COMMIT = re.compile(r"\b(?:i'll|i will|i'm going to|i am going to|i can|i could|let me|will do|i'm on it|on it|"
                     r"i'll take|i can take|happy to|sure|yes|yep|okay|ok|consider it done|i'll have)\b", re.I)
_ASSIGN = re.compile(r"\b(?:can you|could you|would you|will you|please|will|is going to|should|needs to|"
                     r"has to|to own|owns|takes?|action item)\b", re.I)


class NotesModelError(Exception):
    """The model could not write usable notes (unreachable, refused, or answered off-schema)."""


class NotesModel(Protocol):
    """A chat model that answers with JSON fitting a schema."""

    @property
    def name(self) -> str: ...

    @property
    def context_tokens(self) -> int: ...  # prompt + answer must fit: a longer meeting's latest part is noted

    def complete_json(self, system: str, user: str, schema: dict[str, object], max_tokens: int) -> str: ...


@dataclass(frozen=True)
class ChatEndpoint:
    """An OpenAI-compatible ``/chat/completions`` (the node's llama.cpp server, OpenAI, vLLM…)."""

    url: str  # base URL ending in /v1
    key: str = field(default="", repr=False)
    model: str = "local"
    timeout_s: float = 300.0  # the longest silence between two pieces (reading the prompt comes first)
    slot: int = -1  # llama.cpp: pin to this slot (-1: any)
    name: str = "llm"
    context_tokens: int = 8192

    def complete_json(self, system: str, user: str, schema: dict[str, object], max_tokens: int) -> str:
        """Streamed, so a slow machine's long answer is bounded by the silence between pieces
        (``timeout_s``), not by its length."""
        body: dict[str, object] = {
            "model": self.model, "temperature": 0.0, "max_tokens": max_tokens, "stream": True,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "meeting_notes", "strict": True, "schema": schema}},
        }
        if self.slot >= 0:
            body["id_slot"] = self.slot
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        pieces: list[str] = []
        finish = ""
        try:
            with httpx.stream("POST", self.url.rstrip("/") + "/chat/completions", json=body, headers=headers,
                              timeout=httpx.Timeout(self.timeout_s, connect=5.0)) as r:
                if r.status_code >= 400:
                    raise NotesModelError(f"{self.name} refused the notes request ({r.status_code}): "
                                          f"{redact(r.read().decode(errors='replace')[:200])}")
                for line in r.iter_lines():
                    if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                        continue
                    chunk = json.loads(line[5:])
                    if "error" in chunk:
                        raise NotesModelError(f"{self.name} failed mid-answer: {redact(str(chunk['error'])[:200])}")
                    for choice in chunk.get("choices", []):
                        pieces.append((choice.get("delta") or {}).get("content") or "")
                        finish = choice.get("finish_reason") or finish
        except httpx.HTTPError as exc:
            raise NotesModelError(f"{self.name} unreachable at {self.url}: {type(exc).__name__}") from exc
        except (ValueError, AttributeError) as exc:
            raise NotesModelError(f"{self.name} streamed something that is not a chat completion") from exc
        if finish == "length":
            raise NotesModelError(f"{self.name} ran out of tokens ({max_tokens}) before the notes were complete")
        return "".join(pieces)


def schema(people: Sequence[str]) -> dict[str, object]:
    """The notes' JSON schema; owners limited to the people in the meeting. (No string lengths:
    llama.cpp turns ``maxLength`` into a grammar so large that sampling slows to a crawl.)"""
    owner: dict[str, object] = {"type": "string", "enum": list(people)} if people else {"type": "string"}
    line = {"type": "string"}
    return {
        "type": "object",
        "properties": {  # extracted first, summarised last: the summary then follows what was found
            "decisions": {"type": "array", "items": line, "maxItems": 8},
            "action_items": {"type": "array", "maxItems": 10, "items": {
                "type": "object",
                "properties": {"owner": owner, "task": line, "due": line},
                "required": ["owner", "task", "due"], "additionalProperties": False}},
            "open_questions": {"type": "array", "items": line, "maxItems": 8},
            "summary": {"type": "string"},
        },
        "required": ["decisions", "action_items", "open_questions", "summary"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Said:
    speaker: str
    text: str


@dataclass(frozen=True)
class ModelNotes:
    """What the model wrote, after checking: the parts of ``MeetingNotes`` it is responsible for."""

    summary: str
    decisions: list[str]
    action_items: list[tuple[str, str, str]]  # (owner, task, due)
    open_questions: list[str]
    dropped: list[str]  # why each rejected action item was rejected (for logs and the bench)


def prompt(said: Sequence[Said], people: Sequence[str], bot_name: str, max_chars: int = 24_000) -> str:
    lines = [f"{s.speaker}{' (AI assistant)' if s.speaker == bot_name else ''}: {s.text}" for s in said]
    text = "\n".join(lines)
    if len(text) > max_chars:
        text = "…\n" + text[-max_chars:].split("\n", 1)[-1]
    return f"People in the meeting: {', '.join(people)}.\n\nTranscript:\n{text}"


def write(model: NotesModel, said: Sequence[Said], people: Sequence[str], bot_name: str) -> ModelNotes:
    """Ask ``model`` for the notes of ``said`` (already redacted) and check what it wrote."""
    if not said:
        raise NotesModelError("nothing was said: no notes to write")
    room = model.context_tokens - MAX_TOKENS - PROMPT_TOKENS
    if room < 300:
        raise NotesModelError(f"{model.name}'s context ({model.context_tokens} tokens) is too small for notes")
    raw = model.complete_json(SYSTEM, prompt(said, people, bot_name, max_chars=room * 3), schema(people), MAX_TOKENS)
    return check(raw, said, people)


def check(raw: str, said: Sequence[Said], people: Sequence[str]) -> ModelNotes:
    """Parse the model's JSON and keep only what the transcript supports."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise NotesModelError(f"the model's notes are not JSON ({exc.msg} at {exc.pos})") from exc
    if not isinstance(data, dict):
        raise NotesModelError("the model's notes are not a JSON object")
    transcript = " ".join(s.text for s in said).lower()
    heard = _content(transcript) | _content(" ".join(people))
    summary = " ".join(x for x in split_sentences(_summary(data.get("summary"))) if _grounded(x, heard, 1 / 3))
    if not summary:
        raise NotesModelError("the model wrote no summary of what was said")
    actions: list[tuple[str, str, str]] = []
    dropped: list[str] = []
    for item in _objects(data.get("action_items")):
        owner = _person(str(item.get("owner", "")), people)
        task = _text(item.get("task"))
        due = _text(item.get("due"))
        if not task:
            continue
        if not owner:
            dropped.append(f"{item.get('owner')!r}: {task} (not a speaker or attendee)")
            continue
        if not backed(owner, task, said):
            why = f"{owner}: {task} (nobody committed to or assigned it in the meeting)"
            if why not in dropped:
                dropped.append(why)
            continue
        if due and not all(w in transcript for w in re.findall(r"[a-z0-9]+", due.lower())):
            due = ""  # a date nobody said is not a due date
        if (owner, task.lower()) not in {(o, t.lower()) for o, t, _ in actions}:
            actions.append((owner, task, due))
    decisions = [d for d in _strings(data.get("decisions")) if _grounded(d, heard)]
    questions = [q for q in _strings(data.get("open_questions")) if _grounded(q, heard)]
    return ModelNotes(summary, decisions, actions, questions, dropped)


def _grounded(text: str, heard: set[str], share: float = 0.5) -> bool:
    """More than ``share`` of its content words were said in the meeting (not, say, copied from
    the example); a summary, in the model's own words, needs less than a decision."""
    words = _content(text)
    return not words or len(words & heard) > share * len(words)


_WHEN = frozenset([
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "today", "tonight", "tomorrow",
    "yesterday", "week", "month", "next", "end", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "after", "before", "until",
])


def _content(text: str) -> set[str]:
    """Content words, crudely stemmed (four letters kept, a plural's s off): "moved" ~ "move".
    Days and months are not content: "Ship on Friday" is not backed by "… by Friday"."""
    words = re.findall(r"[^\W_]+", text.lower())
    return {(w[:-1] if w.endswith("s") and len(w) > 3 else w)[:4] for w in words
            if w not in STOPWORDS and w not in _WHEN and len(w) > 2}


def similar(a: str, b: str) -> bool:
    """The same item in other words: half the content words of the shorter one are shared."""
    wa, wb = _content(a), _content(b)
    return bool(wa and wb) and len(wa & wb) * 2 >= min(len(wa), len(wb))


def _first(name: str) -> str:
    return name.split()[0].lower() if name.split() else ""


def backed(owner: str, task: str, said: Sequence[Said]) -> bool:
    """The owner said they would do it, or someone gave it to them by name, on the task's subject:
    a commitment ("I'll…", "Will do") is read with the request just before it."""
    want = _content(task)
    first = _first(owner)
    for i, s in enumerate(said):
        if s.speaker == owner:
            if not _COMMIT.search(s.text):
                continue
            window = s.text
            if i > 0 and said[i - 1].speaker != owner:
                window += " " + said[i - 1].text
        elif re.search(rf"\b{re.escape(first)}\b", s.text, re.I) and _ASSIGN.search(s.text):
            window = s.text
        else:
            continue
        if want & _content(window):
            return True
    return False


def _person(name: str, people: Sequence[str]) -> str:
    low = name.strip().lower()
    if not low:
        return ""
    exact = [p for p in people if p.lower() == low]
    if exact:
        return exact[0]
    by_first = [p for p in people if _first(p) == low or _first(p) == _first(name)]
    return by_first[0] if len(by_first) == 1 else ""


def _text(v: object) -> str:
    t = re.sub(r"\s+", " ", str(v or "")).strip().strip("\"'")
    t = redact(t, drop=True)
    return "" if MASK in t else t


def _strings(v: object) -> list[str]:
    items = [_text(x).rstrip(".") for x in (v if isinstance(v, list) else [])]
    return list(dict.fromkeys(x for x in items if x))[:10]


def _objects(v: object) -> list[dict[str, object]]:
    return [x for x in (v if isinstance(v, list) else []) if isinstance(x, dict)][:12]


def _summary(v: object) -> str:
    sentences = [s for s in split_sentences(_text(v)) if s.strip()]
    return " ".join(sentences[:6]).strip()


OPENAI_COMPATIBLE = ("openai", "ollama", "vllm", "lmstudio", "llamacpp")


class WholeAnswerBrain(Protocol):
    """A brain that can give one whole, schema-constrained answer (the embedded LLM, OpenAI-compatible)."""

    name: str

    def complete(self, system: str, user: str, *, schema: dict | None = None, max_tokens: int = 800) -> str: ...


@dataclass(frozen=True)
class BrainWriter:
    """A session's own brain as the notes' model: after the meeting its slot on the node's server
    is free, and the notes cost no second copy of the model."""

    brain: WholeAnswerBrain
    context_tokens: int

    @property
    def name(self) -> str:
        return f"brain {self.brain.name}"

    def complete_json(self, system: str, user: str, schema: dict[str, object], max_tokens: int) -> str:
        try:
            return self.brain.complete(system, user, schema=schema, max_tokens=max_tokens)
        except Exception as exc:  # any failure of the provider: the rules write the notes instead
            raise NotesModelError(f"{type(exc).__name__}: {redact(str(exc))[:200]}") from exc


def notes_model_for(brain: object) -> NotesModel | None:
    """The notes' model for a live session's brain, or None when it cannot answer whole (the
    extractive responder, Anthropic): then the rules write the notes."""
    if not callable(getattr(brain, "complete", None)):
        return None
    settings = getattr(brain, "settings", None)
    local = getattr(brain, "name", "") == "llm"
    ctx = int(getattr(settings, "llm_ctx_per_slot", 4096)) if local else 32_000
    return BrainWriter(brain, ctx)  # type: ignore[arg-type]  # checked: it has complete()


@contextmanager
def notes_model(settings: BrainSettings, *, load_wait_s: float = 180.0) -> Iterator[NotesModel | None]:
    """The model that writes the notes for ``brain`` settings, or None (the rules write them).

    ``embedded``: the node's llama.cpp server when the session was handed one (``llm_url``),
    else the model loaded here for the notes and unloaded after; ``openai``-compatible: that
    endpoint; ``extractive``: none; ``anthropic``: none (its API has no JSON-schema output here).
    """
    provider = (settings.provider or "embedded").lower()
    if provider == "embedded":
        if settings.llm_url:
            yield ChatEndpoint(settings.llm_url, settings.llm_key, slot=int(settings.llm_slot),
                               name="the embedded LLM", context_tokens=int(settings.llm_ctx_per_slot))
            return
        from selfcast.brain.llm.service import LocalLLM

        ctx = max(8192, int(settings.llm_ctx_per_slot))
        llm = LocalLLM(settings.model_copy(update={"llm_slots": 1, "llm_ctx_per_slot": ctx})).start()
        try:
            if not llm.wait(load_wait_s):
                log.warning("notes: the embedded LLM did not load (%s); the rules write the notes",
                            llm.error or f"not ready after {load_wait_s:.0f}s")
                yield None
            else:
                yield ChatEndpoint(llm.url, llm.key, name="the embedded LLM", context_tokens=ctx)
        finally:
            llm.close()
        return
    if provider in OPENAI_COMPATIBLE:
        yield ChatEndpoint(settings.url or "https://api.openai.com/v1", settings.key, settings.model or "gpt-4o-mini",
                           name=provider, context_tokens=32_000)
        return
    if provider == "anthropic":
        log.info("notes: the anthropic provider has no JSON-schema output here; the rules write the notes")
    yield None
