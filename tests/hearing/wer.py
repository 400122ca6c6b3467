"""Word error rate (jiwer) after the light normalisation recognisers are usually scored with.

Case, punctuation and hyphens do not count; a few abbreviations are spelled out so "Mr" and
"mister" match. Shared by the recognition tests and ``bench/conversation.py``.
"""

from __future__ import annotations

import jiwer

NORMALISE = jiwer.Compose([
    jiwer.ToLowerCase(),
    jiwer.SubstituteRegexes({"’": "'", r"[^a-z0-9']+": " "}),
    jiwer.Strip(),
    jiwer.SubstituteWords({"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay"}),
    jiwer.ReduceToListOfListOfWords(),
])


def wer(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, after :data:`NORMALISE`."""
    return float(jiwer.wer(reference, hypothesis, reference_transform=NORMALISE, hypothesis_transform=NORMALISE))
