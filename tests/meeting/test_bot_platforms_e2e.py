"""A whole MeetingBot against a third-party platform: headful Chromium on a private Xvfb display,
the bridge's camera/mic in the page, the Meet flow, in-call events and removal."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from selfcast.meeting.bot import MeetingBot
from selfcast.meeting.outcomes import EventKind, Outcome

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
FIXTURES = Path(__file__).parent / "fixtures"


async def test_meet_bot_runs_headful_on_xvfb_joins_sees_people_and_reports_removal(settings):
    html = (FIXTURES / "meet.html").read_text().replace('/*SCENARIO*/"joined"', '"removed"').replace(", 300)", ", 2500)")
    # The fixture page asks for the camera like Meet does, so the bridge's devices are exercised.
    html = html.replace("<div id=\"app\"></div>", "<div id=\"app\"></div><script>"
                        "navigator.mediaDevices.getUserMedia({video: true, audio: true}).then((s) => {"
                        " window.GUM = s.getTracks().map((t) => t.kind + ':' + t.readyState).sort().join(','); });"
                        "navigator.mediaDevices.enumerateDevices().then((d) => { window.DEVICES = d.map((x) => x.kind); });"
                        "</script>")
    settings.meeting.alone_timeout_s = 600
    async with MeetingBot("https://meet.google.com/abc-defg-hij", "Selfcast Bot", settings.meeting) as bot:
        assert not bot._launch.headless  # third-party platforms go headful
        assert bot.browser._xvfb is not None or bot.browser.opts.headless is False

        async def serve(route):
            await route.fulfill(status=200, content_type="text/html", body=html)

        await bot.browser.context.route("https://meet.google.com/**", serve)
        result = await bot.join(timeout_s=15)
        assert result.outcome is Outcome.JOINED, result.steps
        assert await bot.page.evaluate("document.visibilityState") == "visible"
        # An https page reached the bridge's loopback socket (no mixed-content/local-network block).
        assert bot.health().connected and await bot.page.evaluate("window.__selfcast.connected")
        assert await bot.page.evaluate("window.navigator.webdriver") in (False, None)
        assert await bot.page.evaluate("window.GUM") == "audio:live,video:live"  # the bridge's tracks
        assert sorted(await bot.page.evaluate("window.DEVICES")) == ["audioinput", "audiooutput", "videoinput"]
        seen = []

        async def collect():
            async for ev in bot.events():
                seen.append(ev)
                if ev.kind is EventKind.STATE and ev.data["outcome"] == "removed":
                    return

        await asyncio.wait_for(collect(), 10)
        assert any(e.kind is EventKind.PARTICIPANT_JOINED and e.data["name"] == "Grace Hopper" for e in seen)
        assert bot.outcome is Outcome.REMOVED
