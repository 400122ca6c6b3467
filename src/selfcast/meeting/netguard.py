"""Which network addresses a meeting bot may reach, and the proxy that makes its browser obey.

A meeting link names a host; a hostile one (or a redirect from an allowed page, or a script on
it) could point the bot's Chromium at loopback, the LAN or the cloud metadata service. So every
connection the browser makes goes through :class:`GuardProxy`, which resolves the host itself,
refuses non-public addresses (unless the host is one the operator vouched for) and then connects
to the address it checked, so a second DNS answer cannot swap in another (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from selfcast.errors import BadInput

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")
HEAD_LIMIT = 64 * 1024  # a proxy request head larger than this is refused
Exempt = Callable[[str, int], bool]  # (host, port) -> the operator vouches for it


class Unresolved(Exception):
    """The host has no address (DNS failure): a network error, not a refusal."""


class Refused(Exception):
    """The host resolves to an address the bot must not reach."""


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the bot may not connect to ``ip`` (None when it is an ordinary public address)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        (ip in METADATA, "the cloud metadata address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "a carrier-grade NAT address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a public address"),
    )
    return next((why for hit, why in checks if hit), None)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal IP is its own answer); Unresolved on failure."""
    with contextlib.suppress(ValueError):
        return [ipaddress.ip_address(host.strip("[]"))]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolved(f"{host!r} does not resolve: {exc}") from None
    return list(dict.fromkeys(ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos))


def checked_addresses(host: str, port: int, exempt: bool) -> list[IPAddress]:
    """The addresses to connect to; Refused if any of them is not public (unless ``exempt``).

    All answers must be public, not just the first: a name with one public and one private
    address would otherwise reach the private one on a retry.
    """
    addrs = resolve(host, port)
    if not exempt:
        for ip in addrs:
            why = forbidden_reason(ip)
            if why:
                raise Refused(f"{host} resolves to {ip}, {why}")
    return addrs


def check_link_address(host: str, port: int, exempt: bool) -> None:
    """The API's check of a meeting link's host: BadInput when it resolves to a non-public address.

    A name that does not resolve now is let through: the bot's browser checks again when it
    connects (and reports ``network_error`` if it still does not resolve).
    """
    try:
        checked_addresses(host, port, exempt)
    except Refused as exc:
        raise BadInput(f"the meeting link's host is not reachable by the bot: {exc}; meeting links must point "
                       "at a public meeting service (an operator can allow an internal host in "
                       "meeting.allowed_hosts)") from None
    except Unresolved:
        return


@dataclass(slots=True)
class Decision:
    host: str
    port: int
    allowed: bool
    reason: str = ""


@dataclass
class GuardProxy:
    """An HTTP proxy on loopback for one browser: CONNECT tunnels (https, wss) and plain http/ws.

    ``exempt(host, port)`` names the hosts the operator vouches for (and the bot's own bridge);
    ``direct()`` the loopback ``host:port`` entries that bypass the guard (the bridge's socket);
    everything else must resolve to public addresses only. ``upstream`` chains through the
    operator's own http:// proxy (``meeting.proxy``) with CONNECT to the checked address.
    """

    exempt: Exempt
    upstream: str = ""
    # "host:port" the browser reaches directly, not through the guard: the bot's own media bridge
    # (a hot path; a Python hop would add latency to every frame). Read when the browser starts.
    direct: Callable[[], list[str]] = lambda: []
    decisions: list[Decision] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)

    async def start(self) -> str:
        if self.upstream and urlsplit(self.upstream).scheme != "http":
            raise BadInput(f"meeting.proxy {self.upstream!r} must be an http:// proxy (the bot's network guard "
                           "chains through it with CONNECT), e.g. http://host:3128")
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for t in list(self._tasks):
                t.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    @property
    def refused(self) -> list[Decision]:
        return [d for d in self.decisions if not d.allowed]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        if len(head) > HEAD_LIMIT:
            return await _reply(writer, 431, "request head too large")
        line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = line.decode("latin-1").split(" ")
        except ValueError:
            return await _reply(writer, 400, "malformed request line")
        if method == "CONNECT":
            host, _, port_s = target.rpartition(":")
            host, first = host.strip("[]"), b""
        else:
            parts = urlsplit(target)
            if parts.scheme not in ("http", "ws") or not parts.hostname:
                return await _reply(writer, 400, "absolute http:// target required")
            host, port_s = parts.hostname, str(parts.port or 80)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            first = f"{method} {path} {version}\r\n".encode("latin-1") + _one_shot(rest)
        try:
            port = int(port_s)
        except ValueError:
            return await _reply(writer, 400, "bad port")
        host = host.lower().rstrip(".")
        try:
            addrs = await asyncio.to_thread(checked_addresses, host, port, self.exempt(host, port))
        except (Refused, Unresolved) as exc:
            # No answer for plain http either: the page gets a network error, not a page to show.
            self._note(host, port, False, str(exc), refused=isinstance(exc, Refused))
            if method == "CONNECT":
                await _reply(writer, 403 if isinstance(exc, Refused) else 502, "not opened by the meeting network guard")
            return None
        self._note(host, port, True)
        try:
            up_r, up_w = await asyncio.wait_for(self._connect(addrs, port), 20)
        except (OSError, TimeoutError, ConnectionError) as exc:
            self._note(host, port, False, f"{host}:{port} unreachable: {exc}", refused=False)
            if method == "CONNECT":
                await _reply(writer, 502, "meeting host unreachable")
            return None
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            up_w.write(first)
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_w), _pipe(up_r, writer))

    def _note(self, host: str, port: int, allowed: bool, reason: str = "", *, refused: bool = True) -> None:
        self.decisions.append(Decision(host, port, allowed, reason))
        del self.decisions[:-500]
        if not allowed:
            log.log(logging.WARNING if refused else logging.INFO, "meeting network guard: %s:%s not opened (%s)",
                    host, port, reason)

    async def _connect(self, addrs: list[IPAddress], port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        last: Exception = OSError("no address")
        for ip in addrs:
            try:
                if not self.upstream:
                    return await asyncio.open_connection(str(ip), port)
                up = urlsplit(self.upstream)
                r, w = await asyncio.open_connection(up.hostname, up.port or 80)
                target = f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
                w.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
                answer = await r.readuntil(b"\r\n\r\n")
                if b" 200" not in answer.split(b"\r\n", 1)[0]:
                    w.close()
                    raise OSError(f"upstream proxy refused CONNECT {target}")
                return r, w
            except OSError as exc:
                last = exc
        raise last


def _one_shot(rest: bytes) -> bytes:
    """The headers of a plain-http request, made single-use: ``Connection: close`` unless it is a
    WebSocket upgrade, so the next request (maybe for another host) comes on a new, checked connection."""
    lines = [h for h in rest.split(b"\r\n") if h]
    upgrade = any(h.lower().startswith(b"upgrade:") for h in lines)
    kept = [h for h in lines if not h.lower().startswith((b"proxy-connection:", b"proxy-authorization:"))]
    if not upgrade:
        kept = [h for h in kept if not h.lower().startswith((b"connection:", b"keep-alive:"))] + [b"Connection: close"]
    return b"\r\n".join(kept) + b"\r\n\r\n"


async def _reply(writer: asyncio.StreamWriter, status: int, text: str) -> None:
    body = text.encode()
    writer.write(f"HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                 "Connection: close\r\n\r\n".encode() + body)
    with contextlib.suppress(Exception):
        await writer.drain()


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            dst.close()
