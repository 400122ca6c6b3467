"""The skill's script, run as an agent runs it, against a real ``selfcast serve`` on 127.0.0.1.

The operator side is the real CLI too (``selfcast keys create``, ``selfcast credits approve``), on
the same data directory. Each test uses its own account, so each starts with no credits.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.skill.conftest import SCRIPT, clean_env

pytestmark = pytest.mark.e2e


@dataclass
class Server:
    url: str
    data_dir: Path
    home: Path

    def cli_env(self) -> dict[str, str]:
        env = clean_env(self.home)
        env.update(SELFCAST_DATA_DIR=str(self.data_dir), SELFCAST_HOST="127.0.0.1",
                   SELFCAST_PORT=self.url.rsplit(":", 1)[1])
        return env

    def selfcast(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "selfcast.cli.main", *args], env=self.cli_env(),
                              capture_output=True, text=True, timeout=120)

    def new_key(self, *, cli: bool = False) -> tuple[str, str]:
        """A fresh account and key: through `selfcast keys create`, or the same library calls in-process
        (one CLI start less per test on a two-core machine)."""
        email = f"dev-{uuid.uuid4().hex[:8]}@example.com"
        if cli:
            out = self.selfcast("keys", "create", "--email", email, "--name", "skill-test")
            assert out.returncode == 0, out.stderr
            key = out.stdout.strip().splitlines()[-1]
        else:
            from selfcast.platform import accounts, keys
            from selfcast.platform.store import Store

            store = Store.open(f"sqlite:///{self.data_dir / 'selfcast.db'}", migrate=False)
            try:
                with store.write() as db:
                    key = keys.create(db, accounts.get_or_create(db, email).id, "skill-test").secret
            finally:
                store.dispose()
        assert key.startswith("dk_")
        return email, key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("selfcast-server")
    (root / "home").mkdir()
    srv = Server(url=f"http://127.0.0.1:{_free_port()}", data_dir=root / "data", home=root / "home")
    log = (root / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "selfcast.cli.main", "serve"], env=srv.cli_env(),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"selfcast serve exited with {proc.returncode}: {(root / 'server.log').read_text()[-2000:]}")
            try:
                if requests.get(srv.url + "/developer/balance", timeout=2).status_code == 401:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail("selfcast serve did not answer within 90 s")
            time.sleep(0.3)
        yield srv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the server and any session workers it started
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


def _skill(srv: Server, key: str, *args: str, cwd: Path | None = None, timeout: float = 120):
    env = clean_env(srv.home, PIKA_DEV_KEY=key, PIKA_API_BASE_URL=srv.url, PIKA_POLL_INTERVAL_SEC="0.5")
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or srv.home)
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()] if args[-1] != "markdown" else []
    return proc.returncode, lines, proc.stderr


def _balance(srv: Server, key: str) -> float:
    return requests.get(srv.url + "/developer/balance", headers={"Authorization": f"DevKey {key}"}, timeout=10).json()["balance"]


def _join_args(srv: Server, *extra: str) -> list[str]:
    return ["join", "--meet-url", f"{srv.url}/room/skill-{uuid.uuid4().hex[:6]}", "--bot-name", "Ada's AI",
            "--max-duration-sec", "120", *extra]


def test_balance_under_100_prints_the_checkout_link_at_once_and_exits_6(server: Server) -> None:
    _, key = server.new_key()
    t0 = time.monotonic()
    code, lines, err = _skill(server, key, *_join_args(server, "--no-wait-for-payment"))
    elapsed = time.monotonic() - t0
    assert code == 6, err
    (line,) = lines
    assert line["status"] == "needs_topup" and line["balance"] == 0
    assert line["product"] and line["credits"] == 800
    assert line["checkout_url"].startswith(server.url + "/")
    assert elapsed < 15
    # the link is the server's own top-up page (the built-in invoice flow)
    page = requests.get(line["checkout_url"], timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_after_operator_approval_the_waiting_join_proceeds_to_the_session_api(server: Server) -> None:
    email, key = server.new_key(cli=True)
    env = clean_env(server.home, PIKA_DEV_KEY=key, PIKA_API_BASE_URL=server.url, PIKA_POLL_INTERVAL_SEC="0.5")
    proc = subprocess.Popen([sys.executable, str(SCRIPT), *_join_args(server, "--payment-poll-sec", "0.5",
                                                                       "--timeout-sec", "30")],
                            env=env, cwd=server.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sid = None
    try:
        first = json.loads(proc.stdout.readline())
        # the link is printed before the wait, while the script keeps running
        assert first["status"] == "needs_topup", first
        assert proc.poll() is None
        topup_id = first["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
        pending = server.selfcast("credits", "balance", "--pending")
        assert any(ln.startswith(topup_id) and email in ln for ln in pending.stdout.splitlines()), pending
        approved = server.selfcast("credits", "approve", topup_id)
        assert approved.returncode == 0, approved.stderr

        rest, err = proc.communicate(timeout=120)
        lines = [json.loads(x) for x in rest.splitlines() if x.strip()]
        assert lines[0] == {"status": "funded", "balance": 800}
        created = [ln for ln in lines if ln.get("status") == "created" and "platform" in ln]
        assert created, (lines, err)  # the session API answered: a session exists, its status lines follow
        sid = created[0]["session_id"]
        assert created[0]["platform"] == "room"
        # The link names a room that was never created, so the live session ends in a clean,
        # named error (exit 4, the server's message, no traceback) and nothing is charged.
        assert proc.returncode == 4, err
        assert "platform_not_found" in err and "does not exist" in err and "Traceback" not in err, err
        assert lines[-1]["status"] == "error", lines
        assert _balance(server, key) == 800
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sid:
        code, lines, err = _skill(server, key, "leave", "--session-id", sid)
        assert code == 0 and lines == [{"session_id": sid, "closed": True}], err
        code, lines, err = _skill(server, key, "status", "--session-id", sid)
        assert code == 0 and lines[0]["status"] in ("leaving", "closed", "error")
        # billing stopped: at most the started minutes of a short session were charged
        assert _balance(server, key) >= 800 - 2 * 27.5 - 1


def test_http_errors_and_a_rejected_key(server: Server) -> None:
    _, key = server.new_key()
    code, _, err = _skill(server, key, "status", "--session-id", "sess_doesnotexist")
    assert code == 3 and "HTTP 404" in err and "sess_doesnotexist" in err
    code, _, err = _skill(server, key, "leave", "--session-id", "sess_doesnotexist")
    assert code == 3 and "HTTP 404" in err
    bad = "dk_" + "x" * 43
    code, _, err = _skill(server, bad, "leave", "--session-id", "sess_doesnotexist")
    assert code == 3 and "HTTP 401" in err and bad not in err
    code, lines, err = _skill(server, bad, *_join_args(server, "--no-wait-for-payment"))
    assert code == 6 and "balance check" in err and "HTTP 401" in err and lines == []


def test_the_script_reads_the_servers_answers_in_both_shapes(server: Server) -> None:
    email, key = server.new_key()
    server.selfcast("credits", "grant", "150", "--email", email)
    raw = requests.get(server.url + "/developer/balance", headers={"Authorization": f"DevKey {key}"}, timeout=10).json()
    assert raw["balance"] == 150 and raw.get("data", raw)["balance"] == 150
    products = requests.get(server.url + "/developer/topup/products", headers={"Authorization": f"DevKey {key}"},
                            timeout=10).json()
    assert {"productId", "name", "numCredits"} <= set(products.get("data", products)["products"][0])
    # funded straight away, then the session API (whatever the live engine does next)
    proc = subprocess.run([sys.executable, str(SCRIPT), *_join_args(server, "--timeout-sec", "3")],
                          env=clean_env(server.home, PIKA_DEV_KEY=key, PIKA_API_BASE_URL=server.url,
                                        PIKA_POLL_INTERVAL_SEC="0.5"),
                          capture_output=True, text=True, timeout=120, cwd=server.home)
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.strip()]
    assert lines[0] == {"status": "funded", "balance": 150}
    for ln in lines[1:]:
        if ln.get("session_id"):
            _skill(server, key, "leave", "--session-id", ln["session_id"])
            break


def test_notes_of_an_unknown_session_is_exit_3(server: Server) -> None:
    _, key = server.new_key()
    code, _, err = _skill(server, key, "notes", "--session-id", "sess_doesnotexist")
    assert code == 3 and "HTTP 404" in err


def test_generate_avatar_on_the_server_writes_a_png_or_says_the_build_lacks_it(server: Server, tmp_path: Path) -> None:
    _, key = server.new_key()
    code, lines, err = _skill(server, key, "generate-avatar", "--output", "identity/videomeeting-avatar.png",
                              "--style", "cinematic", "--prompt", "a friendly engineer", cwd=tmp_path)
    out = tmp_path / "identity" / "videomeeting-avatar.png"
    if code == 3:  # the avatar engine is not part of this build yet: a clean 503, nothing written
        assert "HTTP 503" in err and "not available" in err
        assert not out.exists()
        return
    assert code == 0, err
    assert lines == [{"path": "identity/videomeeting-avatar.png", "size_bytes": out.stat().st_size}]
    from PIL import Image

    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (1024, 1024)


def test_clone_voice_on_the_server_writes_life_files_or_says_the_build_lacks_it(server: Server, tmp_path: Path,
                                                                                speech_wav: Path) -> None:
    _, key = server.new_key()
    code, lines, err = _skill(server, key, "clone-voice", "--audio", str(speech_wav), "--name", "ada", cwd=tmp_path,
                              timeout=300)
    if code == 3:  # the voice engine is not part of this build yet: a clean 503, nothing written
        assert "HTTP 503" in err and "not available" in err
        assert not (tmp_path / "life").exists()
        return
    assert code == 0, err
    (line,) = lines
    assert line["voice_id"].startswith("voice_ada_")
    assert (tmp_path / "life" / "voice_id.txt").read_text() == line["voice_id"]
    voices = requests.get(server.url + "/v1/voices", headers={"Authorization": f"DevKey {key}"}, timeout=10).json()
    assert line["voice_id"] in json.dumps(voices)
