"""The meeting and room commands, run through the real CLI entry point."""

from __future__ import annotations

import re

import pytest

from selfcast.cli.main import main
from selfcast.meeting.room import RoomRegistry


@pytest.fixture
def env(settings, monkeypatch):
    monkeypatch.setenv("SELFCAST_DATA_DIR", str(settings.data_dir))
    return settings


@pytest.fixture
def room_env(room_server, env, monkeypatch):
    """The CLI reads its settings from the environment: the operator lists the loopback room host."""
    import json

    monkeypatch.setenv("SELFCAST_MEETING__ALLOWED_HOSTS", json.dumps(env.meeting.allowed_hosts))
    return env


def test_room_create_prints_working_invitation_links(env, capsys):
    assert main(["room", "create", "--title", "Demo", "--guest", "Ada", "--host-name", "Host"]) == 0
    out = capsys.readouterr().out
    room_id = re.search(r"room (\S+)", out).group(1)
    links = re.findall(r"(http://\S+/room/\S+\?t=(\S+))", out)
    assert len(links) == 3  # host, Ada, one open link
    reg = RoomRegistry.from_settings(env)
    assert [reg.verify(room_id, tok).role for _, tok in links] == ["host", "guest", "guest"]
    assert reg.verify(room_id, links[1][1]).name == "Ada"


def test_meeting_check_rejects_bad_links_with_a_bad_input_code(env, capsys):
    assert main(["meeting", "check", "https://example.com/call"]) == 2
    assert "not a supported meeting platform" in capsys.readouterr().err


@pytest.mark.e2e
@pytest.mark.slow
def test_meeting_check_joins_reports_and_leaves(room_server, room_env, capsys):
    room = room_server.registry.create_room("check")
    code = main(["meeting", "check", room_server.invite(room.id, name="Checker"), "--stay", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "platform: room" in out and "outcome: joined" in out and "left the meeting" in out


@pytest.mark.e2e
def test_meeting_check_failure_exits_with_the_outcome_code(room_server, room_env, capsys, tmp_path):
    room = room_server.registry.create_room("ended")
    link = room_server.invite(room.id, name="Checker")
    room_server.registry.end(room.id)
    code = main(["meeting", "check", link, "--screenshots", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 4, captured
    assert "outcome: ended" in captured.out and "screenshot:" in captured.out
