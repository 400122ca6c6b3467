"""The built-in meeting room: served at ``/room/<id>``, WebRTC mesh, invitation tokens."""

from selfcast.meeting.room.registry import Invite, RoomInfo, RoomRegistry
from selfcast.meeting.room.server import MAX_PEERS, SignalHub, build_room_router, create_room_app

__all__ = ["MAX_PEERS", "Invite", "RoomInfo", "RoomRegistry", "SignalHub", "build_room_router", "create_room_app"]
