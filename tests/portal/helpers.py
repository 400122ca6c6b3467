"""Portal test helpers: a real uvicorn server on a free loopback port, run in a thread of the test
process, and a real Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from selfcast.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
WIDTHS = {"desktop": 1280, "phone": 390}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadServer:
    """uvicorn serving ``app`` on 127.0.0.1:port until ``stop``."""

    def __init__(self, app: Any, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{port}", daemon=True)

    def start(self, timeout_s: float = 20.0) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@dataclass
class Portal:
    """A running selfcast server with the portal, and what the tests need to reach into it."""

    url: str
    settings: Settings
    app: FastAPI
    server: ThreadServer
    shots: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.state.platform.store

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the real ``selfcast`` command against this server's data dir (as an operator would)."""
        return subprocess.run(
            [sys.executable, "-m", "selfcast.cli.main", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def mail_to(self, email: str) -> list[str]:
        """Bodies of the messages the server's log mailer wrote to ``email``, oldest first."""
        from selfcast.platform.mailer import read_outbox

        return [m.body for m in read_outbox(Path(self.settings.data_dir) / "mail") if m.to == email]

    def api(self, method: str, path: str, key: str | None = None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"DevKey {key}"} if key else {}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)


def start_portal(data_dir: Path, shots: Path, **settings_kw: Any) -> Portal:
    from selfcast.platform.app import create_app

    port = free_port()
    settings = Settings(data_dir=data_dir, host="127.0.0.1", port=port, **settings_kw)
    app = create_app(settings, monitor_interval_s=5.0)
    server = ThreadServer(app, port).start()
    env = {
        "SELFCAST_DATA_DIR": str(data_dir),
        "SELFCAST_HOST": "127.0.0.1",
        "SELFCAST_PORT": str(port),
    }
    shots.mkdir(parents=True, exist_ok=True)
    return Portal(url=server.url, settings=settings, app=app, server=server, shots=shots, env=env)


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def screenshot(page: Any, shots: Path, name: str, *, widths: dict[str, int] = WIDTHS) -> list[Path]:
    """Full-page PNGs at desktop and phone width; the viewport is restored to desktop after."""
    out = []
    for label, width in widths.items():
        page.set_viewport_size({"width": width, "height": 860})
        page.wait_for_timeout(50)
        path = shots / f"portal-{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        out.append(path)
    page.set_viewport_size({"width": WIDTHS["desktop"], "height": 860})
    return out


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0, every_s: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return predicate()


def sign_up(c: Any, email: str, password: str) -> None:
    """Sign up (the answer is "check your email" whether or not the email is taken), then sign in.

    ``c`` is an httpx client or a TestClient on the portal; it ends up signed in."""
    t = csrf_of(c.get("/signup").text)
    r = c.post("/signup", data={"email": email, "password": password, "password2": password, "csrf_token": t},
               follow_redirects=False)  # fmt: skip
    assert r.status_code == 200 and "Check your email" in r.text, r.text
    t = csrf_of(c.get("/signin").text)
    r = c.post("/signin", data={"email": email, "password": password, "csrf_token": t}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/model-settings", r.text


def browser_sign_up(page: Any, base_url: str, email: str, password: str) -> None:
    """The same through a browser page: create the account, then sign in with it."""
    page.goto(base_url + "/signup")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Create account").click()
    page.locator("#signup-sent").wait_for()
    page.goto(base_url + "/signin")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/model-settings")
