"""Text to IPA phonemes with the ``espeak-ng`` program (run as a separate process: it is GPL-3).

The Joe voice was trained on espeak-ng IPA with clause punctuation kept in the phoneme string;
the program drops that punctuation (it prints one clause per line), so we put it back from the
text: without it the voice runs clauses together and ends questions flat.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from selfcast.errors import Unavailable

_CLAUSE = re.compile(r"[^.,;:!?]+[.,;:!?]*")
_PUNCT_KEEP = {".": ".", ",": ",", ";": ";", ":": ":", "!": "!", "?": "?"}


class EspeakPhonemizer:
    """Phonemises one sentence at a time (~20 ms a call); ``voice`` is an espeak-ng voice name."""

    def __init__(self, voice: str = "en-us", binary: str | None = None) -> None:
        self.voice = voice
        self.binary = binary or shutil.which("espeak-ng") or shutil.which("espeak")
        if not self.binary:
            raise Unavailable("espeak-ng is not installed; install it (apt-get install espeak-ng) "
                              "to use the embedded voice, or configure a voice provider")

    def phonemize(self, text: str) -> str:
        text = " ".join(text.split())
        if not text:
            return ""
        proc = subprocess.run([self.binary, "-q", "-v", self.voice, "--ipa", "-b", "1"], input=text.encode("utf-8"),
                              capture_output=True, timeout=30, check=False)
        if proc.returncode != 0:
            raise Unavailable(f"espeak-ng failed ({proc.returncode}): {proc.stderr.decode(errors='replace')[:200]}")
        lines = [ln.strip() for ln in proc.stdout.decode("utf-8", errors="replace").splitlines() if ln.strip()]
        return restore_punctuation(text, lines)


def restore_punctuation(text: str, clause_lines: list[str]) -> str:
    """Re-attaches each clause's closing punctuation (espeak prints clauses one per line without it)."""
    clauses = [c.strip() for c in _CLAUSE.findall(text) if re.search(r"\w", c)]
    ends = []
    for c in clauses:
        tail = re.search(r"[.,;:!?]+$", c)
        ends.append(_PUNCT_KEEP.get(tail.group(0)[-1], "") if tail else "")
    if len(ends) == len(clause_lines):
        return " ".join(line + end for line, end in zip(clause_lines, ends, strict=True)).strip()
    final = ends[-1] if ends else ""
    return (", ".join(clause_lines) + final).strip()
