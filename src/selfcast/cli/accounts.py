"""``selfcast accounts reset-link EMAIL``: the operator's way to let someone choose a new password."""

from __future__ import annotations

import typer

from selfcast.settings import Settings

accounts_app = typer.Typer(help="Accounts: password reset links.", no_args_is_help=True)


@accounts_app.command("reset-link")
def reset_link(email: str = typer.Argument(..., help="The account's email")) -> None:
    """Print a one-time link that lets the account set a new password (valid for
    ``portal.reset_link_hours``; it stops working once used). Send it over a channel you trust."""
    from selfcast.platform.portal.resets import make_link
    from selfcast.platform.store import Store

    settings = Settings()
    settings.ensure_dirs()
    store = Store.open(settings.db_url)
    try:
        with store.read() as db:
            link = make_link(db, settings, email)
    finally:
        store.dispose()
    typer.echo(link)
    typer.echo(
        f"valid for {settings.portal.reset_link_hours:g} hours, once; using it signs every browser out",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")
