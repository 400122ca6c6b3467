"""``run_session``: the entry point the worker process calls (the contract is ``live.contract``).
One event loop per session, in the worker's main thread."""

from __future__ import annotations

import asyncio
import logging

from selfcast.hearing.languages import reply_language_notice
from selfcast.live.contract import SessionReporter, SessionSpec
from selfcast.live.session import LiveSession
from selfcast.settings import Settings

log = logging.getLogger(__name__)


def run_session(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None:
    spec.work_dir.mkdir(parents=True, exist_ok=True)
    settings = with_language(spec, reporter, settings)
    asyncio.run(LiveSession(spec, reporter, settings).run())


def with_language(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> Settings:
    """The session's own ``language`` (if it set one) is what hearing listens for; when the voice
    cannot speak it, the session log and the events say that replies stay in English."""
    lang = spec.language or settings.hearing.language
    if lang != settings.hearing.language:
        settings = settings.model_copy(update={"hearing": settings.hearing.model_copy(update={"language": lang})})
    notice = reply_language_notice(lang)
    if notice:
        log.warning("session %s: %s", spec.session_id, notice)
        reporter.event("language", {"recognition": lang, "replies": "en", "notice": notice})
    return settings
