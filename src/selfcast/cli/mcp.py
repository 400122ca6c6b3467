"""``selfcast mcp``: the MCP server for coding agents (stdio by default, or streamable HTTP)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def mcp(
        transport: str = typer.Option("stdio", help="stdio (for an agent that starts it) or http (streamable HTTP)"),
        host: str = typer.Option("127.0.0.1", help="HTTP: address to listen on"),
        port: int = typer.Option(8788, help="HTTP: port to listen on"),
        api_url: str = typer.Option("", help="selfcast server (default: $SELFCAST_API_URL or the local server)"),
    ) -> None:
        """Serve live-meeting tools over MCP (join, speak, transcript, notes, leave).

        Needs a developer key in $SELFCAST_DEV_KEY (or $PIKA_DEV_KEY). Over HTTP every request
        must send that key as `Authorization: Bearer dk_…` (401 otherwise)."""
        import logging

        from selfcast.door.mcp.server import build_server, from_env
        from selfcast.errors import BadInput

        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll would drown the agent's log
        base, key = from_env()
        server = build_server(api_url or base, key)
        if transport == "stdio":
            server.run("stdio")
        elif transport in ("http", "streamable-http"):
            import uvicorn

            from selfcast.door.mcp.httpauth import RequireDevKey

            app = RequireDevKey(server.streamable_http_app(host=host), key)
            uvicorn.run(app, host=host, port=port, log_level="warning")
        else:
            raise BadInput(f"unknown transport {transport!r}; use stdio or http")
