"""A session runner that reports what its worker process was given: the whole environment and
the settings it was handed, written to ``<data_dir>/worker-env.json``, then leaves."""

from __future__ import annotations

import json
import os

from selfcast.live.contract import SessionReporter, SessionSpec
from selfcast.settings import Settings


def run(spec: SessionSpec, reporter: SessionReporter, settings: Settings) -> None:
    report = {"environ": dict(os.environ), "settings": settings.model_dump(mode="json"), "db_url": settings.db_url}
    (settings.data_dir / "worker-env.json").write_text(json.dumps(report))
    reporter.set_state("leaving")
    reporter.set_state("closed")
