"""Weights that ship in parts: assembled once, checked against the pinned sha256, never half-written."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from selfcast.weights import WHISPER_BASE, SplitWeights, WeightsCorrupt, WeightsMissing, assemble, is_ready


def test_assembled_file_matches_its_pinned_hash_and_is_not_rebuilt(tmp_path: Path) -> None:
    path = assemble(WHISPER_BASE, tmp_path, progress=False)
    assert path == tmp_path / "whisper-base" / "model.bin" and path.stat().st_size == WHISPER_BASE.size
    assert hashlib.sha256(path.read_bytes()).hexdigest() == WHISPER_BASE.sha256
    assert {p.name for p in path.parent.iterdir()} >= {"config.json", "tokenizer.json", "vocabulary.txt"}
    mtime = path.stat().st_mtime_ns
    assert is_ready(WHISPER_BASE, tmp_path)
    assert assemble(WHISPER_BASE, tmp_path, progress=False).stat().st_mtime_ns == mtime  # a stat, not a rebuild


def test_a_changed_file_is_not_trusted(tmp_path: Path) -> None:
    path = assemble(WHISPER_BASE, tmp_path, progress=False)
    with path.open("r+b") as f:
        f.write(b"\0")
    assert not is_ready(WHISPER_BASE, tmp_path)  # size and mtime no longer match the verified stamp


def test_parts_that_do_not_hash_to_the_pin_leave_nothing_behind(tmp_path: Path) -> None:
    wrong = dataclasses.replace(WHISPER_BASE, sha256="0" * 64)
    with pytest.raises(WeightsCorrupt, match="reinstall those packages"):
        assemble(wrong, tmp_path, progress=False)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_missing_weight_package_is_named(tmp_path: Path) -> None:
    spec = SplitWeights("x.bin", "selfcast-no-such-weights-part", 2, ".bin", "0" * 64, 1)
    with pytest.raises(WeightsMissing, match="selfcast-no-such-weights-part1 is not installed"):
        assemble(spec, tmp_path, progress=False)
