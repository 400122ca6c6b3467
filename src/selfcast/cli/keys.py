"""``selfcast keys create|list|revoke``: developer keys for an account (operator side)."""

from __future__ import annotations

import typer

from selfcast.settings import Settings

keys_app = typer.Typer(help="Developer keys (dk_…): create, list, revoke.", no_args_is_help=True)


def _store():  # type: ignore[no-untyped-def]
    from selfcast.platform.store import Store

    settings = Settings()
    settings.ensure_dirs()
    return Store.open(settings.db_url)


@keys_app.command("create")
def create(
    email: str = typer.Option(..., help="Account email; a developer account is created when missing"),
    name: str = typer.Option("", help="A label for the key, e.g. laptop"),
    scope: list[str] = typer.Option(
        [], "--scope", help="Repeat to grant: sessions (default), keys:mint (may create keys)"
    ),
) -> None:
    """Create a key and print it once (it is stored only as a hash). Operator side: any scope."""
    from selfcast.platform import accounts, keys

    scopes = keys.parse_scopes(scope)  # before anything is written: a typo creates no account
    store = _store()
    with store.write() as db:
        acct = accounts.get_or_create(db, email)
        new = keys.create(db, acct.id, name, scopes)
    typer.echo(f"key {new.id} [{' '.join(new.scopes)}] for {acct.email} (shown this once; store it now):", err=True)
    typer.echo(new.secret)


@keys_app.command("list")
def list_(email: str = typer.Option(..., help="Account email")) -> None:
    """List an account's keys (display prefix, last use, revoked)."""
    from selfcast.platform import accounts, keys

    store = _store()
    with store.read() as db:
        acct = accounts.by_email(db, email)
        rows = keys.list_keys(db, acct.id)
    for k in rows:
        used = k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "never"
        state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
        typer.echo(f"{k.id}  {k.prefix}…  {k.name or '-':<12}  [{k.scopes}]  last used {used}  {state}")
    if not rows:
        typer.echo(
            f"{acct.email} has no keys; create one with `selfcast keys create --email {acct.email}`", err=True
        )


@keys_app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="The key id (key_…) from `selfcast keys list`")) -> None:
    """Revoke a key; requests with it fail with 401 from now on."""
    from selfcast.errors import NotFound
    from selfcast.platform import keys
    from selfcast.platform.store.models import ApiKey

    store = _store()
    with store.write() as db:
        row = db.get(ApiKey, key_id)
        if row is None:
            raise NotFound(f"no key {key_id}; see `selfcast keys list --email …`")
        keys.revoke(db, row.account_id, key_id)
    typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
