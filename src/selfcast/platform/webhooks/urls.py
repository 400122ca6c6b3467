"""Which URLs may receive webhooks: public https endpoints only, like meeting links.

A webhook URL is chosen by the account, and the server is the one that connects: a hostile URL
could aim it at loopback, the LAN or the cloud metadata service. So the host must resolve only to
public addresses (``meeting.netguard``'s rule), checked when the endpoint is created and again at
every attempt, and the attempt connects to the address that was checked. Loopback http is allowed
only when the operator says so (``webhooks.allow_loopback``, for tests and same-host receivers).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from selfcast.errors import BadInput
from selfcast.meeting.netguard import IPAddress, Refused, Unresolved, checked_addresses

MAX_URL_CHARS = 2000
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A checked URL, split into what the sender needs to connect to a pinned address."""

    url: str
    scheme: str
    host: str
    port: int
    loopback: bool


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_url(value: object, *, allow_loopback: bool) -> WebhookTarget:
    """The URL's parts, or BadInput naming what is wrong (scheme, length, credentials, host)."""
    rule = "webhook URLs must be https:// URLs of a public host"
    if allow_loopback:
        rule += " (or http://127.0.0.1 on this server, which allows loopback)"
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"url is required; {rule}")
    url = value.strip()
    if len(url) > MAX_URL_CHARS:
        raise BadInput(f"url is {len(url)} characters long; keep it under {MAX_URL_CHARS} ({rule})")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadInput(f"url {url[:80]!r} is not a valid URL ({exc}); {rule}") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http"):
        raise BadInput(f"url scheme {parts.scheme or '(none)'!r} is not allowed; {rule}")
    if not host:
        raise BadInput(f"url {url[:80]!r} has no host; {rule}")
    if parts.username or parts.password:
        raise BadInput(f"url must not carry a user name or password; {rule} (authenticate with the signature)")
    loopback = _is_loopback(host)
    if loopback and not allow_loopback:
        raise BadInput(f"url points at this machine ({host}); {rule}")
    if parts.scheme == "http" and not loopback:
        raise BadInput(f"url uses plain http; {rule}")
    return WebhookTarget(url, parts.scheme, host, port or (443 if parts.scheme == "https" else 80), loopback)


def addresses(target: WebhookTarget) -> list[IPAddress]:
    """The addresses to connect to: Refused when any is not public (loopback targets were allowed
    by the operator), Unresolved when the host has none."""
    return checked_addresses(target.host, target.port, exempt=target.loopback)


def check_url(value: object, *, allow_loopback: bool) -> str:
    """The API's check at creation: the URL's form and where its host resolves now."""
    target = parse_url(value, allow_loopback=allow_loopback)
    try:
        addresses(target)
    except Refused as exc:
        raise BadInput(f"url is not reachable as a webhook receiver: {exc}; webhook URLs must point at a "
                       "public host") from None
    except Unresolved as exc:
        raise BadInput(f"url's host does not resolve ({exc}); check the spelling") from None
    return target.url
