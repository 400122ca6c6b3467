"""Launching Debian's Chromium through Playwright, the way meeting bots must.

Headless is enough for the built-in room; third-party platforms treat headless and automation
flags as bot signals, so they get a headful browser on a private Xvfb display, a pinned locale,
an optional persistent profile (a signed-in bot Google account) and an optional proxy. Nothing
here downloads a browser: ``settings.chromium_path`` must exist.

Chromium keeps its sandbox. It refuses to sandbox itself as root, so when this process is root
the browser runs as ``settings.browser_user`` (falling back to ``nobody``) through ``setpriv``;
its sandbox then uses unprivileged user namespaces. A meeting bot also gets a
:class:`~selfcast.meeting.netguard.GuardProxy`: every connection (loopback ones included) goes
through it, so no page, redirect or script can reach a private address.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from selfcast.errors import BadInput, Unavailable
from selfcast.meeting.netguard import GuardProxy
from selfcast.settings import MeetingSettings

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Playwright

# Flags the working open-source bots use, plus what these machines need (see meeting-platforms.md).
BASE_FLAGS = [
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-blink-features=AutomationControlled",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    # A hidden or occluded page must keep its timers and media running at full rate.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
# Host ICE candidates as plain loopback/LAN addresses (mDNS names do not resolve in containers),
# and let a public page reach the bridge's loopback socket.
DISABLED_FEATURES = [
    "WebRtcHideLocalIpsWithMdns",
    "LocalNetworkAccessChecks",
    "PrivateNetworkAccessSendPreflights",
    "PrivateNetworkAccessRespectPreflightResults",
    "MediaRouter",
    "Translate",
    "DialMediaRouteProvider",
    "GlobalMediaControls",
]


@dataclass(slots=True)
class LaunchOptions:
    headless: bool = True
    profile_dir: str = ""  # empty: a fresh throw-away profile
    proxy: str = ""
    locale: str = "en-US"
    width: int = 1280
    height: int = 720
    extra_args: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, s: MeetingSettings, *, headless: bool | None = None) -> LaunchOptions:
        return cls(
            headless=(not s.headful) if headless is None else headless,
            profile_dir=s.profile_dir, proxy=s.proxy, locale=s.locale,
        )


def chromium_flags(opts: LaunchOptions) -> list[str]:
    flags = [*BASE_FLAGS, f"--window-size={opts.width},{opts.height}", f"--lang={opts.locale}"]
    flags.append("--disable-features=" + ",".join(DISABLED_FEATURES))
    return flags + list(opts.extra_args)


@dataclass(frozen=True, slots=True)
class BrowserUser:
    """The unprivileged account Chromium runs as when this process is root."""

    name: str
    uid: int
    gid: int

    @classmethod
    def for_root(cls, wanted: str) -> BrowserUser | None:
        """None when this process is not root (Chromium then sandboxes itself as this user)."""
        if os.geteuid() != 0:
            return None
        for name in (wanted, "nobody"):
            with contextlib.suppress(KeyError):
                pw = pwd.getpwnam(name)
                if pw.pw_uid != 0:
                    return cls(name, pw.pw_uid, pw.pw_gid)
        raise Unavailable(f"running as root, and neither the user {wanted!r} nor 'nobody' exists for the bot's "
                          f"browser; create one: useradd --system --no-create-home {wanted}")

    def launcher(self, folder: Path, exe: str) -> str:
        """A script that starts ``exe`` as this user (Playwright's pipes, fds 3 and 4, pass through)."""
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            raise Unavailable("running as root needs setpriv (util-linux) to start Chromium as a non-root user")
        path = folder / "chromium-as-user"
        path.write_text(f'#!/bin/sh\nexec {setpriv} --reuid={self.uid} --regid={self.gid} --clear-groups '
                        f'--inh-caps=-all --bounding-set=-all -- {exe} "$@"\n')
        path.chmod(0o700)
        return str(path)

    def own(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)
        for root, dirs, files in os.walk(path):
            for n in (*dirs, *files):
                with contextlib.suppress(FileNotFoundError):
                    os.chown(os.path.join(root, n), self.uid, self.gid, follow_symlinks=False)


# All the browser inherits (Playwright passes no other variable): a page it runs can never read a
# key or secret the worker holds, whatever reaches Chromium's environment.
BROWSER_ENV = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "XDG_RUNTIME_DIR", "DISPLAY", "XAUTHORITY",
               "DBUS_SESSION_BUS_ADDRESS", "FONTCONFIG_PATH")


