"""Helpers for platform tests: a uvicorn server on a free port, the scripted executor, polling."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from selfcast.settings import Settings

REPO = Path(__file__).resolve().parents[2]
RUNNER = "tests.platform.scripted_runner:run"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    settings: Settings
    app: object
    server: object

    @property
    def platform(self):  # type: ignore[no-untyped-def]
        return self.app.state.platform  # type: ignore[attr-defined]

    def account(self, email: str, credits: int = 0) -> tuple[str, str]:
        """A developer account with a key (and credits); returns (account_id, key)."""
        from selfcast.platform import accounts, keys
        from selfcast.platform.billing import ledger

        with self.platform.store.write() as db:
            acct = accounts.sign_up(db, email, "password123")
            key = keys.create(db, acct.id, "test")
            if credits:
                ledger.credit(db, acct.id, credits, kind="grant")
        return acct.id, key.secret


def start_server(settings: Settings, **app_kwargs) -> LiveServer:  # type: ignore[no-untyped-def]
    import uvicorn

    from selfcast.platform.app import create_app

    port = free_port()
    settings = settings.model_copy(update={"host": "127.0.0.1", "port": port})
    app = create_app(settings, **app_kwargs)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    live = LiveServer(f"http://127.0.0.1:{port}", settings, app, server)
    live._thread = thread  # type: ignore[attr-defined]
    return live


def stop_server(live: LiveServer) -> None:
    live.server.should_exit = True  # type: ignore[attr-defined]
    live._thread.join(timeout=30)  # type: ignore[attr-defined]


def scripted_executor(settings: Settings, **kw):  # type: ignore[no-untyped-def]
    from selfcast.platform.sessions.executor import LocalExecutor

    # the scripted runner has no brain: the node's model would load for nothing (1 GB, CPU)
    settings = settings.model_copy(update={"brain": settings.brain.model_copy(update={"provider": "extractive"})})
    return LocalExecutor(
        settings,
        runner=RUNNER,
        heartbeat_s=kw.pop("heartbeat_s", 0.3),
        kill_after_s=kw.pop("kill_after_s", 3.0),
        extra_env={"PYTHONPATH": str(REPO)},
        **kw,
    )


def wait_for(fn, timeout: float = 20.0, every: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        time.sleep(every)


def auth(key: str, scheme: str = "DevKey") -> dict[str, str]:
    return {"Authorization": f"{scheme} {key}"}


__all__ = [
    "RUNNER",
    "LiveServer",
    "auth",
    "free_port",
    "requests",
    "scripted_executor",
    "start_server",
    "stop_server",
    "wait_for",
]
