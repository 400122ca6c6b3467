"""Word error rate, with the light normalisation recognisers are usually scored with."""

from __future__ import annotations

import re

_SPELL = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "ok": "okay"}


def normalise(text: str) -> list[str]:
    t = text.lower().replace("-", " ").replace("’", "'")
    words = re.findall(r"[a-z0-9']+", t)
    return [_SPELL.get(w, w) for w in words]


def wer(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return float(bool(hyp))
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
