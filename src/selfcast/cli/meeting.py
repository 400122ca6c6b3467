"""`selfcast meeting ...` (self-check, bot account login) and `selfcast room ...` (the built-in room
on its own: serve it, create rooms and invitation links)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer

from selfcast.errors import BadInput, Unavailable
from selfcast.settings import Settings

meeting_app = typer.Typer(help="Meeting bots: check that a bot can join a meeting, sign in a bot account.",
                          no_args_is_help=True)
room_app = typer.Typer(help="The built-in meeting room: serve it, create rooms and invitation links.",
                       no_args_is_help=True)


@meeting_app.command("check")
def check(
    url: str = typer.Argument(..., help="Meeting link (Google Meet, Zoom, Teams, Jitsi or a selfcast room)."),
    name: str = typer.Option("selfcast check", "--name", help="The name the bot joins with."),
    password: str = typer.Option("", "--password", help="Meeting password/passcode, where the platform takes one."),
    platform: str = typer.Option("", "--platform", help="Force the platform (google_meet, zoom, teams, jitsi, room)."),
    timeout: float = typer.Option(120.0, "--timeout", help="Seconds to wait for admission."),
    stay: float = typer.Option(5.0, "--stay", help="Seconds to stay in the call, checking that audio arrives."),
    headless: bool | None = typer.Option(None, "--headless/--headful", help="Default: headful (Xvfb) for third-party platforms."),
    screenshots: Path = typer.Option(Path("."), "--screenshots", help="Where to save a screenshot if the join fails."),
) -> None:
    """Join URL as a bot, report each step and what it saw, and leave."""
    from selfcast.meeting.bot import MeetingBot

    settings = Settings()
    bot = MeetingBot(url, name, settings.meeting, platform=platform or None, password=password or None,
                     headless=headless, screenshot_dir=screenshots, server_base_url=settings.base_url)
    typer.echo(f"platform: {bot.platform}")

    async def run() -> None:
        async with bot:
            result = await bot.join(timeout_s=timeout)
            for step in result.steps:
                typer.echo(f"  - {step}")
            typer.echo(f"outcome: {result.outcome.value} ({result.message})")
            if result.screenshot:
                typer.echo(f"screenshot: {result.screenshot}")
            if not result.ok:
                result.raise_for_outcome()
            t_end = time.monotonic() + stay
            while time.monotonic() < t_end:
                await asyncio.sleep(1.0)
            h = bot.health()
            typer.echo(f"participants seen: {', '.join(bot.participants) or 'none'}")
            typer.echo(f"audio arriving: {'yes' if h.audio_arriving else 'no'}"
                       f" ({h.remote_audio_tracks} remote audio track(s), voiced recently: {h.audio_voiced_recently})")
            typer.echo(f"camera: {h.video_mode or 'not requested by the page yet'}; page {h.page_visibility}")
            await bot.leave()
            typer.echo("left the meeting")

    asyncio.run(run())


@meeting_app.command("login")
def login(
    account: str = typer.Argument(..., help="Which account: google."),
    profile: Path = typer.Option(None, "--profile", help="Profile folder (default: settings meeting.profile_dir or <data_dir>/bot-profile)."),
) -> None:
    """Open a visible browser on the bot's persistent profile so you can sign its account in once."""
    import os

    if account != "google":
        raise BadInput(f"unknown account kind {account!r}; supported: google")
    if not os.environ.get("DISPLAY"):
        raise Unavailable("signing in needs a visible screen: run this on a desktop (DISPLAY is not set), "
                          "then copy the profile folder to the server")
    from selfcast.meeting.browser import BrowserSession, LaunchOptions

    settings = Settings()
    folder = profile or Path(settings.meeting.profile_dir or settings.ensure_dirs() / "bot-profile")
    opts = LaunchOptions.from_settings(settings.meeting, headless=False)
    opts.profile_dir = str(folder)

    async def run() -> None:
        session = BrowserSession(settings.meeting, opts)
        ctx = await session.start()
        page = ctx.pages[0] if ctx.pages else await ctx.new_page()
        await page.goto("https://accounts.google.com/ServiceLogin?continue=https://meet.google.com/")
        typer.echo("Sign the bot's Google account in, then close the browser window.")
        closed = asyncio.Event()
        ctx.on("close", lambda *_: closed.set())
        await closed.wait()
        await session.close()

    asyncio.run(run())
    typer.echo(f"profile saved in {folder}; set SELFCAST_MEETING__PROFILE_DIR={folder} for the bot to use it")


@room_app.command("serve")
def serve(
    host: str = typer.Option("", "--host", help="Bind address (default: settings host, 127.0.0.1)."),
    port: int = typer.Option(0, "--port", help="Port (default: settings port)."),
) -> None:
    """Serve the built-in room on its own (the full server includes it at /room)."""
    import uvicorn

    from selfcast.meeting.room import create_room_app

    settings = Settings()
    app = create_room_app(settings)
    uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level=settings.log_level)


@room_app.command("create")
def create(
    title: str = typer.Option("", "--title", help="Shown at the top of the room."),
    guest: list[str] = typer.Option([], "--guest", help="A guest's name (repeatable); each gets their own link."),
    host_name: str = typer.Option("", "--host-name", help="Name on the host link (the host can remove people and end the meeting)."),
    open_links: int = typer.Option(1, "--open-links", help="Links without a fixed name (the guest types one)."),
    ttl_hours: float = typer.Option(168.0, "--ttl-hours", help="How long the links stay valid."),
) -> None:
    """Create a room and print its invitation links."""
    from selfcast.meeting.room import RoomRegistry

    settings = Settings()
    reg = RoomRegistry.from_settings(settings)
    room = reg.create_room(title)
    ttl = ttl_hours * 3600
    typer.echo(f"room {room.id}" + (f" ({title})" if title else ""))
    typer.echo(f"host: {reg.invite_url(settings.base_url, room.id, reg.mint_token(room.id, name=host_name, role='host', ttl_s=ttl))}")
    for g in guest:
        typer.echo(f"{g}: {reg.invite_url(settings.base_url, room.id, reg.mint_token(room.id, name=g, ttl_s=ttl))}")
    for _ in range(max(0, open_links)):
        typer.echo(f"guest: {reg.invite_url(settings.base_url, room.id, reg.mint_token(room.id, ttl_s=ttl))}")


def register(app: typer.Typer) -> None:
    app.add_typer(meeting_app, name="meeting")
    app.add_typer(room_app, name="room")
