"""The media bridge: an init script in the page and its Python end over a loopback socket."""

from selfcast.meeting.bridge.channel import BridgeStats, MediaBridge

__all__ = ["BridgeStats", "MediaBridge"]
