#!/usr/bin/env python3
# Copyright 2026 the selfcast authors. Licensed under the Apache License, Version 2.0.
"""Send an AI avatar into a video meeting through a selfcast (or Pika-compatible) server.

Drop-in replacement for Pika's ``pikastreaming_videomeeting.py``: same subcommands, flags, JSON
Lines on stdout, diagnostics on stderr and exit codes, plus compatible extensions (``status``,
``notes``, ``join --monitor --max-duration-sec``, ``--no-wait-for-payment``, Teams/Jitsi/room).

Configuration (environment):
  PIKA_DEV_KEY or SELFCAST_DEV_KEY   developer key (``dk_...``); else the file ~/.pika/devkey
  PIKA_API_BASE_URL or SELFCAST_API_URL   server base URL (default http://127.0.0.1:8787)
  PIKA_VIDEO_API_BASE_URL            older forks' base URL for the image/voice proxy routes

Exit codes: 0 ok, 1 no key, 2 validation, 3 HTTP error, 4 session error, 5 join timeout,
6 funding (no key, balance check failed, no products, checkout failed, payment timeout).

Only the standard library and ``requests``; runs on Python 3.9+.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

SKILL_NAME = "pikastream-video-meeting"
SKILL_DIR = Path(__file__).resolve().parent.parent
DEFAULT_IMAGE = SKILL_DIR / "assets" / "placeholder-avatar.jpg"
DEFAULT_VOICE = "English_radiant_girl"
DEFAULT_API_BASE = "http://127.0.0.1:8787"
DEFAULT_IMAGE_MODEL = "gpt-image-1-mini"
VOICE_CLONE_MODEL = "speech-2.8-hd"
MIN_CREDITS_TO_JOIN = 100
PLATFORMS = ("google_meet", "zoom", "teams", "jitsi", "room")
AVATAR_STYLES = ("cinematic", "anime", "3d")
NATIVE_AUDIO = (".mp3", ".m4a", ".wav")
CONVERTIBLE_AUDIO = (".ogg", ".mp4", ".webm", ".mkv", ".mov", ".flac", ".aac", ".wma", ".opus")
AUDIO_MIME = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".wav": "audio/wav"}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}

EXIT_OK, EXIT_NO_KEY, EXIT_VALIDATION, EXIT_HTTP, EXIT_SESSION, EXIT_TIMEOUT, EXIT_FUNDING = range(7)


class SkillExit(Exception):
    """Ends the command with an exit code after a one-line diagnostic on stderr."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ----------------------------------------------------------------------------- output


