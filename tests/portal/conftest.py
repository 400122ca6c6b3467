"""Portal fixtures: one server and one Chromium per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.portal.helpers import Portal, launch_chromium, start_portal


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots go to the pytest tmp dir, or to $SELFCAST_PORTAL_SHOTS when set (to keep them)."""
    keep = os.environ.get("SELFCAST_PORTAL_SHOTS")
    return Path(keep) if keep else tmp_path_factory.getbasetemp() / "portal-screens"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, shots_dir: Path) -> Iterator[Portal]:
    p = start_portal(tmp_path_factory.mktemp("portal-data"), shots_dir)
    yield p
    p.server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as pw:
        b = launch_chromium(pw)
        yield b
        b.close()
