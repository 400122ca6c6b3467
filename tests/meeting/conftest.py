"""Fixtures for the meeting tests: a room server on loopback, the Chromium path, tone files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.meeting.helpers import RoomServer, tone_wav

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Debian chromium is not installed (scripts/setup.sh installs it)")
        for item in items:
            if "e2e" in item.keywords:
                item.add_marker(skip)


@pytest.fixture
def room_server(settings):
    srv = RoomServer(settings)
    # The room is served on loopback, which the bot may only reach when the operator lists it.
    settings.meeting.allowed_hosts = [*settings.meeting.allowed_hosts, f"127.0.0.1:{srv.port}"]
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def tone660(tmp_path_factory) -> Path:
    return tone_wav(tmp_path_factory.mktemp("wav") / "tone660.wav", 660.0)
