"""Secret redaction, applied to every piece of text before it is parsed, stored, logged or
shown to a model. Patterns cover the credentials people actually leave in repositories,
shell history and logs; a generic rule catches ``password=``/``token=``-style assignments.
"""

from __future__ import annotations

import math
import re
from collections import Counter

MASK = "[REDACTED]"

_KEY_WORDS = (r"pass(?:word|wd|phrase)?|pwd|secret(?:[_-]?key)?|token|api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|"
              r"auth(?:[_-]?token)?|client[_-]?secret|private[_-]?key|credentials?|session[_-]?key|"
              r"signing[_-]?key|dev[_-]?key|devkey|bearer|webhook[_-]?secret|db[_-]?pass")

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("private key block", re.compile(
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
        re.S)),
    ("url password", re.compile(r"(?P<keep>\b[a-z][a-z0-9+.-]*://[^\s:/@\"']+:)[^\s@/\"']+(?=@)", re.I)),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("anthropic key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{16,}")),
    ("openai key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
    ("stripe key", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}")),
    ("stripe webhook secret", re.compile(r"\bwhsec_[A-Za-z0-9]{16,}")),
    ("pika dev key", re.compile(r"\bdk_[A-Za-z0-9_-]{12,}")),
    ("aws access key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")),
    ("github token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")),
    ("gitlab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("slack webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/]+")),
    ("google api key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("huggingface token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{30,}")),
    ("sendgrid key", re.compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}")),
    ("twilio key", re.compile(r"\bSK[0-9a-fA-F]{32}\b")),
    ("elevenlabs/generic sk", re.compile(r"\bsk_[A-Za-z0-9]{32,}")),
    ("bearer", re.compile(r"(?P<keep>\b(?:Bearer|DevKey|Token|Basic)\s+)[A-Za-z0-9._~+/=-]{12,}", re.I)),
    ("aws secret", re.compile(r"(?P<keep>aws_secret_access_key\s*[=:]\s*[\"']?)[A-Za-z0-9/+=]{30,}", re.I)),
    ("assignment", re.compile(
        r"(?P<keep>(?:\b|_)(?:" + _KEY_WORDS + r")\b[\"']?\s*(?:=|:|=>|:=)\s*)(?P<q>[\"']?)(?!\[REDACTED\])"
        r"[^\s\"',;}{)]{3,}(?P=q)", re.I)),
    ("cli flag", re.compile(r"(?P<keep>--(?:" + _KEY_WORDS + r")(?:=|\s+))(?!\[REDACTED\])[^\s\"']{3,}", re.I)),
]
_TOKENISH = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def _entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(c / len(s) * math.log2(c / len(s)) for c in counts.values())


def _looks_random(tok: str) -> bool:
    """Long mixed-case-and-digit strings with high entropy (base64 credentials), not hex hashes."""
    if re.fullmatch(r"[0-9a-f]+", tok) or re.fullmatch(r"[0-9A-F]+", tok):
        return False
    has = sum(bool(re.search(p, tok)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return has == 3 and _entropy(tok) >= 4.2


def redact(text: str) -> str:
    """``text`` with every credential replaced by ``[REDACTED]``."""
    if not text:
        return text
    for _name, pat in _PATTERNS:
        if "keep" in pat.groupindex:
            text = pat.sub(lambda m: m.group("keep") + MASK, text)
        else:
            text = pat.sub(MASK, text)
    return _TOKENISH.sub(lambda m: MASK if _looks_random(m.group(0)) else m.group(0), text)


def is_secret_file(name: str) -> bool:
    """Files whose whole content is credentials: never read them."""
    n = name.lower()
    return (n == ".env" or n.startswith(".env.") or n.endswith((".pem", ".key", ".p12", ".pfx", ".keystore", ".jks"))
            or n in {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", ".netrc", ".pgpass", "credentials",
                     ".npmrc", ".pypirc", "devkey", "secrets.json", "secrets.yaml", "secrets.yml"})


class RedactingFilter:
    """A ``logging.Filter`` that scrubs messages and arguments, for handlers that see brain text."""

    def filter(self, record) -> bool:
        record.msg = redact(record.getMessage())  # format first: a secret may span message and argument
        record.args = ()
        return True
