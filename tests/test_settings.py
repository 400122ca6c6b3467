from pathlib import Path

import pytest

from selfcast.settings import Settings


def test_environment_overrides_nested_sections(monkeypatch, tmp_path):
    monkeypatch.setenv("SELFCAST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SELFCAST_BRAIN__PROVIDER", "openai")
    s = Settings()
    assert s.data_dir == tmp_path
    assert s.brain.provider == "openai"
    assert s.db_url == f"sqlite:///{tmp_path / 'selfcast.db'}"


def test_config_file_is_read_and_environment_wins(monkeypatch, tmp_path: Path):
    cfg = tmp_path / "selfcast.toml"
    cfg.write_text('port = 9000\n[pricing]\ncredits_per_minute = 10.0\n')
    monkeypatch.setenv("SELFCAST_CONFIG", str(cfg))
    monkeypatch.setenv("SELFCAST_PORT", "9100")
    s = Settings()
    assert s.pricing.credits_per_minute == 10.0
    assert s.port == 9100


def test_missing_config_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SELFCAST_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ValueError, match="does not exist"):
        Settings()


def test_invalid_config_file_names_the_path(monkeypatch, tmp_path):
    cfg = tmp_path / "broken.toml"
    cfg.write_text("port = \n")
    monkeypatch.setenv("SELFCAST_CONFIG", str(cfg))
    with pytest.raises(ValueError, match=r"broken\.toml.*not valid TOML"):
        Settings()


def test_config_file_and_environment_merge_inside_a_section(monkeypatch, tmp_path: Path):
    cfg = tmp_path / "selfcast.toml"
    cfg.write_text('[brain]\nurl = "http://localhost:11434/v1"\nprovider = "anthropic"\n')
    monkeypatch.setenv("SELFCAST_CONFIG", str(cfg))
    monkeypatch.setenv("SELFCAST_BRAIN__PROVIDER", "openai")
    s = Settings()
    assert (s.brain.provider, s.brain.url) == ("openai", "http://localhost:11434/v1")