def emit(obj: dict[str, Any]) -> None:
    """One JSON object per line on stdout, flushed at once so a reading agent sees it now."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def eprint(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- configuration


def _env(*names: str) -> str:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return ""


def find_dev_key() -> str:
    """PIKA_DEV_KEY, then SELFCAST_DEV_KEY, then the first line of ~/.pika/devkey."""
    key = _env("PIKA_DEV_KEY", "SELFCAST_DEV_KEY")
    if key:
        return key
    path = Path.home() / ".pika" / "devkey"
    try:
        return path.read_text(encoding="utf-8").strip().splitlines()[0].strip()
    except (OSError, IndexError, UnicodeDecodeError):
        return ""


def api_base() -> str:
    """Base URL of the developer and realtime routes."""
    return (_env("PIKA_API_BASE_URL", "SELFCAST_API_URL", "PIKA_VIDEO_API_BASE_URL") or DEFAULT_API_BASE).rstrip("/")


def proxy_base() -> str:
    """Base URL of the image and voice proxy routes (older forks name it PIKA_VIDEO_API_BASE_URL)."""
    return (_env("PIKA_VIDEO_API_BASE_URL", "PIKA_API_BASE_URL", "SELFCAST_API_URL") or DEFAULT_API_BASE).rstrip("/")


def signup_url() -> str:
    return api_base() + "/signup"


def require_key() -> str:
    key = find_dev_key()
    if not key:
        raise SkillExit(
            EXIT_NO_KEY,
            "Error: no developer key. Set PIKA_DEV_KEY (or SELFCAST_DEV_KEY), or write it to ~/.pika/devkey. "
            f"Create one at {signup_url()} or, on the server machine, with `selfcast keys create`.",
        )
    return key


# ----------------------------------------------------------------------------- HTTP


def _requests():
    try:
        import requests
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise SkillExit(
            EXIT_VALIDATION,
            f"Error: the Python package 'requests' is missing; run: pip install -r {SKILL_DIR / 'requirements.txt'}",
        ) from exc
    return requests


class Api:
    """Thin client: DevKey auth, the skill header, both response shapes, errors as exit codes."""

    def __init__(self, key: str, base: str) -> None:
        self.key = key
        self.base = base.rstrip("/")

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"DevKey {self.key}", "X-Skill-Name": SKILL_NAME}
        if extra:
            h.update(extra)
        return h

    def request(self, method: str, path: str, *, timeout: float = 30, headers: dict[str, str] | None = None,
                **kwargs: Any):
        """Returns the response; a connection failure is exit 3 naming the server URL."""
        requests = _requests()
        url = path if path.startswith(("http://", "https://")) else self.base + path
        try:
            return requests.request(method, url, headers=self.headers(headers), timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise SkillExit(
                EXIT_HTTP,
                f"Error: cannot reach {url.split('?')[0]}: {exc.__class__.__name__}. "
                "Is the server running? Set PIKA_API_BASE_URL (or SELFCAST_API_URL) to its base URL.",
            ) from exc

    def call(self, method: str, path: str, *, code: int = EXIT_HTTP, what: str = "", raw: bool = False,
             **kwargs: Any) -> dict[str, Any]:
        """Makes a call that must succeed; a non-2xx answer ends with ``code`` and the server's message.
        The body comes back unwrapped (both shapes) unless ``raw``."""
        resp = self.request(method, path, **kwargs)
        if not resp.ok:
            raise SkillExit(code, f"Error: {what or method + ' ' + path}: HTTP {resp.status_code}: {error_text(resp)}")
        body = parse_json(resp)
        return body if raw else unwrap(body)


def parse_json(resp) -> Any:
    if not resp.content:
        return {}
    try:
        return resp.json()
    except ValueError as exc:
        raise SkillExit(EXIT_HTTP, f"Error: the server answered with non-JSON: {resp.text[:200]!r}") from exc


def unwrap(body: Any) -> Any:
    """Both response shapes: ``{"data": {...}}`` and the bare object (``body.get("data", body)``)."""
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        return body["data"]
    return body


def error_text(resp) -> str:
    """The most useful short message in an error body, whatever its shape."""
    try:
        body = resp.json()
    except ValueError:
        return (resp.text or "").strip()[:300] or resp.reason or ""
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code, msg = err.get("code"), err.get("message")
            return f"{msg} ({code})" if code and msg else str(msg or code or err)
        detail = body.get("detail")
        if isinstance(detail, dict):
            code, msg = detail.get("code"), detail.get("message")
            return f"{msg} ({code})" if code and msg else json.dumps(detail)[:300]
        for k in ("message", "detail", "error", "status_msg"):
            if body.get(k):
                return str(body[k])[:300] if not isinstance(body[k], (list, dict)) else json.dumps(body[k])[:300]
    return json.dumps(body)[:300]


# ----------------------------------------------------------------------------- validation helpers


def _host_matches(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def _origin(url: str) -> tuple[str, int]:
    p = urlparse(url)
    host = (p.hostname or "").lower()
    if host in LOCAL_HOSTS:
        host = "localhost"
    port = p.port or (443 if p.scheme == "https" else 80)
    return host, port


def validate_meet_url(url: str) -> str:
    url = (url or "").strip()
    p = urlparse(url)
    if p.scheme not in ("http", "https") or not p.hostname:
        raise SkillExit(EXIT_VALIDATION,
                        f"Error: --meet-url must be an http(s) meeting link, got {url!r} "
                        "(e.g. https://meet.google.com/abc-defg-hij).")
    return url


# The link -> platform rule. The server has the same rule in selfcast.meeting.platforms; this
# script ships alone, so it keeps a copy, and tests/skill/test_platform_rule_agrees.py checks both.
PLATFORM_HOSTS = {
    "google_meet": ("meet.google.com",),
    "zoom": ("zoom.us", "zoom.com", "zoomgov.com"),
    "teams": ("teams.microsoft.com", "teams.live.com", "teams.microsoft.us", "teams.cloud.microsoft"),
    "jitsi": ("meet.jit.si", "8x8.vc"),
}
ROOM_PATH = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/room/[A-Za-z0-9_-]{1,64}/?$")


def is_server_room(url: str, server_base: str) -> bool:
    """True for ``<server_base>/room/<id>``: the selfcast server's own built-in room."""
    m = ROOM_PATH.match(urlparse(url).path)
    base = urlparse(server_base)
    return bool(m and base.hostname and urlparse(url).hostname and _origin(url) == _origin(server_base)
                and m.group("prefix") == base.path.rstrip("/"))


def infer_platform(url: str, server_base: str) -> str | None:
    """Meeting platform from the link; None when it cannot tell (the caller asks for --platform)."""
    p = urlparse(url.strip())
    if is_server_room(url.strip(), server_base):
        return "room"
    host = (p.hostname or "").lower()
    for name, domains in PLATFORM_HOSTS.items():
        if any(_host_matches(host, d) for d in domains):
            return name
    return None  # a self-hosted Jitsi: --platform jitsi (the server's operator must list the host)


