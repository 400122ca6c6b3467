"""Executors place sessions on workers. ``LocalExecutor`` runs one ``selfcast worker`` process per
session on this machine; ``RayExecutor`` (``ray_executor``) runs the same worker as a Ray actor on
a cluster's nodes."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Protocol

from selfcast.brain.llm.service import LocalLLM, SlotLeases
from selfcast.errors import Unavailable
from selfcast.platform.store.models import MeetingSession
from selfcast.settings import Settings

log = logging.getLogger("selfcast.platform.executor")


def check_browser(settings: Settings) -> None:
    """Every live session drives a Chromium; without one no meeting can be joined."""
    path = settings.meeting.chromium_path
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise Unavailable(
            f"no Chromium at {path!r} (meeting.chromium_path), so no meeting can be joined; "
            "install it with `bash scripts/setup.sh` (Debian package chromium). Nothing was charged."
        )


class Executor(Protocol):
    name: str

    def preflight(self) -> None:
        """Raise before anything is written when sessions cannot run here."""
        ...

    def start(self, session_id: str) -> int | None:
        """Start the worker; returns its pid when there is one."""
        ...

    def cancel(self, session_id: str) -> None:
        """Nudge the worker to leave now (the database flag is the source of truth)."""
        ...

    def is_alive(self, row: MeetingSession) -> bool: ...

    def shutdown(self) -> None: ...


# What a worker inherits from the server's environment: how to run programs and speak the locale,
# where home and scratch space are, a display for headful Chromium, and the offline/thread knobs
# the engines read. Nothing else (the server's SELFCAST_* settings travel as JSON, minus secrets).
WORKER_ENV = (
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH", "DISPLAY", "XAUTHORITY",
    "XDG_RUNTIME_DIR", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HOME", "OMP_NUM_THREADS", "SELFCAST_TTS_THREADS",
)  # fmt: skip


def worker_env(environ: dict[str, str] | os._Environ[str], extra: dict[str, str]) -> dict[str, str]:
    """The allow-listed part of ``environ`` (plus ``LC_*``), then ``extra``: a worker sees no
    payment, OIDC or signing secret, and no cloud credential the server happens to hold."""
    env = {k: v for k, v in environ.items() if k in WORKER_ENV or k.startswith("LC_")}
    return {**env, **extra}


def worker_settings_json(settings: Settings) -> str:
    """The settings a worker needs: the database URL and its engines' own keys (brain, voice,
    hearing, avatar), without what only the server uses: payments, the portal's OIDC client
    secret and the signing secret (cookies, room tokens; a worker is handed its meeting link)."""
    data = settings.model_dump(mode="json")
    data.pop("payments", None)
    data["secret_key"] = ""
    data["portal"]["oidc_client_secret"] = ""
    data["database_url"] = settings.db_url
    return json.dumps(data)


def worker_argv(session_id: str, heartbeat_s: float, runner: str | None) -> list[str]:
    """The interpreter's arguments that run one session's worker (``selfcast worker``); every
    executor starts exactly this, with ``sys.executable`` of the machine it runs on in front."""
    argv = ["-m", "selfcast.cli.main", "worker", session_id, "--heartbeat-s", str(heartbeat_s)]
    return argv + (["--runner", runner] if runner else [])


def pid_alive(pid: int | None, session_id: str) -> bool:
    """True when ``pid`` is a running worker for this session (guards against pid reuse)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust the signal check
    if ") Z " in stat:
        return False  # a zombie: exited, not yet reaped
    return session_id.encode() in cmdline


class LocalExecutor:
    name = "local"

    def __init__(
        self,
        settings: Settings,
        *,
        runner: str | None = None,  # module:function for tests; None = the live session runner
        heartbeat_s: float = 2.0,
        kill_after_s: float = 30.0,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.heartbeat_s = heartbeat_s
        self.kill_after_s = kill_after_s
        self.extra_env = extra_env or {}
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        # the node's model: loaded at the first session, shared by every session this executor runs
        self._llm: LocalLLM | None = None
        self._slots = SlotLeases(max(1, settings.brain.llm_slots))

    def preflight(self) -> None:
        check_browser(self.settings)

    def _worker_settings(self, session_id: str) -> Settings:
        """The server's settings, plus where this node's model answers and the session's slot."""
        brain = self.settings.brain
        if brain.provider != "embedded" or brain.llm_url:
            return self.settings
        with self._lock:
            if self._llm is None:
                self._llm = LocalLLM(brain).start()
            llm = self._llm
        if llm.error:
            return self.settings  # the worker's brain tries its own, then the extractive responder answers
        endpoint = llm.endpoint(self._slots.lease(session_id))
        return self.settings.model_copy(update={"brain": brain.model_copy(update=endpoint.as_settings())})

    def start(self, session_id: str) -> int:
        work = self.settings.data_dir / "sessions" / session_id
        work.mkdir(parents=True, exist_ok=True)
        settings_json = worker_settings_json(self._worker_settings(session_id))
        env = worker_env(os.environ, {**self.extra_env, "SELFCAST_WORKER_SETTINGS": settings_json})
        cmd = [sys.executable, *worker_argv(session_id, self.heartbeat_s, self.runner)]
        with open(work / "worker.log", "ab") as logf:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        with self._lock:
            self._procs[session_id] = proc
        log.info("session %s: worker pid %s started", session_id, proc.pid)
        return proc.pid

    def cancel(self, session_id: str) -> None:
        with self._lock:
            proc = self._procs.get(session_id)
        if proc is None or proc.poll() is not None:
            return
        try:
            proc.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            return
        timer = threading.Timer(self.kill_after_s, self._kill_if_running, args=(session_id,))
        timer.daemon = True
        timer.start()

    def _kill_if_running(self, session_id: str) -> None:
        with self._lock:
            proc = self._procs.get(session_id)
        if proc is not None and proc.poll() is None:
            log.warning(
                "session %s: worker did not leave within %ss; killing it", session_id, self.kill_after_s
            )
            proc.kill()

    def is_alive(self, row: MeetingSession) -> bool:
        with self._lock:
            proc = self._procs.get(row.id)
        if proc is not None:
            alive = proc.poll() is None
            if not alive:
                with self._lock:
                    self._procs.pop(row.id, None)
                self._slots.release(row.id)
            return alive
        if row.worker_pid is None:
            return True  # not started yet: only the heartbeat deadline applies
        return pid_alive(row.worker_pid, row.id)

    def running(self) -> list[str]:
        with self._lock:
            return [sid for sid, p in self._procs.items() if p.poll() is None]

    def shutdown(self, grace_s: float = 10.0) -> None:
        """Ask every worker this executor started to leave; kill those that do not in time."""
        with self._lock:
            procs = [p for p in self._procs.values() if p.poll() is None]
        for p in procs:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        if self._llm is not None:
            self._llm.close()
            self._llm = None


def executor_for(settings: Settings) -> Executor:
    """The executor ``executor.kind`` names: this machine's processes, or a Ray cluster's actors."""
    if settings.executor.kind == "ray":
        from selfcast.platform.sessions.ray_executor import RayExecutor

        return RayExecutor(settings)
    return LocalExecutor(settings)
