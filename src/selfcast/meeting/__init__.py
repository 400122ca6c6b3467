"""Getting into meetings: a browser bot with a live media bridge, platform adapters, the built-in room.

- :class:`selfcast.meeting.bot.MeetingBot` joins one meeting in its own Chromium; selfcast is its
  camera and microphone (``send_video``/``send_audio``) and hears the meeting (``audio_in``).
- :func:`selfcast.meeting.platforms.detect_platform` maps a link to google_meet, zoom, teams,
  jitsi or room; each platform is a selector table driven by one join/probe/leave engine.
- :mod:`selfcast.meeting.room` serves the built-in room at ``/room/<id>`` (WebRTC mesh, invitations).

Heavy imports (Playwright, FastAPI) stay in the submodules.
"""

from selfcast.meeting.outcomes import EventKind, Health, JoinResult, MeetingEvent, Outcome

__all__ = ["EventKind", "Health", "JoinResult", "MeetingEvent", "Outcome"]
