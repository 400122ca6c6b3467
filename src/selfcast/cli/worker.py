"""``selfcast worker <session_id>``: run one live session in this process (started by the server)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command(hidden=True)
    def worker(
        session_id: str = typer.Argument(..., help="The session to run"),
        runner: str = typer.Option(None, help="module:function of another session runner (tests)"),
        heartbeat_s: float = typer.Option(2.0, help="Seconds between heartbeats"),
    ) -> None:
        """Run one meeting session (the server starts this; it is not for direct use)."""
        import logging

        from selfcast.brain.redact import RedactingFilter
        from selfcast.platform.sessions.worker import run_worker, settings_from_env

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        for handler in logging.getLogger().handlers:  # the worker's log file never holds a secret
            handler.addFilter(RedactingFilter())
        code = run_worker(settings_from_env(), session_id, runner_ref=runner, heartbeat_s=heartbeat_s)
        raise SystemExit(code)  # cli.main drops typer.Exit codes in non-standalone mode
