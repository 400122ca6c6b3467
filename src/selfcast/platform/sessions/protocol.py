"""The worker ↔ platform protocol: what a live session is given and how it reports back.

A worker process (``selfcast worker <session_id>``) loads the *session runner* and calls::

    run_session(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None

The default runner is ``selfcast.live.runner:run_session`` (the live-session layer provides it).
The runner drives the meeting and reports through the reporter:

* ``set_state(state, video_connected=, bot_connected=, error_code=, error_message=)`` for each
  step of ``created → joining → waiting_room → ready → leaving → closed`` (or ``error``).
  Illegal moves raise ``Conflict``; after a terminal state the runner should return.
* ``heartbeat()`` proves the worker is alive. The worker process already calls it every couple of
  seconds on a thread; a runner may call it too. It also charges each started minute of
  ``ready`` time and returns a ``Directive``: ``cancel`` (leave now: the user asked, the credits
  ran out, or ``max_duration_s`` passed), ``low_balance`` (warn the meeting: about
  ``pricing.low_balance_minutes`` remain) and ``credits_left``.
* ``cancelled`` is a ``threading.Event`` set as soon as the platform asks the session to leave
  (DELETE, out of credits, SIGTERM). Runners wait on it or poll ``cancelled.is_set()``.
* ``store_transcript(segments)`` appends ``TranscriptSegment``s; ``store_notes(data, markdown)``
  stores the post-meeting notes (JSON-able dict + Markdown). Both are readable through the API.
* ``event(kind, data)`` records anything else worth showing (e.g. ``admitted``, ``alone``).

When the runner returns without a terminal state the worker closes the session; an exception
ends it in ``error`` (the ``SelfcastError`` code when there is one). Billing is never the
runner's business: minutes are charged from ``ready`` onward, and the platform settles (charges
the started minutes up to the end, or up to the last heartbeat for a dead worker, and releases
the hold) whenever the session reaches a terminal state.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

DEFAULT_RUNNER = "selfcast.live.runner:run_session"


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


@dataclass(frozen=True)
class TranscriptSegment:
    speaker: str
    text: str
    start_s: float = 0.0
    end_s: float = 0.0


@dataclass(frozen=True)
class Directive:
    cancel: bool = False
    reason: str = ""  # user | out_of_credits | max_duration | ""
    low_balance: bool = False
    credits_left: float = 0.0


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

    def heartbeat(self) -> Directive: ...

    def store_transcript(self, segments: Sequence[TranscriptSegment]) -> None: ...

    def store_notes(self, data: dict[str, Any], markdown: str) -> None: ...

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None: ...


class SessionRunner(Protocol):
    def __call__(self, spec: SessionSpec, reporter: SessionReporter, settings: Any) -> None: ...
