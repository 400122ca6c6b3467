"""The session state machine.

``created → joining → waiting_room → ready → leaving → closed``; ``error`` (with a code and a
message) from anywhere. ``closed`` and ``error`` are terminal. A worker may step back from
``waiting_room`` to ``joining`` (re-admission); nothing leaves a terminal state.
"""

from __future__ import annotations

from enum import StrEnum

from selfcast.errors import Conflict


class State(StrEnum):
    CREATED = "created"
    JOINING = "joining"
    WAITING_ROOM = "waiting_room"
    READY = "ready"
    LEAVING = "leaving"
    CLOSED = "closed"
    ERROR = "error"


TERMINAL = frozenset({State.CLOSED, State.ERROR})
ACTIVE = frozenset(State) - TERMINAL

_NEXT: dict[State, frozenset[State]] = {
    State.CREATED: frozenset({State.JOINING, State.LEAVING, State.CLOSED, State.ERROR}),
    State.JOINING: frozenset({State.WAITING_ROOM, State.READY, State.LEAVING, State.CLOSED, State.ERROR}),
    State.WAITING_ROOM: frozenset({State.JOINING, State.READY, State.LEAVING, State.CLOSED, State.ERROR}),
    State.READY: frozenset({State.LEAVING, State.CLOSED, State.ERROR}),
    State.LEAVING: frozenset({State.CLOSED, State.ERROR}),
    State.CLOSED: frozenset(),
    State.ERROR: frozenset(),
}


def can_move(a: State | str, b: State | str) -> bool:
    return State(b) in _NEXT[State(a)]


def check_move(a: State | str, b: State | str) -> None:
    if not can_move(a, b):
        raise Conflict(f"a session cannot go from {State(a).value} to {State(b).value}")
