"""The skill script's link -> platform copy and the server's rule (selfcast.meeting.platforms) agree.

The script ships alone, so it cannot import the server's rule; this table is what keeps the two
copies one rule. Each row also names the right answer, so both copies drifting together fails too.
"""

from __future__ import annotations

import importlib.util

import pytest

from selfcast.errors import BadInput
from selfcast.meeting.platforms import detect_platform, platform_of
from selfcast.platform.sessions.platforms import resolve_platform
from selfcast.settings import MeetingSettings
from tests.skill.conftest import SCRIPT


def _load_script():
    spec = importlib.util.spec_from_file_location("pikastreaming_videomeeting_rule", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


skill = _load_script()
SERVER = "http://127.0.0.1:8787"
PREFIXED_SERVER = "https://selfcast.example.com/app"

# (link, server base URL, platform or None when neither copy may guess)
TABLE = [
    ("https://meet.google.com/abc-defg-hij", SERVER, "google_meet"),
    ("https://MEET.GOOGLE.COM/abc-defg-hij?authuser=1", SERVER, "google_meet"),
    ("https://meet.google.com.evil.example/abc-defg-hij", SERVER, None),
    ("https://zoom.us/j/123", SERVER, "zoom"),
    ("https://us02web.zoom.us/j/8512345678?pwd=xyz", SERVER, "zoom"),
    ("https://app.zoom.com/wc/join/123", SERVER, "zoom"),
    ("https://company.zoomgov.com/j/1", SERVER, "zoom"),
    ("https://evilzoom.us/j/1", SERVER, None),
    ("https://notzoom.us.evil.example/j/1", SERVER, None),
    ("https://evilzoomgov.com/j/1", SERVER, None),
    ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x", SERVER, "teams"),
    ("https://teams.live.com/meet/9381234", SERVER, "teams"),
    ("https://gov.teams.microsoft.us/l/meetup-join/1", SERVER, "teams"),
    ("https://teams.cloud.microsoft/l/meetup-join/1", SERVER, "teams"),
    ("https://meet.jit.si/SelfcastStandup", SERVER, "jitsi"),
    ("https://8x8.vc/vpaas-magic-cookie-1/room", SERVER, "jitsi"),
    ("https://jitsi.example.org/team-sync", SERVER, None),  # self-hosted: the operator lists it
    ("https://video.myjitsi.example/team-sync", SERVER, None),
    ("https://meet.example.org/Room#config.startWithAudioMuted=true", SERVER, None),  # #config is no proof
    ("http://127.0.0.1:8787/room/r_abc123", SERVER, "room"),
    ("http://localhost:8787/room/r_abc123?t=token", SERVER, "room"),
    ("http://0.0.0.0:8787/room/standup/", SERVER, "room"),
    ("https://selfcast.example.com/app/room/standup?t=x", PREFIXED_SERVER, "room"),
    ("https://selfcast.example.com/room/standup", PREFIXED_SERVER, None),  # prefix missing
    ("http://127.0.0.1:9999/room/r_abc", SERVER, None),  # a room on another server
    ("https://other.example.com/room/standup", SERVER, None),
    ("https://127.0.0.1:8787/room/r_abc", "https://127.0.0.1:8787", "room"),
    ("http://127.0.0.1:8787/room/", SERVER, None),  # no room id
    ("http://127.0.0.1:8787/rooms/abc", SERVER, None),
    ("https://example.com/meeting/1", SERVER, None),
    ("https://example.com", SERVER, None),
]


@pytest.mark.parametrize(("url", "server", "expected"), TABLE)
def test_the_script_and_the_server_place_a_link_alike(url: str, server: str, expected: str | None) -> None:
    assert skill.infer_platform(url, server) == expected
    assert platform_of(url, server_base_url=server) == expected
    if expected is None:
        with pytest.raises(BadInput, match="not a supported meeting platform"):
            detect_platform(url, server_base_url=server)
    else:
        assert detect_platform(url, server_base_url=server) == expected


@pytest.mark.parametrize("url", ["meet.google.com/abc-defg-hij", "ftp://meet.google.com/x", "", "   ", "https://"])
def test_garbage_is_refused_by_both(url: str) -> None:
    with pytest.raises(skill.SkillExit, match="http"):
        skill.validate_meet_url(url)
    with pytest.raises(BadInput, match=r"not a meeting link|link is empty"):
        detect_platform(url, server_base_url=SERVER)
    assert skill.infer_platform(url, SERVER) == platform_of(url, server_base_url=SERVER)


def test_a_link_to_this_servers_room_is_a_room_whatever_platform_the_caller_claims() -> None:
    # Pika's original skill sends google_meet for links it cannot place.
    assert resolve_platform(f"{SERVER}/room/standup", "google_meet", server_base_url=SERVER).platform == "room"
    assert resolve_platform("http://localhost:8787/room/standup?t=x", "zoom", server_base_url=SERVER).platform == "room"


def test_the_link_decides_and_a_claim_cannot_open_a_foreign_host() -> None:
    assert resolve_platform("https://meet.google.com/abc-defg-hij", "zoom", server_base_url=SERVER).platform == "google_meet"
    for url, claim in [("https://other.example.com/room/standup", "jitsi"), ("https://example.com/call/42", "zoom"),
                       ("http://10.0.0.7:8787/room/abcdefgh?t=x", "room")]:
        with pytest.raises(BadInput, match="not a supported meeting platform"):
            resolve_platform(url, claim, server_base_url=SERVER)


def test_operator_listed_hosts_are_jitsi_or_the_claimed_platform() -> None:
    meeting = MeetingSettings(jitsi_hosts=["jitsi.corp.example"], allowed_hosts=["10.0.0.7:8787"])
    assert resolve_platform("https://jitsi.corp.example/standup", None, server_base_url=SERVER,
                            meeting=meeting).platform == "jitsi"
    assert resolve_platform("http://10.0.0.7:8787/room/abcdefgh?t=x", None, server_base_url=SERVER,
                            meeting=meeting).platform == "room"
    assert resolve_platform("http://10.0.0.7:8787/x", "teams", server_base_url=SERVER, meeting=meeting).platform == "teams"
    with pytest.raises(BadInput, match="not a supported"):  # another port of a listed host is not listed
        resolve_platform("http://10.0.0.7:22/x", "teams", server_base_url=SERVER, meeting=meeting)
