"""``selfcast demo``: start the server on embedded defaults with a local developer account, a key
and starter credits, print what a newcomer needs, and run until Ctrl-C."""

from __future__ import annotations

import threading
import time

import typer

from selfcast.settings import Settings

DEMO_EMAIL = "developer@selfcast.local"
DEMO_CREDITS = 800


def prepare(settings: Settings) -> tuple[str, str, int]:
    """Create (or reuse) the demo account, a fresh key, and the starter credits (granted once)."""
    from selfcast.platform import accounts, keys
    from selfcast.platform.billing import ledger
    from selfcast.platform.store import Store

    store = Store.open(settings.db_url)
    try:
        with store.write() as db:
            acct = accounts.get_or_create(db, DEMO_EMAIL)
            new = keys.create(db, acct.id, "demo")
            starter = max(settings.pricing.starter_credits, DEMO_CREDITS)
            ledger.credit(
                db, acct.id, starter, kind="grant", ref=f"starter:{acct.id}", note="demo starter credits"
            )
            balance = ledger.balance(db, acct.id).available
        return acct.email, new.secret, balance
    finally:
        store.dispose()


def banner(settings: Settings, email: str, key: str, balance: int) -> str:
    url = settings.base_url
    return f"""
selfcast is running at {url}
  API docs     {url}/docs
  account      {email} ({balance} credits)
  developer key (shown this once; store it now):

      {key}

Next steps:
  1. Point the skill (or the original Pika skill) at this server:
       export PIKA_API_BASE_URL={url}
       export PIKA_DEV_KEY={key[:11]}…   (the full key above)
  2. Check your balance:   curl -H "Authorization: DevKey $PIKA_DEV_KEY" {url}/developer/balance
  3. Install the skill for your agent:   selfcast skill install --agent claude
  4. Check this machine:   selfcast doctor

Ctrl-C stops the server.
"""


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        port: int = typer.Option(None, help="Port (default: settings.port)"),
        avatar: bool = typer.Option(True, "--avatar/--no-avatar", help="Send the demo avatar into a built-in room"),
    ) -> None:
        """Run the server on embedded defaults with a ready developer account and key."""
        from selfcast.cli.serve import build_server, run_until_stopped

        settings = Settings()
        if port:
            settings = settings.model_copy(update={"port": port})
        if avatar:  # the avatar waits in its room for whoever opens the link
            meeting = settings.meeting.model_copy(update={"alone_timeout_s": max(settings.meeting.alone_timeout_s, 3600.0)})
            settings = settings.model_copy(update={"meeting": meeting})
        settings.ensure_dirs()
        server = build_server(settings, settings.host, settings.port)
        email, key, balance = prepare(settings)

        def announce() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                typer.echo(banner(settings, email, key, balance))
                if avatar:
                    _send_demo_avatar(settings, key)

        threading.Thread(target=announce, daemon=True).start()
        run_until_stopped(server)


def _send_demo_avatar(settings: Settings, key: str) -> None:
    """The live layer's demo launcher: a built-in room with the avatar in it, and its link."""
    from selfcast.errors import SelfcastError
    from selfcast.live.demo.launch import send_avatar

    typer.echo("Sending the demo avatar into a room …")
    try:
        room = send_avatar(settings, key, wait_ready_s=120)
    except SelfcastError as exc:
        typer.echo(f"The demo avatar could not join: {exc.message}", err=True)
        return
    typer.echo(f"""
  Meet the avatar: open this link in your browser and click "Join now":

      {room.guest_url}

  It greets you; ask it about the Lighthouse project (its demo workspace), e.g.
  "When is the first release planned?" or "What are you working on right now?"
  Session {room.session_id}; leave with:  curl -X POST -H "Authorization: DevKey …" \
      {settings.base_url}/v1/sessions/{room.session_id}/leave
""")
