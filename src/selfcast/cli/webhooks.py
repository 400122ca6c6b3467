"""``selfcast webhooks add|list|remove``: an account's webhook endpoints, on this server.

Writes the same store ``/v1/webhooks`` serves; the account is named by its email, as for
``selfcast keys``. ``add`` prints the signing secret once.
"""

from __future__ import annotations

import json

import typer

from selfcast.settings import Settings

webhooks_app = typer.Typer(help="Webhooks: add, list and remove an account's endpoints.", no_args_is_help=True)


def _settings() -> Settings:
    settings = Settings()
    settings.ensure_dirs()
    return settings


@webhooks_app.command("add")
def add(
    url: str = typer.Argument(..., help="https:// URL of a public host that receives the events"),
    email: str = typer.Option(..., help="Account email"),
    event: list[str] = typer.Option([], "--event", help="An event type to send (repeat); default: all"),
) -> None:
    """Subscribe a URL; prints its id and signing secret (shown this once)."""
    from selfcast.platform import accounts
    from selfcast.platform.store import Store
    from selfcast.platform.webhooks import endpoints
    from selfcast.platform.webhooks.secretbox import SecretBox

    settings = _settings()
    with Store.open(settings.db_url).write() as db:
        acct = accounts.by_email(db, email)
        new = endpoints.create(db, acct.id, url, event or None, box=SecretBox.for_settings(settings),
                               allow_loopback=settings.webhooks.allow_loopback)
        typer.echo(f"{new.row.id}  {new.row.url}  {new.row.events}")
        typer.echo(f"secret: {new.secret}")
    typer.echo("Store the secret now: it is not shown again. Verify deliveries with it "
               "(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).", err=True)


@webhooks_app.command("list")
def list_(
    email: str = typer.Option(..., help="Account email"),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line"),
) -> None:
    """Each endpoint: id, URL, events, and how many deliveries are pending, delivered, failed."""
    from sqlalchemy import func, select

    from selfcast.platform import accounts
    from selfcast.platform.store import Store
    from selfcast.platform.store.models import WebhookDelivery
    from selfcast.platform.webhooks import endpoints

    with Store.open(_settings().db_url).read() as db:
        acct = accounts.by_email(db, email)
        for h in endpoints.list_for(db, acct.id):
            counts = dict(db.execute(
                select(WebhookDelivery.status, func.count()).where(WebhookDelivery.endpoint_id == h.id)
                .group_by(WebhookDelivery.status)).tuples().all())
            if as_json:
                typer.echo(json.dumps({"id": h.id, "url": h.url, "events": h.events.split(),
                                       "created_at": h.created_at.isoformat(), "deliveries": counts}))
            else:
                tally = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no deliveries"
                typer.echo(f"{h.id}  {h.url}  {h.events}  ({tally})")


@webhooks_app.command("remove")
def remove(
    webhook_id: str = typer.Argument(..., help="Webhook id from `selfcast webhooks list`"),
    email: str = typer.Option(..., help="Account email"),
) -> None:
    """Delete an endpoint; its pending deliveries are not sent."""
    from selfcast.platform import accounts
    from selfcast.platform.store import Store
    from selfcast.platform.webhooks import endpoints

    with Store.open(_settings().db_url).write() as db:
        endpoints.remove(db, accounts.by_email(db, email).id, webhook_id)
    typer.echo(f"removed {webhook_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
