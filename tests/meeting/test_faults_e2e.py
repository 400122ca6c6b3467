"""Faults on loopback: the room server restarts, a participant's browser dies, the bot's browser
is killed, and bad links; plus the built-in room's own refusals as named outcomes."""

from __future__ import annotations

import asyncio
import time

import pytest

from selfcast.errors import BadInput
from selfcast.meeting.bot import MeetingBot
from selfcast.meeting.outcomes import EventKind, Outcome
from tests.meeting.helpers import Participant

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


async def next_event(bot, kind, pred=lambda e: True, timeout=10.0):
    async def find():
        async for ev in bot.events():
            if ev.kind is kind and pred(ev):
                return ev
    return await asyncio.wait_for(find(), timeout)


async def test_bot_reconnects_after_room_server_restart_and_call_continues(room_server, settings, tone660):
    room = room_server.registry.create_room("restart")
    alice = Participant(None, settings.meeting.chromium_path, tone660)
    await alice.open(room_server.invite(room.id), "Alice")
    try:
        async with MeetingBot(room_server.invite(room.id, name="Bot"), "Bot", settings.meeting) as bot:
            assert (await bot.join(20)).outcome is Outcome.JOINED
            await next_event(bot, EventKind.PARTICIPANT_JOINED)
            room_server.stop()
            await bot.page.wait_for_selector('body[data-state="reconnecting"]', timeout=10000)
            room_server.start()
            ev = await next_event(bot, EventKind.RECONNECTED, timeout=15)
            assert ev.data["count"] >= 1
            await alice.page.wait_for_selector('body[data-state="joined"]', timeout=15000)
            # Peer media never went through the server: audio kept arriving; chat works again.
            assert bot.health().audio_arriving
            await alice.page.fill("#chat-input", "still there?")
            await alice.page.click("#chat-send")
            chat = await next_event(bot, EventKind.CHAT, timeout=10)
            assert chat.data["text"] == "still there?"
            assert bot.participants == ["Alice"]
            await bot.leave()
    finally:
        await alice.close()


async def test_participant_browser_dying_is_seen_as_leaving_and_the_bot_leaves_when_alone(room_server, settings, tone660):
    room = room_server.registry.create_room("dies")
    settings.meeting.alone_timeout_s = 2.0
    alice = Participant(None, settings.meeting.chromium_path, tone660)
    await alice.open(room_server.invite(room.id), "Alice")
    try:
        async with MeetingBot(room_server.invite(room.id, name="Bot"), "Bot", settings.meeting) as bot:
            assert (await bot.join(20)).ok
            await next_event(bot, EventKind.PARTICIPANT_JOINED)
            alice.kill()
            ev = await next_event(bot, EventKind.PARTICIPANT_LEFT, timeout=10)
            assert ev.data["name"] == "Alice"
            assert bot.participants == []
            assert bot.outcome is Outcome.JOINED and bot.health().connected  # the bot itself is fine
            auto = await next_event(bot, EventKind.AUTO_LEAVE, timeout=10)
            assert "alone" in auto.data["reason"]
            await next_event(bot, EventKind.STATE, lambda e: e.data["outcome"] == "left", timeout=5)
            assert bot.outcome is Outcome.LEFT
            assert await bot.page.evaluate("document.body.dataset.state") == "left"
    finally:
        await alice.close()


async def test_killed_bot_browser_is_reported_within_5_seconds(room_server, settings):
    room = room_server.registry.create_room("kill")
    async with MeetingBot(room_server.invite(room.id, name="Bot"), "Bot", settings.meeting) as bot:
        assert (await bot.join(20)).ok
        assert bot.browser.pid
        t0 = time.monotonic()
        bot.browser.kill()
        ev = await next_event(bot, EventKind.STATE, lambda e: e.data["outcome"] == "crashed", timeout=5.0)
        took = time.monotonic() - t0
        assert bot.outcome is Outcome.CRASHED and took <= 5.0
        assert not bot.health().connected
        print(f"\ncrash reported after {took:.2f} s: {ev.data['message']}")


async def test_room_refusals_are_named_outcomes(room_server, settings, tmp_path):
    reg = room_server.registry
    room = reg.create_room("refusals")
    forged = reg.invite_url(room_server.base_url, room.id, reg.mint_token(room.id, name="Bot")[:-4] + "AAAA")
    ended = reg.create_room("ended")
    reg.end(ended.id)
    cases = [
        (forged, Outcome.DENIED),
        (reg.invite_url(room_server.base_url, "nosuchroom", "x.guest.1.Qm90.sig"), Outcome.NOT_FOUND),
        (room_server.invite(ended.id, name="Bot"), Outcome.ENDED),
    ]
    for url, expected in cases:
        async with MeetingBot(url, "Bot", settings.meeting, screenshot_dir=tmp_path) as bot:
            result = await bot.join(10)
            assert result.outcome is expected, (url, result)
            assert result.screenshot and (tmp_path / result.screenshot).exists()


def test_bad_links_are_rejected_before_any_browser_starts(settings):
    with pytest.raises(BadInput, match="not a meeting link"):
        MeetingBot("meet.google.com/abc-defg-hij", "Bot", settings.meeting)
    with pytest.raises(BadInput, match="not a supported meeting platform"):
        MeetingBot("https://example.com/call/123", "Bot", settings.meeting)
    with pytest.raises(BadInput, match="bot_name"):
        MeetingBot("https://meet.google.com/abc-defg-hij", "", settings.meeting)
    with pytest.raises(BadInput, match="unknown platform"):
        MeetingBot("https://example.com/x", "Bot", settings.meeting, platform="skype")
