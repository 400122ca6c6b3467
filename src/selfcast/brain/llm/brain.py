"""The embedded LLM as a brain: the node's llama.cpp server, one pinned slot per session.

It speaks llama.cpp's OpenAI-compatible chat API (``OpenAIBrain`` does the streaming), adding
``cache_prompt`` and ``id_slot`` so a session's prompt stays in its slot's KV cache. Two calls
keep that cache ahead of the conversation: ``prepare`` prefills the system prompt (the card)
while the bot joins, and ``warm`` extends it with a person's partial words while they speak, so
at the end of a turn only the last words and the answer remain. Warming is best effort, one
request in flight, latest words win; a reply never waits for it longer than the slot's queue.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx

from selfcast.brain.base import Brain, BrainContext, Turn
from selfcast.brain.grounding import Sources, unbacked
from selfcast.brain.llm.service import LocalLLM
from selfcast.brain.prompt import memory_note, messages, system_prompt, turns
from selfcast.brain.providers.openai import OpenAIBrain
from selfcast.errors import Unavailable
from selfcast.settings import BrainSettings

log = logging.getLogger(__name__)

# a prefill given up on is lost work (the server drops the slot's half-read prompt): on a busy node
# a long card may take minutes, and nothing waits on it but the bot's first answers (the fallback)
PREFILL_READ_S = 600.0
TEMPERATURE = 0.0  # the same question gets the same answer: a small model's sampling invents


class LLMBrain(OpenAIBrain):
    name = "llm"
    vendor = "the embedded LLM"
    default_url = ""
    default_model = "local"
    first_clause_words = 6
    max_sentences = 4  # "one to three spoken sentences", and a first clause may be one of them

    def __init__(self, settings: BrainSettings, *, fallback: Brain | None = None) -> None:
        self._own: LocalLLM | None = None
        if not settings.llm_url:  # no node server handed to us: this process loads its own
            self._own = LocalLLM(settings.model_copy(update={"llm_slots": 1})).start()
            settings = settings.model_copy(update={"llm_url": self._own.url, "llm_key": self._own.key, "llm_slot": 0})
        super().__init__(settings.model_copy(update={"url": settings.llm_url, "key": settings.llm_key}))
        self.fallback = fallback
        self.first_sentence_deadline = float(settings.llm_first_sentence_s)
        self.slot = int(settings.llm_slot)
        self.max_tokens = int(settings.llm_max_tokens)
        self._health_url = settings.llm_url.rstrip("/").removesuffix("/v1") + "/health"
        self._ready = False
        self._warm_lock = threading.Lock()
        self._warm_next: tuple[str, list[dict[str, str]]] | None = None
        self._warm_busy = False
        self.last_prefill: dict[str, int] = {}
        self._preparing = threading.Event()
        self._prefiller = httpx.Client(timeout=httpx.Timeout(PREFILL_READ_S, connect=5.0),
                                       headers={"Authorization": f"Bearer {settings.llm_key}"})

    # -- availability ----------------------------------------------------------------------
    def available(self) -> bool:
        """Loaded, and not still reading the card: a reply would queue behind the prefill in
        the session's slot and miss its deadline, so the grounded responder answers at once."""
        return self.ready() and not self._preparing.is_set()

    def first_sentence_s(self) -> float:
        return self.first_sentence_deadline

    def ready(self, wait_s: float = 0.0) -> bool:
        """Whether the model answers now (waiting up to ``wait_s`` for a loading one)."""
        deadline = time.monotonic() + wait_s
        while not self._ready:
            if self._own is not None and self._own.error:
                return False
            try:
                self._ready = httpx.get(self._health_url, timeout=0.5).status_code == 200
            except httpx.HTTPError:
                self._ready = False
            if self._ready or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        return self._ready

    def vetter(self, history: list[Turn], context: BrainContext) -> Callable[[str], str | None]:
        """A model's sentence is said only when its numbers and names are in what it was given;
        a speaker label it copied from the transcript format ("Alex: …") is taken off."""
        question = next((t.text for t in reversed(history) if t.role == "user"), "")
        speakers = {t.speaker for t in history if t.speaker} | {context.bot_name}
        sources = Sources.of(context.card_text(), context.system_prompt, memory_note(context, question),
                             " ".join(speakers), *(t.text for t in history),
                             *(ln.text for ln in context.transcript))
        label = re.compile(r"^\s*(?:" + "|".join(re.escape(s) for s in sorted(speakers, key=len, reverse=True))
                           + r")\s*:\s*") if speakers else None

        def vet(sentence: str) -> str | None:
            if label is not None:
                sentence = label.sub("", sentence)
            missing = unbacked(sentence, sources)
            if missing:
                log.info("llm: a sentence not said: %s is in nothing the bot was given", ", ".join(missing[:5]))
                return None
            return sentence

        return vet

    # -- requests --------------------------------------------------------------------------
    def _body(self, system: str, msgs: list[dict[str, str]], *, max_tokens: int, stream: bool) -> dict[str, object]:
        body: dict[str, object] = {
            "model": self.model, "stream": stream, "temperature": TEMPERATURE, "max_tokens": max_tokens,
            "cache_prompt": True, "messages": [{"role": "system", "content": system}, *msgs],
        }
        if self.slot >= 0:
            body["id_slot"] = self.slot
        return body

    def _stream(self, history: list[Turn], context: BrainContext, cancel: threading.Event) -> Iterator[str]:
        system, msgs = messages(history, context)
        yield from self._pieces(self._body(system, msgs, max_tokens=self.max_tokens, stream=True), cancel)

    def complete(self, system: str, user: str, *, schema: dict | None = None, max_tokens: int = 800) -> str:
        """A whole answer (notes), waiting for a loading model; on the session's slot."""
        if not self.ready(wait_s=120.0):
            raise Unavailable(f"{self.vendor} is not loaded ({self._own.error if self._own else 'not answering'})")
        return super().complete(system, user, schema=schema, max_tokens=max_tokens)

    def _prefill(self, system: str, msgs: list[dict[str, str]]) -> float:
        """One token's request: the server keeps the prompt in the slot."""
        t0 = time.perf_counter()
        response = self._prefiller.post(self.url + "/chat/completions",
                                        json=self._body(system, msgs, max_tokens=1, stream=False))
        if response.status_code >= 400:
            raise Unavailable(f"{self.vendor} refused a prefill ({response.status_code}): {response.text[:200]}")
        try:
            timings = response.json().get("timings") or {}
        except ValueError:  # a server that keeps prompts but reports no timings
            timings = {}
        # tokens read now (prompt_n) and found already in the slot's cache (cache_n)
        self.last_prefill = {k: int(timings.get(k, 0)) for k in ("prompt_n", "cache_n")}
        return time.perf_counter() - t0

    def prepare(self, context: BrainContext, wait_s: float = 60.0) -> float | None:
        """Prefill the system prompt into this session's slot (blocking; call it off the loop
        while the bot joins). Seconds it took, or None when the model was not ready."""
        if not self.ready(wait_s):
            return None
        self._preparing.set()
        try:
            took = self._prefill(system_prompt(context), [{"role": "user", "content": "(the meeting is starting)"}])
        finally:
            self._preparing.clear()
        log.info("llm: card prefilled in %.2fs (slot %d)", took, self.slot)
        return took

    def warm(self, history: list[Turn], context: BrainContext) -> None:
        """Extend the slot's cache with the conversation so far, on a thread; never blocks."""
        if not self._ready:
            return
        job = (system_prompt(context), turns(history))
        with self._warm_lock:
            self._warm_next = job
            if self._warm_busy:
                return
            self._warm_busy = True
        threading.Thread(target=self._warm_loop, name="llm-warm", daemon=True).start()

    def _warm_loop(self) -> None:
        while True:
            with self._warm_lock:
                job, self._warm_next = self._warm_next, None
                if job is None:
                    self._warm_busy = False
                    return
            try:
                self._prefill(*job)
            except Exception as exc:  # warming is an optimisation: a failure only costs speed
                log.debug("llm: warm request failed: %s", exc)

    def close(self) -> None:
        super().close()
        self._prefiller.close()
        if self._own is not None:
            self._own.close()