_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(head: bytes) -> str | None:
    for magic, mime in _IMAGE_MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_image_file(path: Path, label: str) -> str:
    """Exit 2 unless ``path`` is a non-empty JPEG/PNG/GIF/WebP; returns its MIME type."""
    if not path.is_file():
        raise SkillExit(EXIT_VALIDATION, f"Error: {label} not found: {path}. Pass an existing image file or an http(s) URL.")
    if path.stat().st_size == 0:
        raise SkillExit(EXIT_VALIDATION, f"Error: {label} is empty: {path}.")
    with path.open("rb") as fh:
        mime = sniff_image(fh.read(16))
    if not mime:
        raise SkillExit(EXIT_VALIDATION, f"Error: {label} is not a JPEG, PNG, GIF or WebP image: {path}.")
    return mime


def positive(kind: type, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"{what} must be a positive number, got {text!r}") from exc
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{what} must be greater than 0, got {text!r}")
        return value
    return parse


# ----------------------------------------------------------------------------- funding


def pick_product(products: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Normalises both product shapes and picks the smallest pack (the cheapest way to join)."""
    norm = []
    for p in products:
        if not isinstance(p, dict):
            continue
        pid = p.get("productId", p.get("product_id", p.get("id")))
        credits = p.get("numCredits", p.get("num_credits", p.get("credits")))
        name = p.get("name", p.get("title", ""))
        if pid is None:
            continue
        try:
            credits = int(credits)
        except (TypeError, ValueError):
            credits = 0
        norm.append({"product_id": pid, "name": str(name or pid), "credits": credits})
    if not norm:
        return None
    return min(norm, key=lambda p: (p["credits"] <= 0, p["credits"]))


def read_balance(api: Api) -> tuple[int, int]:
    """(balance, credits needed to join): 100 unless the server says otherwise (``min_to_join``)."""
    body = api.call("GET", "/developer/balance", code=EXIT_FUNDING, what="balance check", timeout=15)
    try:
        balance = int(float(body["balance"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise SkillExit(EXIT_FUNDING, f"Error: balance check: no 'balance' in the answer: {json.dumps(body)[:200]}") from exc
    try:
        need = int(body.get("min_to_join", MIN_CREDITS_TO_JOIN))
    except (TypeError, ValueError):
        need = MIN_CREDITS_TO_JOIN
    return balance, need


def ensure_funded(api: Api, wait: bool, poll_sec: float, timeout_sec: float) -> int:
    """Balance ≥ 100 or a checkout link. The link line is printed the moment it exists."""
    balance, need = read_balance(api)
    if balance >= need:
        emit({"status": "funded", "balance": balance})
        return balance
    listing = api.call("GET", "/developer/topup/products", code=EXIT_FUNDING, what="listing top-up products", timeout=15)
    products = listing.get("products") if isinstance(listing, dict) else listing
    product = pick_product(products if isinstance(products, list) else [])
    if not product:
        raise SkillExit(EXIT_FUNDING, "Error: the server offers no top-up products; ask its operator to grant credits.")
    checkout = api.call("POST", "/developer/topup", code=EXIT_FUNDING, what="creating the checkout",
                        json={"product_id": product["product_id"]}, timeout=30)
    url = (checkout.get("checkout_url") or checkout.get("url")) if isinstance(checkout, dict) else None
    if not url:
        raise SkillExit(EXIT_FUNDING, f"Error: creating the checkout: no checkout_url in {json.dumps(checkout)[:200]}")
    message = (f"Balance is {balance} credits; joining needs at least {need}. "
               f"Open the checkout link to buy {product['credits']} credits ({product['name']}).")
    emit({"status": "needs_topup", "balance": balance, "product": product["name"], "credits": product["credits"],
          "checkout_url": url, "message": message})
    if not wait:
        raise SkillExit(EXIT_FUNDING, f"Error: payment needed before joining. Checkout: {url} — run join again once paid.")
    eprint(f"Waiting up to {int(timeout_sec)} s for the payment (checking every {poll_sec:g} s)...")
    deadline = time.monotonic() + timeout_sec
    while time.monotonic() < deadline:
        time.sleep(min(poll_sec, max(0.0, deadline - time.monotonic())))
        try:
            balance, need = read_balance(api)
        except SkillExit as exc:
            eprint(f"(balance check failed, retrying: {exc.message})")
            continue
        if balance >= need:
            emit({"status": "funded", "balance": balance})
            return balance
    msg = f"No payment arrived within {int(timeout_sec)} s. Pay at {url}, then run join again."
    emit({"status": "payment_timeout", "message": msg})
    raise SkillExit(EXIT_FUNDING, "Error: " + msg)


# ----------------------------------------------------------------------------- sessions


def status_line(sid: str, d: dict[str, Any]) -> dict[str, Any]:
    line = {
        "session_id": sid,
        "status": d.get("status"),
        "video": bool(d.get("video_worker_connected") or d.get("video_connected")),
        "bot": bool(d.get("meeting_bot_connected")),
    }
    if d.get("low_balance"):  # selfcast: credits run out soon; the session will warn, then leave
        line["low_balance"] = True
    if d.get("status") == "error":
        if d.get("error_code"):
            line["error_code"] = d.get("error_code")
        line["error_message"] = d.get("error_message") or ""
    return line


def session_error(line: dict[str, Any]) -> SkillExit:
    detail = line.get("error_message") or ""
    code = line.get("error_code")
    text = f"{detail} ({code})" if code and detail and code not in detail else (detail or code or "")
    return SkillExit(EXIT_SESSION, f"Error: session {line['status']}: {text}".rstrip(": "))


def get_session(api: Api, sid: str) -> dict[str, Any] | None:
    """One status poll; None on a transient failure (5xx, network) so the poll loop tries again."""
    try:
        resp = api.request("GET", f"/proxy/realtime/session/{sid}", timeout=15)
    except SkillExit as exc:
        eprint(f"(poll failed, retrying: {exc.message})")
        return None
    if resp.status_code >= 500:
        return None
    if not resp.ok:
        raise SkillExit(EXIT_HTTP, f"Error: session {sid}: HTTP {resp.status_code}: {error_text(resp)}")
    try:
        body = unwrap(resp.json())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def poll_interval() -> float:
    try:
        return max(0.2, float(os.environ.get("PIKA_POLL_INTERVAL_SEC", "2")))
    except ValueError:
        return 2.0


def wait_ready(api: Api, sid: str, timeout_sec: float) -> tuple[int, tuple[Any, ...] | None]:
    deadline = time.monotonic() + timeout_sec
    last = None
    step = poll_interval()
    while time.monotonic() < deadline:
        time.sleep(min(step, max(0.0, deadline - time.monotonic())))
        d = get_session(api, sid)
        if d is None:
            continue
        line = status_line(sid, d)
        key = (line["status"], line["video"], line["bot"], line.get("low_balance", False))
        if key != last:
            emit(line)
            last = key
        if line["status"] == "ready" or (line["video"] and line["bot"]):
            return EXIT_OK, last
        if line["status"] in ("error", "closed"):
            raise session_error(line)
    raise SkillExit(EXIT_TIMEOUT,
                    f"Error: timeout: session {sid} was not ready after {timeout_sec:g} s. It may still be joining "
                    f"(a host may need to admit it): check with `status --session-id {sid}` or end it with "
                    f"`leave --session-id {sid}`.")


def monitor(api: Api, sid: str, last: tuple[Any, ...] | None, max_duration: float | None) -> int:
    """After ready: keep printing status changes until the session closes (the server auto-leaves at
    --max-duration-sec; if it has not a little later, this process leaves so billing stops)."""
    started = time.monotonic()
    step = poll_interval() * 2.5  # 5 s by default: a long meeting needs no tight polling
    grace = max(5.0, min(30.0, 0.25 * max_duration)) if max_duration else 0.0
    left = False
    while True:
        time.sleep(step)
        if max_duration and not left and time.monotonic() - started > max_duration + grace:
            eprint(f"Max duration of {max_duration:g} s passed and the session is still open; leaving.")
            api.request("DELETE", f"/proxy/realtime/session/{sid}", timeout=30)
            left = True
        d = get_session(api, sid)
        if d is None:
            continue
        line = status_line(sid, d)
        key = (line["status"], line["video"], line["bot"], line.get("low_balance", False))
        if key != last:
            emit(line)
            last = key
        if line["status"] == "closed":
            return EXIT_OK
        if line["status"] == "error":
            raise session_error(line)


# ----------------------------------------------------------------------------- commands


def _fetch_image(url: str, key: str) -> Path:
    """Downloads an --image URL; the key goes only to the configured server (e.g. its avatar images)."""
    requests = _requests()
    eprint(f"Downloading image: {url[:80]}...")
    headers = {"Authorization": f"DevKey {key}"} if _origin(url) == _origin(api_base()) else {}
    try:
        r = requests.get(url, timeout=20, headers=headers)
        r.raise_for_status()
    except requests.RequestException as exc:
        raise SkillExit(EXIT_VALIDATION, f"Error: failed to download --image {url}: {exc}") from exc
    mime = sniff_image(r.content[:16])
    if not mime:
        raise SkillExit(EXIT_VALIDATION, f"Error: --image {url} did not return a JPEG, PNG, GIF or WebP image.")
    suffix = mimetypes.guess_extension(mime) or ".img"
    fd, name = tempfile.mkstemp(prefix="selfcast-avatar-", suffix=suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(r.content)
    return Path(name)


def cmd_join(args: argparse.Namespace) -> int:
    # 1. Everything that can be checked locally, before any network call.
    meet_url = validate_meet_url(args.meet_url)
    if not args.bot_name.strip():
        raise SkillExit(EXIT_VALIDATION, "Error: --bot-name must not be empty.")
    platform = args.platform or infer_platform(meet_url, api_base())
    if not platform:
        raise SkillExit(EXIT_VALIDATION,
                        f"Error: can't infer the platform from {meet_url}; pass --platform "
                        f"({', '.join(PLATFORMS)}).")
    system_prompt = args.system_prompt
    if args.system_prompt_file:
        sp = Path(args.system_prompt_file).expanduser()
        if not sp.is_file():
            raise SkillExit(EXIT_VALIDATION, f"Error: system prompt file not found: {sp}")
        system_prompt = sp.read_text(encoding="utf-8").strip()
    image_src = args.image or str(DEFAULT_IMAGE)
    remote = image_src.startswith(("http://", "https://"))
    if not remote:
        img = Path(image_src).expanduser()
        mime = check_image_file(img, "--image")

    # 2. Key.
    key = find_dev_key()
    if not key:
        msg = ("No developer key found. Set PIKA_DEV_KEY (or SELFCAST_DEV_KEY) or write the key to ~/.pika/devkey. "
               f"Sign up at {signup_url()}, or on the server machine run `selfcast keys create`.")
        emit({"status": "no_devkey", "message": msg, "signup_url": signup_url()})
        raise SkillExit(EXIT_FUNDING, "Error: " + msg)

    tmp = None
    try:
        # 3. A remote image is fetched and checked before any money matters (no key is sent to it).
        if remote:
            tmp = img = _fetch_image(image_src, key)
            mime = check_image_file(img, "--image")
        # 4. Funding, then the session.
        api = Api(key, api_base())
        ensure_funded(api, wait=not args.no_wait_for_payment, poll_sec=args.payment_poll_sec,
                      timeout_sec=args.payment_timeout_sec)
        sid = _create_session(api, args, img, mime, platform, meet_url, system_prompt)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
    emit({"session_id": sid, "platform": platform, "status": "created"})

    # 5. Wait until ready; optionally stay and report until the session closes.
    _, last = wait_ready(api, sid, args.timeout_sec)
    if args.monitor:
        return monitor(api, sid, last, args.max_duration_sec)
    return EXIT_OK


def _create_session(api: Api, args: argparse.Namespace, img: Path, mime: str, platform: str, meet_url: str,
                    system_prompt: str | None) -> str:
    fields = {"voice_id": args.voice_id or DEFAULT_VOICE, "meet_url": meet_url, "bot_name": args.bot_name,
              "platform": platform}
    if args.meeting_password:
        fields["meeting_password"] = args.meeting_password
    if system_prompt:
        fields["system_prompt"] = system_prompt
    if args.max_duration_sec:
        fields["max_duration_sec"] = str(args.max_duration_sec)
    with img.open("rb") as fh:
        resp = api.request("POST", "/proxy/realtime/meeting-session", timeout=180,
                           files={"image": (img.name, fh, mime)}, data=fields)
    if resp.status_code == 503:  # e.g. the server has no Chromium: sessions cannot run there now
        raise SkillExit(EXIT_SESSION, f"Error: the server cannot run the session: {error_text(resp)}")
    if resp.status_code == 402:  # the balance fell below the minimum between the check and the join
        raise SkillExit(EXIT_FUNDING, f"Error: not enough credits to join: {error_text(resp)}")
    if not resp.ok:
        raise SkillExit(EXIT_HTTP, f"Error: creating the session: HTTP {resp.status_code}: {error_text(resp)}")
    body = unwrap(parse_json(resp))
    sid = body.get("session_id") if isinstance(body, dict) else None
    if not sid:
        raise SkillExit(EXIT_HTTP, f"Error: no session_id in the answer: {resp.text[:300]}")
    return str(sid)


def cmd_leave(args: argparse.Namespace) -> int:
    api = Api(require_key(), api_base())
    api.call("DELETE", f"/proxy/realtime/session/{args.session_id}", what=f"leaving session {args.session_id}")
    emit({"session_id": args.session_id, "closed": True})
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    api = Api(require_key(), api_base())
    d = api.call("GET", f"/proxy/realtime/session/{args.session_id}", what=f"session {args.session_id}")
    line = status_line(args.session_id, d)
    for extra in ("platform", "bot_name", "created_at", "ready_at", "ended_at", "minutes_charged"):
        if d.get(extra) is not None:
            line[extra] = d[extra]
    emit(line)
    return EXIT_OK


ACTIVE_STATES = ("created", "joining", "waiting_room", "ready")


def fetch_notes(api: Api, sid: str, wait_sec: float) -> dict[str, Any]:
    """Notes exist once a session has left; waits up to ``wait_sec`` for them to be written."""
    deadline = time.monotonic() + wait_sec
    while True:
        body = api.call("GET", f"/v1/sessions/{sid}/notes", what=f"notes of session {sid}", raw=True)
        notes = body if isinstance(body, dict) and "ready" in body else unwrap(body)
        if not isinstance(notes, dict):
            raise SkillExit(EXIT_HTTP, f"Error: unexpected notes answer: {json.dumps(body)[:200]}")
        if notes.get("ready", True):
            return notes
        status = notes.get("status")
        if status in ACTIVE_STATES:
            raise SkillExit(EXIT_SESSION, f"Error: session {sid} is still in the meeting (status {status}); notes "
                                          f"are written after it leaves: run `leave --session-id {sid}` first.")
        if time.monotonic() >= deadline:
            raise SkillExit(EXIT_TIMEOUT, f"Error: no notes for session {sid} (status {status}) after "
                                          f"{wait_sec:g} s; try again later.")
        time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))


def cmd_notes(args: argparse.Namespace) -> int:
    api = Api(require_key(), api_base())
    notes = fetch_notes(api, args.session_id, args.wait_sec)
    if args.format == "markdown":
        text = notes.get("markdown")
        if not isinstance(text, str) or not text.strip():
            raise SkillExit(EXIT_HTTP, f"Error: the server returned no markdown notes for {args.session_id}.")
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        emit({"session_id": notes.get("session_id") or args.session_id, "status": notes.get("status"),
              "notes": notes.get("data") if isinstance(notes.get("data"), dict) else notes.get("notes", {}),
              "markdown": notes.get("markdown", "")})
    return EXIT_OK


def _style_prompt(prompt: str, style: str | None) -> str:
    looks = {
        "cinematic": "Cinematic photorealistic portrait, soft film lighting, shallow depth of field.",
        "anime": "Anime-style illustrated portrait, clean line art, soft cel shading.",
        "3d": "Stylised 3D-rendered character portrait, soft global illumination.",
    }
    return f"{prompt} {looks[style]}" if style else prompt


def cmd_generate_avatar(args: argparse.Namespace) -> int:
    out = Path(args.output).expanduser()
    if out.is_dir():
        raise SkillExit(EXIT_VALIDATION, f"Error: --output names a directory: {out}; give a file path such as avatar.png")
    api = Api(require_key(), proxy_base())
    prompt = _style_prompt(args.prompt or (
        "A friendly, approachable portrait headshot of a virtual assistant avatar. Simple, clean background. "
        "Professional but warm expression. Photorealistic style, good lighting, centered face, suitable for "
        "video calls."), args.style)
    payload = {"model": args.model, "prompt": prompt, "size": "1024x1024", "n": 1, "quality": "medium",
               "output_format": "png"}
    if args.style:
        payload["style"] = args.style
    eprint("Generating avatar image...")
    resp = api.request("POST", "/proxy/openai/v1/images/generations", timeout=180, json=payload,
                       headers={"X-Generation-Type": "image", "X-Model": args.model})
    if not resp.ok:
        raise SkillExit(EXIT_HTTP, f"Error: generating the avatar: HTTP {resp.status_code}: {error_text(resp)}")
    body = parse_json(resp)
    items = body.get("data") if isinstance(body, dict) else None
    if isinstance(items, dict):  # wrapped: {"data": {"data": [...]}}
        items = items.get("data")
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise SkillExit(EXIT_HTTP, f"Error: unexpected answer from the image route: {resp.text[:300]}")
    item = items[0]
    if item.get("b64_json"):
        try:
            data = base64.b64decode(item["b64_json"], validate=False)
        except ValueError as exc:
            raise SkillExit(EXIT_HTTP, "Error: the image route returned invalid base64.") from exc
    elif item.get("url"):
        link = urljoin(api.base + "/", item["url"])
        same = _origin(link) == _origin(api.base)
        dl = api.request("GET", link, timeout=60) if same else _requests().get(link, timeout=60)
        if not dl.ok:
            raise SkillExit(EXIT_HTTP, f"Error: downloading the generated image: HTTP {dl.status_code}")
        data = dl.content
    else:
        raise SkillExit(EXIT_HTTP, "Error: the image route returned neither b64_json nor url.")
    if not sniff_image(data[:16]):
        raise SkillExit(EXIT_HTTP, "Error: the image route returned bytes that are not an image.")
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    part.write_bytes(data)
    os.replace(part, out)
    emit({"path": str(out), "size_bytes": len(data)})
    return EXIT_OK


def _convert_audio(src: Path, sample_rate: int | None) -> Path | None:
    """Converts with ffmpeg when present (the original's behaviour); None when it is absent."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return None
    suffix = ".wav" if sample_rate else ".mp3"
    fd, name = tempfile.mkstemp(prefix="selfcast-voice-", suffix=suffix)
    os.close(fd)
    cmd = [ffmpeg, "-nostdin", "-y", "-i", str(src), "-vn"]
    if sample_rate:
        cmd += ["-ar", str(sample_rate), "-ac", "1", "-c:a", "pcm_s16le"]
    else:
        cmd += ["-codec:a", "libmp3lame", "-b:a", "128k"]
    proc = subprocess.run([*cmd, name], capture_output=True)
    if proc.returncode != 0:
        os.unlink(name)
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise SkillExit(EXIT_VALIDATION, f"Error: could not read --audio {src}: {tail[0]}")
    return Path(name)


def _base_resp_ok(body: dict[str, Any], what: str) -> None:
    base = body.get("base_resp") if isinstance(body, dict) else None
    if isinstance(base, dict) and base.get("status_code", 0) not in (0, "0"):
        raise SkillExit(EXIT_HTTP, f"Error: {what}: {base.get('status_msg') or 'unknown error'} "
                                   f"(status_code {base.get('status_code')})")


def _write_atomic(path: Path, text: str) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(text, encoding="utf-8")
    os.replace(part, path)


def cmd_clone_voice(args: argparse.Namespace) -> int:
    audio = Path(args.audio).expanduser()
    if not audio.is_file():
        raise SkillExit(EXIT_VALIDATION, f"Error: audio file not found: {audio}")
    if audio.stat().st_size == 0:
        raise SkillExit(EXIT_VALIDATION, f"Error: audio file is empty: {audio}")
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", args.name.strip()).strip("_")
    if not name:
        raise SkillExit(EXIT_VALIDATION, "Error: --name needs at least one letter or digit (e.g. --name alex).")
    if args.sample_rate is not None and not 8000 <= args.sample_rate <= 48000:
        raise SkillExit(EXIT_VALIDATION, f"Error: --sample-rate must be between 8000 and 48000 Hz, got {args.sample_rate}.")
    api = Api(require_key(), proxy_base())

    ext = audio.suffix.lower()
    upload, tmp = audio, None
    if ext in CONVERTIBLE_AUDIO or args.sample_rate:
        eprint(f"Converting {audio.name}{' to ' + str(args.sample_rate) + ' Hz' if args.sample_rate else ' to mp3'}...")
        tmp = _convert_audio(audio, args.sample_rate)
        if tmp is not None:
            upload = tmp
        else:
            eprint("ffmpeg not found: uploading the file as-is (a selfcast server decodes it itself).")
    elif ext not in NATIVE_AUDIO:
        eprint(f"Warning: {ext or 'no extension'} may not be supported. Attempting upload anyway...")
    try:
        mime = AUDIO_MIME.get(upload.suffix.lower()) or mimetypes.guess_type(str(upload))[0] or "application/octet-stream"
        eprint("Uploading audio for voice cloning...")
        with upload.open("rb") as fh:
            resp = api.request("POST", "/proxy/minimax/v1/files/upload", timeout=120,
                               files={"file": (audio.stem + upload.suffix, fh, mime)}, data={"purpose": "voice_clone"})
    finally:
        if tmp is not None:
            tmp.unlink()
    if not resp.ok:
        raise SkillExit(EXIT_HTTP, f"Error: voice upload: HTTP {resp.status_code}: {error_text(resp)}")
    raw = parse_json(resp)
    _base_resp_ok(raw, "voice upload")
    body = unwrap(raw)
    file_id = None
    if isinstance(body.get("file"), dict):
        file_id = body["file"].get("file_id") or body["file"].get("id")
    file_id = file_id or body.get("file_id") or body.get("id")
    if not file_id:
        raise SkillExit(EXIT_HTTP, f"Error: no file_id in the upload answer: {json.dumps(body)[:200]}")

    voice_id = f"voice_{name}_{datetime.now(timezone.utc).strftime('%Y%m%d%H%M%S')}"  # noqa: UP017 (Python 3.9)
    eprint(f"Cloning voice as {voice_id}...")
    payload = {"file_id": file_id, "voice_id": voice_id, "model": VOICE_CLONE_MODEL,
               "need_noise_reduction": bool(args.noise_reduction), "need_volume_normalization": False}
    if args.sample_rate:
        payload["sample_rate"] = args.sample_rate
    resp = api.request("POST", "/proxy/minimax/v1/voice_clone", timeout=300, json=payload)
    if not resp.ok:
        raise SkillExit(EXIT_HTTP, f"Error: voice clone: HTTP {resp.status_code}: {error_text(resp)}")
    raw = parse_json(resp)
    _base_resp_ok(raw, "voice clone")
    body = unwrap(raw) if isinstance(raw, dict) else {}
    voice_id = body.get("voice_id") or voice_id

    result = {
        "voice_id": voice_id,
        "provider": body.get("provider") or "selfcast",
        "cloned_at": datetime.now(timezone.utc).isoformat(),  # noqa: UP017 (Python 3.9)
        "source_audio": audio.name,
        "retention_warning": body.get("retention_warning")
        or "The voice lives on your selfcast server; clone it again if that server's data is reset.",
    }
    life = Path("life")
    life.mkdir(parents=True, exist_ok=True)
    _write_atomic(life / "voice_id.txt", voice_id)
    _write_atomic(life / "voice_config.json", json.dumps(result, indent=2) + "\n")
    emit(result)
    return EXIT_OK


# ----------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pikastreaming_videomeeting.py",
        description="Send an AI avatar into a video meeting via a selfcast / Pika-compatible server.",
        epilog="Exit codes: 0 ok, 1 no key, 2 validation, 3 HTTP error, 4 session error, 5 join timeout, 6 funding.",
    )
    sub = p.add_subparsers(dest="cmd", metavar="{join,leave,status,notes,generate-avatar,clone-voice}")
    sub.required = True

    j = sub.add_parser("join", help="join a meeting and wait until the avatar is in")
    j.add_argument("--meet-url", required=True, help="meeting link (Meet, Zoom, Teams, Jitsi or a selfcast /room/)")
    j.add_argument("--platform", choices=PLATFORMS, help="override the platform inferred from the link")
    j.add_argument("--bot-name", required=True, help="display name in the meeting")
    j.add_argument("--voice-id", help=f"voice to speak with (default {DEFAULT_VOICE})")
    j.add_argument("--meeting-password")
    j.add_argument("--system-prompt", help="who the avatar is and what it knows")
    j.add_argument("--system-prompt-file", help="file with the system prompt (wins over --system-prompt)")
    j.add_argument("--image", help="avatar image: a path or an http(s) URL (default: the placeholder portrait)")
    j.add_argument("--timeout-sec", type=positive(int, "--timeout-sec"), default=90,
                   help="seconds to wait for the avatar to be ready (default 90)")
    j.add_argument("--monitor", action="store_true", help="after ready, keep printing status lines until closed")
    j.add_argument("--max-duration-sec", type=positive(int, "--max-duration-sec"),
                   help="the server leaves automatically after this many seconds (e.g. 3600)")
    j.add_argument("--no-wait-for-payment", action="store_true",
                   help="on a low balance print the checkout link and exit 6 at once instead of waiting")
    j.add_argument("--payment-timeout-sec", type=positive(float, "--payment-timeout-sec"), default=300,
                   help="how long to wait for a payment (default 300)")
    j.add_argument("--payment-poll-sec", type=positive(float, "--payment-poll-sec"), default=10,
                   help="how often to re-check the balance while waiting (default 10)")

    lv = sub.add_parser("leave", help="take the avatar out of the meeting (billing stops)")
    lv.add_argument("--session-id", required=True)

    st = sub.add_parser("status", help="print one status line for a session")
    st.add_argument("--session-id", required=True)

    nt = sub.add_parser("notes", help="meeting notes of a session (after it has left)")
    nt.add_argument("--session-id", required=True)
    nt.add_argument("--format", choices=("json", "markdown"), default="json",
                    help="json: one line with the structured notes (default); markdown: the notes as text")
    nt.add_argument("--wait-sec", type=float, default=30,
                    help="after a session has left, wait this long for its notes to be written (default 30)")

    ga = sub.add_parser("generate-avatar", help="generate an avatar portrait (PNG)")
    ga.add_argument("--output", required=True, help="where to save the image, e.g. identity/videomeeting-avatar.png")
    ga.add_argument("--prompt", help="describe the portrait")
    ga.add_argument("--model", default=DEFAULT_IMAGE_MODEL, help=f"image model (default {DEFAULT_IMAGE_MODEL})")
    ga.add_argument("--style", choices=AVATAR_STYLES, help="look of the portrait")

    cv = sub.add_parser("clone-voice", help="clone a voice from a 10 s - 5 min recording")
    cv.add_argument("--audio", required=True, help="recording: mp3, m4a, wav (ogg, flac, webm, ... are converted)")
    cv.add_argument("--name", required=True, help="short name for the voice")
    cv.add_argument("--noise-reduction", action="store_true", help="clean up background noise first")
    cv.add_argument("--sample-rate", type=int, help="resample the recording to this rate in Hz before upload")
    return p


COMMANDS = {
    "join": cmd_join,
    "leave": cmd_leave,
    "status": cmd_status,
    "notes": cmd_notes,
    "generate-avatar": cmd_generate_avatar,
    "clone-voice": cmd_clone_voice,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.cmd](args)
    except SkillExit as exc:
        eprint(exc.message)
        return exc.code
    except KeyboardInterrupt:
        eprint("Interrupted.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
