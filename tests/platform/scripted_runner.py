"""A session runner for platform tests (the live engine is another layer's): it walks the state
machine the way a live session does, through the real ``SessionReporter`` in a real worker
process, and behaves as the meeting URL's ``script=`` query asks:

* ``normal`` (default): joining → waiting_room → ready (video + bot connected), stores a
  transcript and notes, then waits for cancellation and leaves.
* ``crash``: reaches ready, then raises (worker ends the session in ``error``).
* ``stall``: reaches ready, then ignores cancellation forever (the executor must kill it).
* ``fail_join``: ends in ``error`` with ``platform_denied`` while joining.
* ``log_secret``: logs a credential and raises with one in its message (the worker's log must not hold it).

``hold=<state>`` makes it stop at ``joining`` or ``waiting_room`` until cancelled.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

from selfcast.errors import PlatformDenied
from selfcast.live.contract import SessionReporter, SessionSpec
from selfcast.transcript import TranscriptLine

LOGGED_SECRET = "hunter2-Zq8v-worker-log"


def run(spec: SessionSpec, reporter: SessionReporter, settings) -> None:  # type: ignore[no-untyped-def]
    query = parse_qs(urlsplit(spec.meet_url).query)
    script = query.get("script", ["normal"])[0]
    hold = query.get("hold", [""])[0]
    step = 0.15
    reporter.set_state("joining", bot_connected=False, video_connected=False)
    time.sleep(step)
    if script == "log_secret":
        logging.getLogger("selfcast.provider").error("connecting with password=%s", LOGGED_SECRET)
        raise RuntimeError(f"provider refused api_key={LOGGED_SECRET}")
    if script == "fail_join":
        raise PlatformDenied("the host denied entry")
    if hold == "joining" and reporter.cancelled.wait(timeout=120):
        return _leave(reporter)
    reporter.set_state("waiting_room")
    time.sleep(step)
    if hold == "waiting_room" and reporter.cancelled.wait(timeout=120):
        return _leave(reporter)
    reporter.set_state("ready", video_connected=True, bot_connected=True)
    reporter.event(
        "avatar",
        {"path_exists": bool(spec.avatar_path and spec.avatar_path.exists()), "voice": spec.voice_id},
    )
    if script == "crash":
        raise RuntimeError("renderer exploded")
    reporter.store_transcript(
        [
            TranscriptLine("Ada", "Shall we start?", 0.0, 1.2),
            TranscriptLine(spec.bot_name, "Yes, let's go.", 1.5, 2.4),
        ]
    )
    if script == "stall":
        while True:
            time.sleep(1)
    reporter.cancelled.wait(timeout=120)
    reporter.store_notes(
        {"summary": "Started the meeting.", "action_items": []}, "# Notes\n\nStarted the meeting.\n"
    )
    _leave(reporter)


def _leave(reporter: SessionReporter) -> None:
    reporter.set_state("leaving")
    reporter.set_state("closed")
