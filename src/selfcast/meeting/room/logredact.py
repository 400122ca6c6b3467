"""Keep invitation tokens out of server logs.

A room link carries its token in the query string (``/room/<id>?t=<token>``), and uvicorn writes
the whole path with its query into every access line (``uvicorn.access``) and every WebSocket
"accepted" line (``uvicorn.error``). Anyone who can read those logs could then join as the host.
:class:`TokenRedactor` rewrites such values before a record is formatted, whichever way uvicorn
was started (``selfcast serve``, ``selfcast room serve``, a test harness).
"""

from __future__ import annotations

import logging
import re

# Query parameters that carry a credential: the room's ``t`` and any ``token`` / ``key``.
_SECRET_PARAM = re.compile(r"(?i)([?&](?:t|token|key|access_token)=)[^&\s\"']+")
REDACTED = "[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """``text`` with the value of every credential query parameter replaced."""
    return _SECRET_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class TokenRedactor(logging.Filter):
    """Rewrites a record's message and string arguments in place (uvicorn's access formatter
    unpacks ``record.args`` itself, so the arguments are redacted one by one, not collapsed)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install_token_redactor() -> None:
    """Attach one :class:`TokenRedactor` to each uvicorn logger (idempotent; logger filters survive
    uvicorn's own ``dictConfig``, which only replaces handlers)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactor) for f in logger.filters):
            logger.addFilter(TokenRedactor())
