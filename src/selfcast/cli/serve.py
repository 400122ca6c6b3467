"""``selfcast serve``: run the control plane (API, Pika-compatible routes, room) with uvicorn."""

from __future__ import annotations

import os
import socket

import typer

from selfcast.errors import Unavailable
from selfcast.settings import Settings


def check_port_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise Unavailable(
                f"cannot listen on {host}:{port} ({exc.strerror}); pick another with --port or SELFCAST_PORT"
            ) from None


def build_server(settings: Settings, host: str, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    from selfcast.platform.app import create_app

    check_port_free(host, port)
    app = create_app(settings)
    config = uvicorn.Config(
        app, host=host, port=port, workers=1, log_level=settings.log_level, access_log=False, lifespan="on"
    )
    return uvicorn.Server(config)


def run_until_stopped(server) -> None:  # type: ignore[no-untyped-def]
    """Runs uvicorn in the foreground. Uvicorn re-raises the Ctrl-C it caught once it has shut down
    cleanly; that is a normal stop (exit 0), not an abort."""
    try:
        server.run()
    except KeyboardInterrupt:
        if not server.started:
            raise


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(None, help="Interface to listen on (default: settings.host)"),
        port: int = typer.Option(None, help="Port (default: settings.port)"),
    ) -> None:
        """Run the selfcast server (REST API, Pika-compatible routes, built-in room) in the foreground."""
        os.umask(0o077)  # everything the server writes is private to its user (docs/security.md)
        settings = Settings()
        host = host or settings.host
        port = port or settings.port
        if host != settings.host or port != settings.port:
            settings = settings.model_copy(update={"host": host, "port": port})
        server = build_server(settings, host, port)
        typer.echo(f"selfcast serving on http://{host}:{port} (API docs: /docs); Ctrl-C stops it", err=True)
        run_until_stopped(server)
