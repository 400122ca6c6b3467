"""``selfcast credits grant|approve|balance``: the operator's side of the built-in invoice flow."""

from __future__ import annotations

import typer

from selfcast.settings import Settings

credits_app = typer.Typer(help="Credits: grant, approve invoices, show balances.", no_args_is_help=True)


def _store():  # type: ignore[no-untyped-def]
    from selfcast.platform.store import Store

    settings = Settings()
    settings.ensure_dirs()
    return Store.open(settings.db_url)


@credits_app.command("grant", context_settings={"ignore_unknown_options": True})
def grant(
    amount: int = typer.Argument(..., help="Whole credits to add (positive)"),
    email: str = typer.Option(..., help="Account email"),
    note: str = typer.Option("granted by operator", help="Shown in the account's ledger"),
) -> None:
    """Add credits to an account (at most pricing.max_grant_credits, up to pricing.max_balance_credits)."""
    from selfcast.platform import accounts
    from selfcast.platform.billing import ledger

    p = Settings().pricing
    limits = ledger.GrantLimits(max_grant=p.max_grant_credits, max_balance=p.max_balance_credits)
    store = _store()
    with store.write() as db:
        acct = accounts.by_email(db, email)
        ledger.grant(db, acct.id, amount, limits, note=note)
        bal = ledger.balance(db, acct.id)
    typer.echo(f"granted {amount} credits to {acct.email}; balance {bal.available}")


@credits_app.command("approve")
def approve(topup_id: str = typer.Argument(..., help="The top-up id (tu_…) from the invoice page")) -> None:
    """Approve a pending built-in invoice: its credits land in the account once."""
    from selfcast.platform.billing import ledger
    from selfcast.platform.payments import topups

    store = _store()
    with store.write() as db:
        row = topups.approve(db, topup_id)
        bal = ledger.balance(db, row.account_id)
    typer.echo(f"approved {topup_id}: {row.credits} credits; balance {bal.available}")


@credits_app.command("balance")
def balance(
    email: str = typer.Option(None, help="Account email"),
    pending: bool = typer.Option(False, "--pending", help="List top-ups waiting for approval"),
) -> None:
    """Show an account's balance, or the pending top-ups."""
    from selfcast.errors import BadInput
    from selfcast.platform import accounts
    from selfcast.platform.billing import ledger
    from selfcast.platform.payments import topups
    from selfcast.platform.store.models import Account

    store = _store()
    with store.read() as db:
        if pending:
            rows = topups.pending(db)
            for t in rows:
                who = db.get(Account, t.account_id)
                typer.echo(
                    f"{t.id}  {who.email if who else t.account_id}  {t.credits} credits  ${t.amount_cents / 100:.2f}  {t.created_at:%Y-%m-%d %H:%M}"
                )
            if not rows:
                typer.echo("no pending top-ups", err=True)
            return
        if not email:
            raise BadInput("give --email (or --pending)")
        acct = accounts.by_email(db, email)
        bal = ledger.balance(db, acct.id)
    typer.echo(f"{acct.email}: {bal.available} available, {bal.held:g} held, {bal.total:g} total")


def register(app: typer.Typer) -> None:
    app.add_typer(credits_app, name="credits")
