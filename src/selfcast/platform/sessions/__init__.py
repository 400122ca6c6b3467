"""Sessions: state machine, registry, executors, workers. The worker contract they implement is
``selfcast.live.contract`` (defined by the live layer, which never imports the platform)."""

from selfcast.platform.sessions.states import State

__all__ = ["State"]
