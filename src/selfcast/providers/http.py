"""HTTP for every provider: one retry rule, bounded timeouts, and vendor failures made clear.

Sync or async: speech, recognition and the chat models are called on worker threads (the live
session's TTS iterator thread, the hearing worker, the brain's reply thread) behind sync
``Iterator`` interfaces, so they use a blocking ``httpx.Client`` (``HTTPClient``): no event loop is
blocked and no loop has to be bridged into a thread. Image generation is a coroutine
(``AsyncHTTPClient`` on ``httpx.AsyncClient``) so an async caller awaits it without a thread.

Retries: a request is sent again (``Retry.attempts`` in all, with a short growing pause) when the
connection could not be made or was dropped before any byte of the answer arrived (refused,
reset, "server disconnected without sending a response"): nothing was received, so nothing is
played or shown twice. httpx's own ``retries=`` covers only failed connects, hence this loop. Once
an answer has started, a failure is an error: a half-spoken sentence or half-streamed reply must
not be replayed. Every phase has a bounded timeout (connect, read, write, pool).

Errors name the vendor, what went wrong and what to check; keys travel only in request headers,
only to the configured host, and never appear in an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

import httpx

from selfcast.errors import BadInput, SelfcastError, Timeout, Unauthorized, Unavailable

log = logging.getLogger(__name__)

# failures before any byte of an answer arrived: the request never produced anything, send it again
RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError,
             httpx.WriteError)


class Body(TypedDict, total=False):
    """What a provider sends besides method and path (httpx's own keyword names)."""

    json: object
    params: Mapping[str, str]
    data: Mapping[str, str]
    files: Mapping[str, tuple[str, bytes, str]]


def timeouts(read_s: float = 15.0, *, connect_s: float = 5.0) -> httpx.Timeout:
    """Bounded per phase: ``read_s`` is the longest silence between two pieces of an answer."""
    return httpx.Timeout(connect=connect_s, read=read_s, write=10.0, pool=5.0)


@dataclass(frozen=True, slots=True)
class Retry:
    """``attempts`` sends in all; the pause before the n-th resend is ``backoff_s * 2**(n-1)``."""

    attempts: int = 3
    backoff_s: float = 0.2

    def pause(self, attempt: int) -> float:
        return self.backoff_s * (2 ** (attempt - 1))


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One vendor API: where it is, how to authenticate, and what to tell the user when it fails."""

    name: str  # who answered, as errors say it: "ElevenLabs", "the transcription API"
    url: str  # base URL; request paths are appended to it
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # sent only to this host
    secret: str = field(default="", repr=False)  # masked out of every message
    check: str = "the provider's url and key"  # what a refusal asks the user to check
    timeout: httpx.Timeout = field(default_factory=timeouts)
    retry: Retry = field(default_factory=Retry)

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise BadInput(f"{self.name} needs an http(s) URL, got {self.url!r}; check {self.check}")

    def target(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.url.rstrip("/") + "/" + path.lstrip("/") if path else self.url

    def headers_for(self, url: str) -> dict[str, str]:
        """The credentials go to the configured host only (never to a CDN link in an answer)."""
        here, there = httpx.URL(self.url), httpx.URL(url)
        return dict(self.headers) if (here.host, here.port) == (there.host, there.port) else {}

    def mask(self, text: str) -> str:
        return text.replace(self.secret, "[REDACTED]") if len(self.secret) >= 4 else text


def vendor_message(response: httpx.Response) -> str:
    """The vendor's own words for a failure (``detail``, ``error``, ``base_resp``, ``message``)."""
    try:
        body: object = response.json()
    except (ValueError, UnicodeDecodeError):
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict):
        for key in ("detail", "error", "base_resp", "message"):
            value = body.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, dict):  # {"message"}, FastAPI's {"loc", "msg"}, MiniMax's {"status_msg"}
                where = ".".join(str(p) for p in value.get("loc") or [] if p != "body")
                said = value.get("message") or value.get("msg") or value.get("status_msg") or value.get("status")
                value = f"{where}: {said}" if where else said
            if value:
                return str(value)[:200]
    return json.dumps(body)[:200]


def refusal(endpoint: Endpoint, response: httpx.Response) -> SelfcastError:
    """A 4xx/5xx answer as our error (401/403: the key; anything else: the request or the service)."""
    status, said = response.status_code, endpoint.mask(vendor_message(response))
    if status in (401, 403):
        return Unauthorized(f"{endpoint.name} refused the key (HTTP {status}: {said}); check {endpoint.check}")
    if status == 429:
        return Unavailable(f"{endpoint.name} is rate-limiting or out of quota (HTTP 429: {said}); try again later")
    return Unavailable(f"{endpoint.name} answered HTTP {status}: {said}; check {endpoint.check}")


