from __future__ import annotations

import pytest

from selfcast.hearing.asr import WhisperASR


@pytest.fixture(scope="session")
def whisper() -> WhisperASR:
    """The embedded recogniser, loaded once (2-3 s) and shared by every Hearing in the run."""
    return WhisperASR()
