"""One llama.cpp server per node: the model loaded once, a slot (its own KV cache) per session.

``xllamacpp`` runs llama.cpp's own server in a process of its own (``selfcast.brain.llm.serve``,
niced so that live media and hearing win the CPU on a busy node): an OpenAI-compatible HTTP API on
loopback, guarded by a random API key, with ``n_parallel`` slots. Each session is leased a slot
and pins its requests to it (``id_slot``), so its reference card, prefilled once while the bot
joins, stays in that slot's cache and each turn pays only for its own new words. Loading takes a
few seconds: the server is started on a thread and reports ``ready`` when ``/health`` says so;
until then a session's brain answers with the extractive responder.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from selfcast.errors import BadInput
from selfcast.settings import BrainSettings
from selfcast.weights import QWEN_CODER_1_5B, assemble, default_models_dir

log = logging.getLogger(__name__)
LOAD_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class LLMEndpoint:
    """Where a session's brain talks to the node's model: base URL (``…/v1``), key and slot."""

    url: str
    key: str
    slot: int = -1  # -1: the server picks

    def as_settings(self) -> dict[str, str | int]:
        return {"llm_url": self.url, "llm_key": self.key, "llm_slot": self.slot}


def model_path(settings: BrainSettings) -> Path:
    """``brain.model_path`` (any GGUF the user has), else the shipped Qwen2.5-Coder-1.5B."""
    if settings.model_path:
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise BadInput(f"brain.model_path {str(path)!r} is not a file; point it at a GGUF model or leave it empty")
        with path.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise BadInput(f"brain.model_path {str(path)!r} is not a GGUF file (llama.cpp's format)")
        return path
    return assemble(QWEN_CODER_1_5B, default_models_dir())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _idle_cpu() -> None:
    """In the model server's process before exec: run only when no other process wants the CPU
    (its threads inherit it). Niceness 10 was not enough on 2 cores: a 70-100 s card prefill left
    gaps of seconds between a live answer's sentences."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class LocalLLM:
    """The node's model server. ``start()`` returns at once; ``ready`` tells when it answers."""

    def __init__(self, settings: BrainSettings) -> None:
        self.settings = settings
        self.slots = max(1, int(settings.llm_slots))
        self.key = "sk-" + secrets.token_urlsafe(24)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.error: str = ""

    def start(self) -> LocalLLM:
        if self._thread is None:
            self._thread = threading.Thread(target=self._load, name="llm-load", daemon=True)
            self._thread.start()
        return self

    def _load(self) -> None:
        """Start the server process (on idle CPU time by default: a live session's media and ears
        come first on a busy node; the model takes what is left) and wait until it answers ``/health``."""
        try:
            path = model_path(self.settings)
            config = {"model": str(path), "slots": self.slots, "ctx": int(self.settings.llm_ctx_per_slot) * self.slots,
                      "threads": int(self.settings.llm_threads), "port": self.port}
            env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH")}
            env |= {"SELFCAST_LLM_CONFIG": json.dumps(config), "SELFCAST_LLM_KEY": self.key}
            # llama.cpp's own log, kept for the error message (a pipe nobody reads would fill and stall it);
            # open as long as the process runs, closed in close()
            self._log = tempfile.TemporaryFile()  # noqa: SIM115
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "selfcast.brain.llm.serve"], env=env, stdin=subprocess.DEVNULL,
                stdout=self._log, stderr=self._log, start_new_session=True,
                preexec_fn=_idle_cpu if self.settings.llm_cpu == "idle" else None)
            health = self.url.removesuffix("/v1") + "/health"
            deadline = time.monotonic() + LOAD_TIMEOUT_S
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    self._log.seek(0)
                    err = self._log.read().decode(errors="replace")
                    raise RuntimeError(f"the model server exited ({self._proc.returncode}): {err.strip()[-300:]}")
                try:
                    if httpx.get(health, timeout=1.0).status_code == 200:
                        self._ready.set()
                        log.info("llm: %s loaded with %d slots at %s (pid %d)", path.name, self.slots, self.url,
                                 self._proc.pid)
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            raise TimeoutError(f"the model server did not answer within {LOAD_TIMEOUT_S:.0f} s")
        except Exception as exc:  # the brain falls back; the reason is kept for doctor and logs
            self.error = f"{type(exc).__name__}: {exc}"[:400]
            log.error("llm: loading the model failed: %s", self.error)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the model answers; False after ``timeout`` or when loading failed."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready

    def endpoint(self, slot: int = -1) -> LLMEndpoint:
        return LLMEndpoint(self.url, self.key, slot)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        self._ready.clear()
        if self._log is not None:
            self._log.close()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


class SlotLeases:
    """Which session holds which slot: each new session gets the least-used one (ties: lowest)."""

    def __init__(self, slots: int) -> None:
        self._held: dict[str, int] = {}
        self._slots = slots
        self._lock = threading.Lock()

    def lease(self, session_id: str) -> int:
        with self._lock:
            if session_id in self._held:
                return self._held[session_id]
            use = [0] * self._slots
            for s in self._held.values():
                use[s] += 1
            slot = min(range(self._slots), key=lambda i: (use[i], i))
            self._held[session_id] = slot
            return slot

    def release(self, session_id: str) -> None:
        with self._lock:
            self._held.pop(session_id, None)