def browser_env(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """Chromium's explicit, minimal environment: the allow-listed variables and ``LC_*``."""
    return {k: v for k, v in environ.items() if k in BROWSER_ENV or k.startswith("LC_")}


class Xvfb:
    """A private virtual display, for headful Chromium on a machine without a screen."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.size = (width, height)
        self.proc: subprocess.Popen | None = None
        self.display = ""

    def start(self) -> str:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise Unavailable("Xvfb is not installed; install the 'xvfb' package or set meeting.headful=false")
        r, w = os.pipe()
        self.proc = subprocess.Popen(
            [exe, "-displayfd", str(w), "-screen", "0", f"{self.size[0]}x{self.size[1]}x24", "-nolisten", "tcp"],
            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(w)
        with os.fdopen(r) as fh:
            num = fh.readline().strip()
        if not num:
            self.stop()
            raise Unavailable("Xvfb did not start (no display number reported)")
        self.display = f":{num}"
        return self.display

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(3)
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc = None


class BrowserSession:
    """One Chromium (its own process, its own profile) and its single context."""

    def __init__(self, settings: MeetingSettings, opts: LaunchOptions, *, guard: GuardProxy | None = None) -> None:
        self.settings = settings
        self.opts = opts
        self.guard = guard  # None: no filtering (an operator's own sign-in browser, test participants)
        self._launcher_dir: str | None = None
        self.context: BrowserContext | None = None  # set by start(), None again after close()
        self._pw: Playwright | None = None
        self._xvfb: Xvfb | None = None
        self._tmp_profile: str | None = None
        self.user_data_dir = ""

    async def start(self) -> BrowserContext:
        exe = self.settings.chromium_path
        if not Path(exe).exists():
            raise Unavailable(f"Chromium not found at {exe!r}; install Debian's 'chromium' or set SELFCAST_MEETING__CHROMIUM_PATH")
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:  # pragma: no cover - depends on extras
            raise Unavailable("playwright is not installed; pip install 'selfcast[meeting]'") from exc
        env: dict[str, str | float | bool] = dict(browser_env(os.environ))  # playwright's type for a child's environment
        if not self.opts.headless and not env.get("DISPLAY"):
            self._xvfb = Xvfb(self.opts.width, self.opts.height + 80)
            env["DISPLAY"] = await asyncio.to_thread(self._xvfb.start)
        if self.opts.profile_dir:
            self.user_data_dir = str(Path(self.opts.profile_dir).expanduser().resolve())
            Path(self.user_data_dir).mkdir(parents=True, exist_ok=True)
        else:
            self._tmp_profile = tempfile.mkdtemp(prefix="selfcast-chromium-")
            self.user_data_dir = self._tmp_profile
        kwargs: dict = {}
        args = chromium_flags(self.opts)
        if self.opts.proxy and "://" not in self.opts.proxy:
            raise BadInput(f"meeting.proxy {self.opts.proxy!r} needs a scheme, e.g. http://host:3128")
        if self.guard is not None:
            # The guard chains to meeting.proxy itself; <-loopback> sends loopback through it too.
            bypass = ";".join(["<-loopback>", *self.guard.direct()])
            args += [f"--proxy-server={await self.guard.start()}", f"--proxy-bypass-list={bypass}"]
        elif self.opts.proxy:
            kwargs["proxy"] = {"server": self.opts.proxy}
        user = BrowserUser.for_root(self.settings.browser_user)
        if user is not None:
            self._launcher_dir = tempfile.mkdtemp(prefix="selfcast-launch-")
            exe = user.launcher(Path(self._launcher_dir), exe)
            home = Path(self.user_data_dir) / ".home"
            home.mkdir(exist_ok=True)
            user.own(Path(self.user_data_dir))
            env["HOME"] = str(home)
        self._pw = await async_playwright().start()
        try:
            self.context = await self._pw.chromium.launch_persistent_context(
                self.user_data_dir,
                executable_path=exe,
                headless=self.opts.headless,
                args=args,
                chromium_sandbox=True,  # Playwright's default adds --no-sandbox
                ignore_default_args=["--enable-automation"],
                locale=self.opts.locale,
                viewport={"width": self.opts.width, "height": self.opts.height},
                bypass_csp=True,
                env=env,
                **kwargs,
            )
        except Exception:
            await self.close()
            raise
        return self.context

    @property
    def pid(self) -> int | None:
        """The browser's main process (found by its unique profile directory)."""
        needle = f"--user-data-dir={self.user_data_dir}".encode()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/cmdline", "rb") as fh:
                    args = fh.read().split(b"\0")
            except OSError:
                continue
            if needle in args and not any(a.startswith(b"--type=") for a in args):
                return int(entry.name)
        return None

    def kill(self) -> None:
        """Hard-kill the browser (fault injection and last-resort cleanup)."""
        pid = self.pid
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    async def close(self) -> None:
        if self.context is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.context.close(), 10)
            self.context = None
        if self._pw is not None:
            with contextlib.suppress(Exception):
                await self._pw.stop()
            self._pw = None
        if self._xvfb is not None:
            self._xvfb.stop()
            self._xvfb = None
        if self.guard is not None:
            await self.guard.close()
        if self._tmp_profile:
            shutil.rmtree(self._tmp_profile, ignore_errors=True)
            self._tmp_profile = None
        if self._launcher_dir:
            shutil.rmtree(self._launcher_dir, ignore_errors=True)
            self._launcher_dir = None
