"""Voice fixtures: one cloned profile of the LibriVox reader, learned once per test session."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from tests.voice import measure as M

warnings.filterwarnings("ignore", message="pkg_resources is deprecated")


@pytest.fixture(scope="session")
def reader() -> M.SpeakerData:
    return M.librivox_speaker()


@pytest.fixture(scope="session")
def reader_sample(reader: M.SpeakerData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reader's three training clips (17 s of speech) as one MP3, as a user would upload it."""
    return M.concat_clips(reader.train, tmp_path_factory.mktemp("sample") / "reader.mp3")


@pytest.fixture(scope="session")
def voice_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<data_dir>/voices``, the layout ``get_tts`` expects under ``settings.data_dir``."""
    return tmp_path_factory.mktemp("data") / "voices"


@pytest.fixture(scope="session")
def cloned(voice_root: Path, reader_sample: Path):  # type: ignore[no-untyped-def]
    from selfcast.voice.profiles import VoiceStore

    return VoiceStore(voice_root).clone(reader_sample, "reader")
