"""The worker contract: what a live session is given and how it reports back.

``live`` defines it and ``platform`` implements it (``platform.sessions.reporter.DbReporter``),
so nothing under ``live`` imports the platform. A worker process calls::

    run_session(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None

* ``set_state`` for each step of ``created → joining → waiting_room → ready → leaving → closed``
  (or ``error``). A state move the platform refuses (a leave was requested meanwhile) sets
  ``cancelled`` instead of raising.
* ``directive()`` is the platform's latest answer to the worker's heartbeat (one heartbeat per
  session, beaten by the worker process on its own thread): ``cancel`` (leave now: the user asked,
  the credits ran out, ``max_duration_s`` passed), ``low_balance`` (warn the meeting) and
  ``credits_left``. Reading it costs nothing; it is refreshed every couple of seconds.
* ``cancelled`` is set as soon as the platform asks the session to leave (DELETE, out of credits,
  SIGTERM).
* ``commands_after(seq)`` returns the agent commands (speak, chat) newer than ``seq`` (an indexed
  query, so its cost does not grow with the meeting).
* ``store_transcript``, ``store_notes`` and ``event`` record what the API shows.

Billing is never the session's business: minutes are charged from ``ready`` onward by the
platform, which settles whenever the session reaches a terminal state.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from selfcast.settings import Settings
from selfcast.transcript import TranscriptLine

CommandType = Literal["speak", "chat"]
COMMAND_TYPES: tuple[CommandType, ...] = ("speak", "chat")


@dataclass(frozen=True)
class SessionSpec:
    session_id: str
    account_id: str
    platform: str  # google_meet | zoom | teams | jitsi | room
    meet_url: str
    bot_name: str
    voice_id: str
    avatar_path: Path | None
    system_prompt: str = ""
    meeting_password: str = field(default="", repr=False)
    max_duration_s: float | None = None
    work_dir: Path = Path(".")
    language: str = ""  # what the meeting speaks (a Whisper code, checked at launch); "" = hearing.language
    consent_text: str = ""  # announced (said and posted in the chat) on joining; "" = no announcement


@dataclass(frozen=True)
class Directive:
    cancel: bool = False
    reason: str = ""  # user | out_of_credits | max_duration | ""
    low_balance: bool = False
    credits_left: float = 0.0


@dataclass(frozen=True, slots=True)
class Command:
    """An agent's request (MCP, API) for the bot in the call; ``seq`` increases strictly."""

    seq: int
    id: str
    type: CommandType
    text: str


@runtime_checkable
class SessionReporter(Protocol):
    session_id: str
    cancelled: threading.Event

    def set_state(
        self,
        state: str,
        *,
        video_connected: bool | None = None,
        bot_connected: bool | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None: ...

    def directive(self) -> Directive: ...

    def commands_after(self, seq: int) -> list[Command]: ...

    def store_transcript(self, lines: Sequence[TranscriptLine]) -> None: ...

    def store_notes(self, data: dict[str, Any], markdown: str) -> None: ...

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None: ...


class SessionRunner(Protocol):
    def __call__(self, spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None: ...
