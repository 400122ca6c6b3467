"""The body of ``selfcast worker <session_id>``: one live session in its own process.

Runs the live session (``selfcast.live.runner.run_session``, or a test's runner named by
``--runner``), heartbeats on a thread (the session's one heartbeat: the live session reads the
latest directive from the reporter), turns SIGTERM into a cancellation, and makes sure the session
ends in a terminal state however the runner finishes.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import threading

from selfcast.brain.redact import redact
from selfcast.errors import SelfcastError
from selfcast.live.contract import SessionRunner
from selfcast.platform.sessions.registry import SessionRegistry
from selfcast.platform.sessions.reporter import DbReporter
from selfcast.platform.sessions.states import TERMINAL, State
from selfcast.platform.store import Store
from selfcast.platform.store.models import MeetingSession
from selfcast.settings import Settings

log = logging.getLogger("selfcast.worker")

EXIT_OK, EXIT_FAILED = 0, 70


def settings_from_env() -> Settings:
    raw = os.environ.get("SELFCAST_WORKER_SETTINGS")
    return Settings(**json.loads(raw)) if raw else Settings()


def load_runner(ref: str | None) -> SessionRunner:
    """The live session runner; ``ref`` (module:function) names another one, for tests."""
    if not ref:
        from selfcast.live.runner import run_session

        return run_session
    module, _, func = ref.partition(":")
    mod = importlib.import_module(module)
    fn = getattr(mod, func or "run_session")
    if not callable(fn):
        raise TypeError(f"{ref} is not callable")
    return fn  # type: ignore[no-any-return]


def run_worker(
    settings: Settings, session_id: str, *, runner_ref: str | None = None, heartbeat_s: float = 2.0
) -> int:
    store = Store.open(settings.db_url, migrate=False)  # the server migrated it
    registry = SessionRegistry(store, settings)
    reporter = DbReporter(registry, session_id)
    try:
        return _run(registry, reporter, settings, session_id, runner_ref, heartbeat_s)
    finally:
        store.dispose()


def _current_state(registry: SessionRegistry, session_id: str) -> str:
    with registry.store.read() as db:
        row = db.get(MeetingSession, session_id)
        return row.state if row else State.ERROR.value


def _run(
    registry: SessionRegistry,
    reporter: DbReporter,
    settings: Settings,
    session_id: str,
    runner_ref: str | None,
    heartbeat_s: float,
) -> int:
    signal.signal(signal.SIGTERM, lambda *_: reporter.cancelled.set())
    spec = registry.spec(session_id)
    registry.set_worker(session_id, os.getpid())
    reporter.heartbeat()  # first sign of life, before the (possibly slow) runner import
    done = threading.Event()

    def beat() -> None:
        while not done.wait(heartbeat_s):
            try:
                reporter.heartbeat()
            except Exception:  # the database may blip; the next beat retries
                log.exception("heartbeat failed")

    hb = threading.Thread(target=beat, name="heartbeat", daemon=True)
    hb.start()
    code = EXIT_OK
    try:
        runner = load_runner(runner_ref)  # a broken import ends the session in error, loudly
        runner(spec, reporter, settings)
    except SelfcastError as exc:
        code = exc.exit_code
        if _current_state(registry, session_id) not in TERMINAL:
            reporter.set_state(State.ERROR.value, error_code=exc.code, error_message=redact(exc.message))
    except Exception as exc:
        code = EXIT_FAILED
        log.exception("session %s: the session runner failed", session_id)  # through the redacting handler
        if _current_state(registry, session_id) not in TERMINAL:
            reporter.set_state(
                State.ERROR.value,
                error_code="worker_crashed",
                error_message=redact(f"{exc.__class__.__name__}: {exc}")[:500],
            )
    finally:
        done.set()
        hb.join(timeout=5)
    state = _current_state(registry, session_id)
    if state not in TERMINAL:
        if state != State.LEAVING.value:
            reporter.set_state(State.LEAVING.value)
        reporter.set_state(State.CLOSED.value)
    return code
