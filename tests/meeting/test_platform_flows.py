"""Every documented platform state, reproduced by a local HTML fixture, maps to its named outcome.

The fixtures are served at the platforms' real URLs (Playwright routes), so URL detection and
rewriting are exercised too. One headless browser serves the whole module.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

from selfcast.meeting.browser import LaunchOptions, chromium_flags
from selfcast.meeting.outcomes import Outcome
from selfcast.meeting.platforms import PlatformAdapter, detect_platform, get_spec

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]
FIXTURES = Path(__file__).parent / "fixtures"
URLS = {
    "google_meet": "https://meet.google.com/abc-defg-hij",
    "zoom": "https://us05web.zoom.us/j/85012345678?pwd=",
    "teams": "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0",
    "jitsi": "https://meet.jit.si/SelfcastFixtureRoom",
}
FIXTURE_FILE = {"google_meet": "meet.html", "zoom": "zoom.html", "teams": "teams.html", "jitsi": "jitsi.html"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                     args=chromium_flags(LaunchOptions()))
        yield b
        await b.close()


async def open_fixture(browser, platform: str, scenario: str, *, password: str | None = None):
    page = await browser.new_page()
    html = (FIXTURES / FIXTURE_FILE[platform]).read_text().replace('/*SCENARIO*/"joined"', f'"{scenario}"') \
        .replace('/*SCENARIO*/"admitted"', f'"{scenario}"')

    async def serve(route):
        await route.fulfill(status=200, content_type="text/html", body=html)

    await page.route("https://**/*", serve)
    spec = get_spec(detect_platform(URLS[platform]))
    url = spec.rewrite_url(URLS[platform], bot_name="Bot", password=password)
    await page.goto(url)
    return page, PlatformAdapter(spec, tick_s=0.1)


CASES = [
    # platform, scenario, expected join outcome
    ("google_meet", "joined", Outcome.JOINED),
    ("google_meet", "admitted", Outcome.ADMITTED),
    ("google_meet", "denied", Outcome.DENIED),
    ("google_meet", "no_response", Outcome.DENIED),
    ("google_meet", "blocked", Outcome.BLOCKED),
    ("google_meet", "captcha", Outcome.BLOCKED),
    ("google_meet", "not_found", Outcome.NOT_FOUND),
    ("google_meet", "sign_in", Outcome.SIGN_IN_REQUIRED),
    ("zoom", "joined", Outcome.JOINED),
    ("zoom", "waiting", Outcome.ADMITTED),
    ("zoom", "bot", Outcome.BLOCKED),
    ("zoom", "bot_once", Outcome.JOINED),  # the bot wall cleared by one reload
    ("zoom", "not_found", Outcome.NOT_FOUND),
    ("zoom", "sign_in", Outcome.SIGN_IN_REQUIRED),
    ("teams", "admitted", Outcome.ADMITTED),
    ("teams", "denied", Outcome.DENIED),
    ("teams", "sign_in", Outcome.SIGN_IN_REQUIRED),
    ("teams", "not_found", Outcome.NOT_FOUND),
    ("jitsi", "joined", Outcome.JOINED),
    ("jitsi", "lobby", Outcome.ADMITTED),
    ("jitsi", "rejected", Outcome.DENIED),
    ("jitsi", "not_found", Outcome.NOT_FOUND),
]


@pytest.mark.parametrize(("platform", "scenario", "expected"), CASES, ids=[f"{p}-{s}" for p, s, _ in CASES])
async def test_platform_state_maps_to_named_outcome(browser, platform, scenario, expected, tmp_path):
    page, adapter = await open_fixture(browser, platform, scenario)
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=8, screenshot_dir=tmp_path)
        assert result.outcome is expected, result.steps
        if not result.ok:
            assert result.screenshot and Path(result.screenshot).stat().st_size > 1000
    finally:
        await page.close()


@pytest.mark.parametrize(("platform", "scenario", "expected"), [
    ("google_meet", "removed", Outcome.REMOVED), ("google_meet", "ended", Outcome.ENDED),
    ("zoom", "removed", Outcome.REMOVED), ("zoom", "ended", Outcome.ENDED),
    ("teams", "removed", Outcome.REMOVED), ("teams", "ended", Outcome.ENDED),
    ("jitsi", "kicked", Outcome.REMOVED), ("jitsi", "ended", Outcome.ENDED),
])
async def test_in_call_removal_and_end_are_detected(browser, platform, scenario, expected):
    page, adapter = await open_fixture(browser, platform, scenario)
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=8)
        assert result.ok, result.steps
        seen = None
        for _ in range(20):
            seen = await adapter.check(page)
            if seen:
                break
            await asyncio.sleep(0.2)
        assert seen is expected
    finally:
        await page.close()


@pytest.mark.parametrize("platform", ["google_meet", "zoom"])
async def test_never_admitting_waiting_room_times_out(browser, platform):
    page, adapter = await open_fixture(browser, platform, "never")
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=2.5)
        assert result.outcome is Outcome.TIMED_OUT
        assert "waiting room" in result.message and result.waited_s > 1.0
    finally:
        await page.close()


async def test_zoom_password_is_typed_when_the_link_has_none(browser):
    page, adapter = await open_fixture(browser, "zoom", "password")
    try:
        result = await adapter.join(page, bot_name="Bot", password="secret", timeout_s=8)
        assert result.outcome is Outcome.JOINED, result.steps
        assert "typed the meeting password" in result.steps
    finally:
        await page.close()


async def test_zoom_password_travels_in_the_rewritten_url(browser):
    page, adapter = await open_fixture(browser, "zoom", "password", password="secret")
    try:
        assert page.url.startswith("https://app.zoom.us/wc/85012345678/join?pwd=secret")
        result = await adapter.join(page, bot_name="Bot", password="secret", timeout_s=8)
        assert result.outcome is Outcome.JOINED and "typed the meeting password" not in result.steps
    finally:
        await page.close()


@pytest.mark.parametrize(("password", "expected"), [("secret", Outcome.JOINED), ("wrong", Outcome.DENIED)])
async def test_jitsi_password_dialog(browser, password, expected):
    page, adapter = await open_fixture(browser, "jitsi", "password")
    try:
        result = await adapter.join(page, bot_name="Bot", password=password, timeout_s=8)
        assert result.outcome is expected, result.steps
    finally:
        await page.close()


async def test_jitsi_name_and_prejoin_skip_ride_in_the_url_hash(browser):
    page, adapter = await open_fixture(browser, "jitsi", "joined")
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=8)
        assert result.outcome is Outcome.JOINED
        assert await page.evaluate("window.JOINED_AS") == "Bot"
        assert not any("typed the name" in s for s in result.steps)
    finally:
        await page.close()


async def test_meet_in_call_people_post_join_dialog_and_leave(browser):
    page, adapter = await open_fixture(browser, "google_meet", "joined")
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=8)
        assert result.outcome is Outcome.JOINED
        assert "dismissed a post-join dialog" in result.steps
        assert await page.locator("#dlg").count() == 0
        events = await adapter.probe(page)
        assert [e.data["name"] for e in events if e.kind.value == "participant_joined"] == ["Grace Hopper"]
        assert [e.data for e in events if e.kind.value == "chat"] == [{"id": "m1", "author": "Grace Hopper", "text": "Welcome, bot"}]
        assert [e.data for e in events if e.kind.value == "caption"] == [{"speaker": "Grace Hopper", "text": "Shall we start?"}]
        assert await adapter.probe(page) == []  # nothing new the second time
        assert await adapter.leave(page)
        assert await adapter.check(page) is Outcome.ENDED  # "You left the meeting"
    finally:
        await page.close()


async def test_teams_goes_through_continue_on_this_browser(browser):
    page, adapter = await open_fixture(browser, "teams", "admitted")
    try:
        result = await adapter.join(page, bot_name="Bot", password=None, timeout_s=8)
        assert result.outcome is Outcome.ADMITTED
        assert result.steps[0] == "clicked a pre-join step"
        assert any(s.startswith("waiting room:") for s in result.steps)
    finally:
        await page.close()
