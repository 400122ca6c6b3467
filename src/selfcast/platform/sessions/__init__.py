"""Sessions: state machine, registry, executors, workers. See ``protocol`` for the worker ↔
platform interface the live layer implements against."""

from selfcast.platform.sessions.protocol import (
    DEFAULT_RUNNER,
    Directive,
    SessionReporter,
    SessionRunner,
    SessionSpec,
    TranscriptSegment,
)
from selfcast.platform.sessions.states import State

__all__ = [
    "DEFAULT_RUNNER",
    "Directive",
    "SessionReporter",
    "SessionRunner",
    "SessionSpec",
    "State",
    "TranscriptSegment",
]
