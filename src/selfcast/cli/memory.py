"""``selfcast memory list|forget``: what an account's bots remember across meetings, on this server.

Reads the same ``<data_dir>/memory`` the session workers write and ``/v1/memory`` serves; the
account is named by its email, as for ``selfcast keys``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from selfcast.settings import Settings

memory_app = typer.Typer(help="Memory across meetings: list what the bots remember, forget items.",
                         no_args_is_help=True)


def _account(email: str) -> tuple[Settings, str]:
    from selfcast.platform import accounts
    from selfcast.platform.store import Store

    settings = Settings()
    settings.ensure_dirs()
    with Store.open(settings.db_url).read() as db:
        return settings, accounts.by_email(db, email).id


@memory_app.command("list")
def list_(
    email: str = typer.Option(..., help="Account email"),
    bot: str = typer.Option("", help="Only this bot's memory (its name)"),
    workspace: str = typer.Option("", help="Only this workspace (its id or name)"),
    q: str = typer.Option("", "-q", "--query", help="Words the memory must contain"),
    offset: int = typer.Option(0, min=0),
    limit: int = typer.Option(50, min=1, max=200),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """Newest first: id, date, bot, kind and text of each memory."""
    from selfcast.brain.memory import AccountMemory

    settings, account_id = _account(email)
    page = AccountMemory(settings.data_dir, account_id).list(bot=bot, workspace=workspace, q=q, offset=offset,
                                                             limit=limit)
    for i in page.items:
        if as_json:
            typer.echo(json.dumps(i.to_dict(), ensure_ascii=False))
        else:
            day = datetime.fromtimestamp(i.at, tz=UTC).strftime("%Y-%m-%d")
            where = f" [{i.workspace_name}]" if i.workspace_name else ""
            typer.echo(f"{i.id}  {day}  {i.bot}{where}  {i.kind:<9} {i.text}")
    shown = f"{page.offset + 1}-{page.offset + len(page.items)}" if page.items else "none"
    typer.echo(f"{shown} of {page.total} memories", err=True)


@memory_app.command("forget")
def forget(
    memory_id: list[str] = typer.Argument(..., help="Memory ids from `selfcast memory list`"),
    email: str = typer.Option(..., help="Account email"),
) -> None:
    """Delete memories for good (removed from disk; no later meeting sees them)."""
    from selfcast.brain.memory import AccountMemory
    from selfcast.errors import NotFound

    settings, account_id = _account(email)
    book = AccountMemory(settings.data_dir, account_id)
    missing = [m for m in memory_id if book.forget(m) is None]
    for m in memory_id:
        if m not in missing:
            typer.echo(f"forgot {m}")
    if missing:
        raise NotFound(f"no memory {', '.join(missing)} in this account; see `selfcast memory list --email {email}`")


def register(app: typer.Typer) -> None:
    app.add_typer(memory_app, name="memory")
