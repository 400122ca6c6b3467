"""Entry point: discovers command modules and maps ``SelfcastError`` codes to exit codes."""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from selfcast.errors import SelfcastError


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="selfcast",
        help="Open, self-hosted AI selves that attend video meetings.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )

    @app.callback()
    def _root() -> None:
        """Open, self-hosted AI selves that attend video meetings."""

    @app.command()
    def version() -> None:
        """Print the selfcast version."""
        from selfcast import __version__

        typer.echo(__version__)

    import selfcast.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name == "main" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"selfcast.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    app = build_app()
    try:
        rc = app(args=argv, standalone_mode=False)
    except SelfcastError as exc:
        typer.echo(f"error [{exc.code}]: {exc.message}", err=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 130
    except Exception as exc:  # click usage errors carry their own exit code
        code = getattr(exc, "exit_code", None)
        if code is not None and hasattr(exc, "show"):
            exc.show()
            return code
        raise
    # With standalone_mode=False click returns the code of a ``typer.Exit(n)`` instead of raising.
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
