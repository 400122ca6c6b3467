"""How the room page is served safely: its configuration as inert JSON, and its security headers.

The page's data (room title, ICE servers) sits in a ``<script type="application/json">`` block that
the page's own script reads; it never runs, and every character that could end the block or the
document (``<``, ``>``, ``&``, U+2028/U+2029) is written as a JSON escape, so a room title cannot
break out. With no inline script left, the policy allows scripts only from this server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data: Mapping[str, object]) -> str:
    """``data`` as JSON that is safe inside any ``<script>`` element of an HTML page."""
    text = json.dumps(data)
    for ch, esc in _ESCAPES.items():
        text = text.replace(ch, esc)
    return text


def content_security_policy(netloc: str) -> str:
    """Scripts, styles and media from this server only; the signalling socket to this host only;
    no framing, no plugins, no base or form redirection."""
    ws = f"ws://{netloc} wss://{netloc}" if _HOST.fullmatch(netloc or "") else ""  # a Host header is input
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        f"connect-src 'self' {ws}".strip(),
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ])


def page_headers(netloc: str) -> dict[str, str]:
    """Headers for the room page. ``Referrer-Policy``: the page URL holds the invitation token."""
    return {
        "Content-Security-Policy": content_security_policy(netloc),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
