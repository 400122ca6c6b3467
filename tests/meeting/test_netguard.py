"""The meeting network guard without a browser: which addresses are refused, and the proxy's
behaviour on the wire (a real listener counts what reaches it)."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from selfcast.errors import BadInput
from selfcast.meeting.netguard import (
    GuardProxy,
    Refused,
    check_link_address,
    checked_addresses,
    forbidden_reason,
)


@pytest.mark.parametrize(("ip", "why"), [
    ("127.0.0.1", "loopback"), ("127.9.9.9", "loopback"), ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"), ("0.0.0.0", "unspecified"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"), ("fd12::1", "private"),
    ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"), ("169.254.10.10", "link-local"),
    ("fe80::1", "link-local"), ("100.64.0.1", "carrier-grade NAT"), ("224.0.0.251", "multicast"),
    ("240.0.0.1", "reserved"), ("192.0.2.1", "private"), ("198.18.0.1", "private"),
])
def test_non_public_addresses_are_refused_with_a_reason(ip: str, why: str) -> None:
    reason = forbidden_reason(ipaddress.ip_address(ip))
    assert reason is not None and why in reason, (ip, reason)


@pytest.mark.parametrize("ip", ["8.8.8.8", "142.250.74.46", "2606:4700:4700::1111"])
def test_public_addresses_pass(ip: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(ip)) is None


def test_a_name_that_resolves_to_loopback_is_refused_and_an_unresolvable_one_is_left_to_the_browser() -> None:
    with pytest.raises(Refused, match="loopback"):
        checked_addresses("localhost", 80, exempt=False)
    assert checked_addresses("localhost", 80, exempt=True)  # an operator-listed host
    with pytest.raises(BadInput, match=r"not reachable by the bot.*meeting\.allowed_hosts"):
        check_link_address("localhost", 80, exempt=False)
    check_link_address("no-such-host.invalid", 443, exempt=False)  # DNS down is not proof of danger


class Counter:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        reqs = self.requests

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                reqs.append((self.path, self.headers.get("Connection", "")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _ask(proxy_url: str, request: bytes) -> bytes:
    host, port = proxy_url.removeprefix("http://").split(":")
    r, w = await asyncio.open_connection(host, int(port))
    w.write(request)
    await w.drain()
    try:  # the whole answer, to the proxy's close: one read may end between headers and body
        return await asyncio.wait_for(r.read(), 10)
    finally:
        w.close()


async def test_the_guard_proxy_refuses_loopback_on_the_wire_and_passes_an_exempt_host() -> None:
    target = Counter()
    allowed: set[int] = set()
    guard = GuardProxy(lambda host, port: port in allowed)
    url = await guard.start()
    try:
        plain = f"GET http://127.0.0.1:{target.port}/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()
        assert await _ask(url, plain) == b""  # no answer at all: the page gets a network error
        answer = await _ask(url, f"CONNECT 127.0.0.1:{target.port} HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 403")
        assert await _ask(url, f"GET http://localhost:{target.port}/y HTTP/1.1\r\n\r\n".encode()) == b""
        assert target.requests == []
        assert {(d.host, d.allowed) for d in guard.decisions} == {("127.0.0.1", False), ("localhost", False)}

        allowed.add(target.port)  # the operator lists it
        answer = await _ask(url, plain)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"ok")
        # one request per upstream connection: the next one (maybe for another host) is checked anew
        assert target.requests == [("/x", "close")]
    finally:
        await guard.close()
        target.close()


async def test_the_guard_proxy_refuses_an_http_upstream_it_cannot_chain_through() -> None:
    with pytest.raises(BadInput, match="http:// proxy"):
        await GuardProxy(lambda h, p: False, upstream="socks5://127.0.0.1:1080").start()