def unreachable(endpoint: Endpoint, exc: Exception, attempts: int) -> Unavailable:
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return Unavailable(f"{endpoint.name} at {endpoint.url} is not reachable ({type(exc).__name__}{tries}); "
                       f"check {endpoint.check} and the network")


def timed_out(endpoint: Endpoint, exc: Exception) -> Timeout:
    return Timeout(f"{endpoint.name} at {endpoint.url} did not answer in time ({type(exc).__name__}); "
                   "it may be overloaded, try again")


def broken_off(endpoint: Endpoint, exc: Exception) -> Unavailable:
    return Unavailable(f"{endpoint.name} broke off its answer ({type(exc).__name__}: {endpoint.mask(str(exc))[:120]})")


class HTTPClient:
    """Blocking client for providers called on worker threads."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self._client = httpx.Client(timeout=endpoint.timeout, transport=transport)

    def _open(self, method: str, path: str, body: Body) -> httpx.Response:
        ep, url = self.endpoint, self.endpoint.target(path)
        for attempt in range(1, ep.retry.attempts + 1):
            request = self._client.build_request(method, url, headers=ep.headers_for(url), **body)
            try:
                return self._client.send(request, stream=True)
            except RETRYABLE as exc:
                if attempt == ep.retry.attempts:
                    raise unreachable(ep, exc, attempt) from exc
                log.info("%s: %s, sending again (%d/%d)", ep.name, type(exc).__name__, attempt + 1, ep.retry.attempts)
                time.sleep(ep.retry.pause(attempt))
            except httpx.TimeoutException as exc:
                raise timed_out(ep, exc) from exc
            except httpx.HTTPError as exc:
                raise unreachable(ep, exc, attempt) from exc
        raise AssertionError("Retry.attempts must be at least 1")

    @contextlib.contextmanager
    def stream(self, method: str, path: str, **body: Unpack[Body]) -> Iterator[httpx.Response]:
        """An answer whose status is below 400, body still to read; failures become our errors."""
        response = self._open(method, path, body)
        try:
            if response.status_code >= 400:
                response.read()
                raise refusal(self.endpoint, response)
            yield response
        except httpx.TimeoutException as exc:
            raise timed_out(self.endpoint, exc) from exc
        except httpx.HTTPError as exc:
            raise broken_off(self.endpoint, exc) from exc
        finally:
            response.close()

    def request(self, method: str, path: str, **body: Unpack[Body]) -> httpx.Response:
        """A whole answer, read."""
        with self.stream(method, path, **body) as response:
            response.read()
        return response

    def close(self) -> None:
        self._client.close()


class AsyncHTTPClient:
    """The same rules on ``httpx.AsyncClient``, for coroutine callers; use ``async with``."""

    def __init__(self, endpoint: Endpoint, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.endpoint = endpoint
        self._client = httpx.AsyncClient(timeout=endpoint.timeout, transport=transport)

    async def _open(self, method: str, path: str, body: Body) -> httpx.Response:
        ep, url = self.endpoint, self.endpoint.target(path)
        for attempt in range(1, ep.retry.attempts + 1):
            request = self._client.build_request(method, url, headers=ep.headers_for(url), **body)
            try:
                return await self._client.send(request, stream=True)
            except RETRYABLE as exc:
                if attempt == ep.retry.attempts:
                    raise unreachable(ep, exc, attempt) from exc
                log.info("%s: %s, sending again (%d/%d)", ep.name, type(exc).__name__, attempt + 1, ep.retry.attempts)
                await asyncio.sleep(ep.retry.pause(attempt))
            except httpx.TimeoutException as exc:
                raise timed_out(ep, exc) from exc
            except httpx.HTTPError as exc:
                raise unreachable(ep, exc, attempt) from exc
        raise AssertionError("Retry.attempts must be at least 1")

    @contextlib.asynccontextmanager
    async def stream(self, method: str, path: str, **body: Unpack[Body]) -> AsyncIterator[httpx.Response]:
        response = await self._open(method, path, body)
        try:
            if response.status_code >= 400:
                await response.aread()
                raise refusal(self.endpoint, response)
            yield response
        except httpx.TimeoutException as exc:
            raise timed_out(self.endpoint, exc) from exc
        except httpx.HTTPError as exc:
            raise broken_off(self.endpoint, exc) from exc
        finally:
            await response.aclose()

    async def request(self, method: str, path: str, **body: Unpack[Body]) -> httpx.Response:
        async with self.stream(method, path, **body) as response:
            await response.aread()
        return response

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHTTPClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
