"""One signed HTTP attempt at a delivery.

Signed with ``standardwebhooks`` (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``),
sent to the address the URL guard checked (the TLS name and ``Host`` stay the URL's, so a
second DNS answer cannot swap in a private address), no redirects followed, bounded in time and
in how much of the answer is read. The answer's body is dropped, never stored or echoed; the
secret never reaches a log or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from standardwebhooks import Webhook

from selfcast.errors import BadInput
from selfcast.meeting.netguard import Refused, Unresolved
from selfcast.platform.webhooks.urls import WebhookTarget, addresses, parse_url
from selfcast.settings import WebhookSettings

USER_AGENT = "selfcast-webhooks/1"


@dataclass(frozen=True, slots=True)
class Attempt:
    ok: bool
    status_code: int | None
    error: str  # "" when ok; what went wrong, for the delivery log


def signed_headers(secret: str, msg_id: str, body: str, now: datetime | None = None) -> dict[str, str]:
    now = now or datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _pinned_url(target: WebhookTarget, ip: str) -> str:
    """The URL with its host replaced by the checked address (IPv6 bracketed), fragment dropped."""
    parts = urlsplit(target.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = f"[{ip}]" if ":" in ip else ip
    return f"{target.scheme}://{host}:{target.port}{path}"


MAX_ADDRESSES = 3  # a name with several checked addresses: the next is tried when one refuses


def send(url: str, secret: str, msg_id: str, body: str, settings: WebhookSettings) -> Attempt:
    try:
        target = parse_url(url, allow_loopback=settings.allow_loopback)
        ips = [str(ip) for ip in addresses(target)][:MAX_ADDRESSES]
    except (Refused, Unresolved) as exc:
        return Attempt(False, None, f"refused before connecting: {exc}"[:300])
    except BadInput as exc:  # no longer allowed (e.g. the operator turned loopback off)
        return Attempt(False, None, f"url not allowed: {exc.message}"[:300])
    headers = signed_headers(secret, msg_id, body)
    default_port = 443 if target.scheme == "https" else 80
    name = f"[{target.host}]" if ":" in target.host else target.host
    headers["host"] = name if target.port == default_port else f"{name}:{target.port}"
    attempt = Attempt(False, None, "no address")
    for ip in ips:
        attempt = _post(target, ip, headers, body, settings)
        if attempt.error != "" and attempt.status_code is None and attempt.error.startswith("ConnectError"):
            continue  # refused or unreachable at this address: try the next one the guard checked
        break
    return attempt


def _post(target: WebhookTarget, ip: str, headers: dict[str, str], body: str, settings: WebhookSettings) -> Attempt:
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with (
            httpx.Client(timeout=settings.timeout_s, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", _pinned_url(target, ip), content=body.encode(), headers=headers,
                          extensions=extensions) as resp,
        ):
            read = 0
            for chunk in resp.iter_raw():
                read += len(chunk)
                if read >= settings.max_response_bytes:
                    break
            code = resp.status_code
    except httpx.TimeoutException:
        return Attempt(False, None, f"timed out after {settings.timeout_s:g} s")
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"{type(exc).__name__}: {exc}"[:300])
    if 200 <= code < 300:
        return Attempt(True, code, "")
    return Attempt(False, code, f"the receiver answered HTTP {code}")
