"""A ``platform: "page"`` session end to end, all real: created through the API with no meeting link,
its ``page_url`` opened by a headless Chromium that stands in for a meeting bot vendor (Recall's
Output Media, Attendee's voice agent page): it sees the avatar and hears the greeting, asks through
the page's microphone, hears the answer, and the transcript records both turns."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from tests.live import harness as H

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"
BOT = "Ada (AI)"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)


class PageViewer(H.Listener):
    """The vendor's browser: loads the page and nothing else (no name, no click: the page joins itself)."""

    async def open(self, url: str, name: str = "") -> None:
        from selfcast.meeting.browser import LaunchOptions, chromium_flags

        flags = [*chromium_flags(LaunchOptions(headless=True)), "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required"]
        self.browser = await self.pw.chromium.launch(executable_path=self.chromium, headless=True, args=flags)
        ctx = await self.browser.new_context(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        await ctx.add_init_script(script=H.MIC_INIT_JS)
        await ctx.add_init_script(script=H.PC_HOOK_JS)
        self.page = await ctx.new_page()
        await self.page.goto(url)
        await self.page.wait_for_selector('body[data-state="joined"]', timeout=30000)

    async def start_recording(self, *_: object) -> None:
        """The avatar's sound only (this test reads no frames: copying each out costs the page CPU)."""
        from tests.meeting.helpers import RECORD_START_JS

        await self.page.evaluate(RECORD_START_JS, H.BOT_TILE)

    async def fetch_sound(self) -> H.Recording:
        from tests.meeting.helpers import RECORD_FETCH_JS, decode_recording, recording_clock

        rec = await self.page.evaluate(RECORD_FETCH_JS)
        pcm, first, rate = decode_recording(rec)
        return H.Recording(pcm, first, rate, recording_clock(rec))


async def test_page_session_shows_the_avatar_and_answers_a_question_heard_through_the_page_microphone(tmp_path):
    from playwright.async_api import async_playwright

    from selfcast.brain.workspace import build_card
    from selfcast.live.demo.launch import demo_assets

    t_start = time.monotonic()
    # The notes are not what this test proves: the rules write them at once instead of the model
    # within 20 s, so the leave is quick (tests/live/test_live_e2e.py reads model-written notes).
    srv = H.LiveServer(tmp_path / "data", live={"notes_model_s": 1.0}).start()
    http = srv.http()
    sid = None
    at: dict[str, float] = {}  # seconds since the start, per step (where this test's time goes)

    def mark(step: str) -> None:
        at[step] = round(time.monotonic() - t_start, 1)

    try:
        image = demo_assets() / "avatar.jpg"
        r = http.post("/v1/avatars", files={"image": (image.name, image.read_bytes(), "image/jpeg")})
        assert r.status_code == 201, r.text
        card = build_card(H.fixture_workspace(tmp_path), subject="Ada").text
        t0 = time.monotonic()
        r = http.post("/v1/sessions", json={"platform": "page", "bot_name": BOT, "avatar_id": r.json()["id"],
                                            "system_prompt": card})
        assert r.status_code == 201, r.text
        sid, page_url = r.json()["session_id"], r.json()["page_url"]
        # the question's voice is synthesised while the bot starts (it takes the test seconds of CPU)
        question = asyncio.create_task(asyncio.to_thread(
            H.voice_question, "When is the first public release planned?"))
        s = await asyncio.to_thread(H.wait_status, http, sid, ("ready",), 120)
        assert s["status"] == "ready", (s, srv.worker_log(sid))
        ready_s = time.monotonic() - t0
        mark("ready")

        async with async_playwright() as pw:
            viewer = PageViewer(pw, CHROMIUM)
            await viewer.open(page_url)
            # the output view: the avatar's tile alone, full-frame; nothing to click, no chrome shown
            await viewer.wait_bot_tile()
            layout = await viewer.page.evaluate("""() => {
              const v = document.querySelector('.tile:not([data-self]) video'); const r = v.getBoundingClientRect();
              const shown = (s) => [...document.querySelectorAll(s)].some((e) => e.getClientRects().length > 0);
              return {w: r.width, h: r.height, vw: v.videoWidth, muted: v.muted, paused: v.paused,
                      chrome: ['header', '#toolbar', '#chat', '#lobby', '.tile[data-self]', '.tile .label'].filter(shown)};
            }""")
            assert layout["w"] == 1280 and layout["h"] == 720 and layout["vw"] > 0, layout
            assert not layout["muted"] and not layout["paused"] and layout["chrome"] == [], layout
            mark("page_shows_avatar")
            await viewer.start_recording()
            greet = await viewer.wait_level(True, timeout=60)  # the avatar greets the page when it arrives
            greeting = await H.wait_bot_said(http, sid, 1, timeout=60)
            await viewer.wait_level(False, hold_s=0.5, timeout=30)
            mark("greeted")

            t_q, dur_q = await viewer.say(await question)
            q_end = t_q + dur_q - 0.3
            answered = await H.wait_bot_said(http, sid, 2, timeout=120)
            await viewer.wait_level(False, hold_s=0.5, timeout=30)
            answer_end = time.time()
            rec = await viewer.fetch_sound()
            await viewer.close()

            # A plain tab: the page's own CSP enforced, Chromium's default autoplay policy, no
            # instrumentation. It joins by itself and shows the avatar; sound plays or one button asks for it.
            from selfcast.meeting.browser import LaunchOptions, chromium_flags

            tab = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                *chromium_flags(LaunchOptions(headless=True)), "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream"])
            try:
                plain = await (await tab.new_context(viewport={"width": 800, "height": 450})).new_page()
                await plain.goto(page_url)
                await plain.wait_for_selector('body[data-state="joined"] .tile[data-video="1"] video', timeout=30000)
                for _ in range(50):
                    plays = await plain.evaluate("""() => ({asks: !!document.getElementById('sound'),
                        playing: [...document.querySelectorAll('.tile[data-video="1"] video')].some((v) => !v.paused)})""")
                    if plays["asks"] or plays["playing"]:
                        break
                    await asyncio.sleep(0.2)
                assert plays["asks"] or plays["playing"], plays
                mark("plain_tab_" + ("plays" if plays["playing"] else "asks_for_a_click"))
            finally:
                await tab.close()
        mark("answered")

        pieces = [sp for sp in rec.voiced_spans(q_end, min_gap_s=0.25) if sp[0] < answer_end]
        assert pieces, "no answer was heard on the page after the question"
        a0, a1 = pieces[0][0], pieces[-1][1]
        # what the page played, recognised in one pass: the greeting, a second of silence, the answer
        pause = np.zeros(rec.rate, np.float32)
        heard = H.transcribe(np.concatenate([rec.segment(greet - 0.05, t_q), pause,
                                             rec.segment(a0 - 0.05, a1 + 0.2)]), rec.rate)
        figures = {"ready_s": round(ready_s, 1), "greeting_line": greeting["text"], "answer_line": answered["text"],
                   "heard": heard,
                   "voice_to_voice_ms": round((a0 - q_end) * 1000)}
        mark("recognised")
        figures["at_s"] = at
        print("PAGE E2E", json.dumps(figures))
        line_words = set(_words(greeting["text"]))
        # the greeting's words were heard (the answer shares none of them), and the answer's "Friday"
        assert len(line_words & set(_words(heard))) >= len(line_words) / 2, figures
        assert "friday" in heard.lower(), figures

        r = http.post(f"/v1/sessions/{sid}/leave")
        assert r.status_code == 200, r.text
        s = H.wait_status(http, sid, ("closed",), 60)
        assert s["status"] == "closed" and not s["error_code"], (s, srv.worker_log(sid))
        mark("closed")
        print("PAGE E2E steps", json.dumps(at))
        segs = http.get(f"/v1/sessions/{sid}/transcript").json()
        asked = [g for g in segs if not g["bot"]]
        said = [g for g in segs if g["bot"]]
        assert any("release" in g["text"].lower() for g in asked), segs  # (speakers' names: issue 17 part 6)
        assert any(g["speaker"] == BOT and "friday" in g["text"].lower() for g in said), segs
        assert min(g["start_s"] for g in said if "friday" in g["text"].lower()) > min(
            g["start_s"] for g in asked if "release" in g["text"].lower()), segs
    except BaseException:
        if sid:
            print(srv.worker_log(sid))
            print("TRANSCRIPT", json.dumps(http.get(f"/v1/sessions/{sid}/transcript").json(), indent=1))
        raise
    finally:
        http.close()
        srv.stop()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())
