"""Jobs done in exactly one module: a second WAV writer or a second token signer in ``src/`` fails
here, so the copies cannot drift apart again (see tests/test_signing.py and tests/test_sentences.py
for what the one module does)."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "selfcast"


def _modules_matching(pattern: str) -> list[str]:
    rx = re.compile(pattern, re.M)
    return sorted(str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if rx.search(p.read_text(encoding="utf-8")))


def test_one_wav_writer() -> None:
    assert _modules_matching(r"wave\.open\([^)]*[\"']wb[\"']") == ["media/audio_io.py"]


def test_one_token_signer() -> None:
    assert _modules_matching(r"\bhmac\.|^\s*(?:from|import) itsdangerous") == ["signing.py"]


def test_one_sentence_splitter() -> None:
    assert _modules_matching(r"re\.(?:compile|split)\(r?[\"'][^\"']*\(\?<=\[\.!\?") == []  # ad-hoc "(?<=[.!?])" splits
    assert _modules_matching(r"^class SentenceSplitter\b|^def split_sentences\b") == ["sentences.py"]
