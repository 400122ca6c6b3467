"""Session registry, state machine, local executor and worker processes (SQLite; the PostgreSQL
lifecycle runs in the contract test). Workers are real ``selfcast worker`` processes running the
scripted session runner, except where the product's default runner is the point."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from selfcast.errors import BadInput, Conflict
from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.sessions.executor import LocalExecutor, worker_settings_json
from selfcast.platform.sessions.launch import launch
from selfcast.platform.sessions.monitor import SessionMonitor
from selfcast.platform.sessions.platforms import resolve_platform
from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
from selfcast.platform.sessions.states import can_move, check_move
from selfcast.platform.store import Store
from selfcast.platform.store.models import Hold, LedgerEntry, MeetingSession, SessionEvent
from selfcast.settings import Settings
from tests.platform.helpers import REPO, scripted_executor, wait_for
from tests.platform.test_pika_contract import png_bytes

MEET = "https://meet.google.com/abc-defg-hij"


# ---- pure logic -------------------------------------------------------------------------------
def test_state_machine_allows_the_documented_path_and_refuses_the_rest() -> None:
    path = ["created", "joining", "waiting_room", "ready", "leaving", "closed"]
    for a, b in itertools.pairwise(path):
        assert can_move(a, b)
    for s in path[:-1]:
        assert can_move(s, "error")
    assert can_move("waiting_room", "joining")  # re-admission
    for bad in [("ready", "joining"), ("closed", "ready"), ("error", "closed"), ("leaving", "ready")]:
        with pytest.raises(Conflict):
            check_move(*bad)


SERVER = "http://127.0.0.1:8787"


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://meet.google.com/abc-defg-hij", "google_meet"),
        ("https://us02web.zoom.us/j/123456?pwd=x", "zoom"),
        ("https://zoom.com/j/1", "zoom"),
        ("https://teams.microsoft.com/l/meetup-join/19%3a...", "teams"),
        ("https://teams.live.com/meet/9312", "teams"),
        ("https://meet.jit.si/SelfcastStandup", "jitsi"),
        ("https://8x8.vc/vpaas-magic-cookie-1/Room#config.startWithAudioMuted=true", "jitsi"),
        ("http://127.0.0.1:8787/room/standup", "room"),
        ("http://localhost:8787/room/standup", "room"),
    ],
)
def test_platform_is_inferred_from_the_meeting_url(url: str, platform: str) -> None:
    assert resolve_platform(url, None, server_base_url=SERVER).platform == platform


def test_unknown_platform_urls_are_bad_input_naming_the_fix() -> None:
    with pytest.raises(BadInput, match=r"not a supported meeting platform.*meeting\.allowed_hosts"):
        resolve_platform("http://other-host:8787/room/x", None, server_base_url=SERVER)
    with pytest.raises(BadInput, match="not a supported meeting platform"):
        resolve_platform("https://example.com/call/42", None, server_base_url=SERVER)
    with pytest.raises(BadInput, match="not a meeting link"):
        resolve_platform("meet.google.com/abc", None, server_base_url=SERVER)
    with pytest.raises(BadInput, match="meet_url is required"):
        resolve_platform("  ", "zoom", server_base_url=SERVER)
    with pytest.raises(BadInput, match="unknown platform"):
        resolve_platform("https://example.com/x", "skype", server_base_url=SERVER)
    with pytest.raises(BadInput, match="not a supported meeting platform"):  # a claim opens no foreign host
        resolve_platform("https://example.com/x", "zoom", server_base_url=SERVER)


# ---- a registry + executor + monitor stack ------------------------------------------------------
@dataclass
class Stack:
    settings: Settings
    store: Store
    registry: SessionRegistry
    executor: LocalExecutor
    monitor: SessionMonitor
    account_id: str

    def launch(self, url: str = MEET, **kw):  # type: ignore[no-untyped-def]
        return launch(
            self.registry,
            self.executor,
            self.account_id,
            meet_url=url,
            platform=None,
            bot_name="Ada's AI",
            voice_id=None,
            image=png_bytes(),
            server_base_url=self.settings.base_url,
            **kw,
        )

    def row(self, sid: str) -> MeetingSession:
        with self.store.read() as db:
            return db.get(MeetingSession, sid)

    def wait_state(self, sid: str, *states: str, timeout: float = 30.0) -> MeetingSession:
        return wait_for(lambda: (lambda r: r if r.state in states else None)(self.row(sid)), timeout=timeout)

    def balance(self):  # type: ignore[no-untyped-def]
        with self.store.read() as db:
            return ledger.balance(db, self.account_id)

    def captures(self, sid: str) -> int:
        with self.store.read() as db:
            return db.scalar(
                select(func.count()).select_from(LedgerEntry).where(LedgerEntry.session_id == sid)
            )

    def hold_status(self, sid: str) -> str | None:
        with self.store.read() as db:
            return db.scalar(select(Hold.status).where(Hold.session_id == sid))

    def shift_ready(self, sid: str, seconds: float) -> None:
        """Pretend the session became ready ``seconds`` earlier (no test waits minutes)."""
        with self.store.write() as db:
            row = db.get(MeetingSession, sid)
            db.execute(
                update(MeetingSession)
                .where(MeetingSession.id == sid)
                .values(ready_at=row.ready_at - timedelta(seconds=seconds))
            )


def make_stack(settings: Settings, credits: int = 1000, **exec_kw) -> Stack:  # type: ignore[no-untyped-def]
    settings.ensure_dirs()
    store = Store.open(settings.db_url)
    registry = SessionRegistry(store, settings, dead_after_s=5.0)
    executor = scripted_executor(settings, **exec_kw)
    monitor = SessionMonitor(registry, executor, interval_s=0.2)
    with store.write() as db:
        acct = accounts.sign_up(db, "stack@x.io", None)
        if credits:
            ledger.credit(db, acct.id, credits, kind="grant")
    return Stack(settings, store, registry, executor, monitor, acct.id)


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    s = make_stack(settings)
    s.monitor.start()
    yield s
    s.monitor.stop()
    s.executor.shutdown(grace_s=5)
    s.store.dispose()


# ---- lifecycle --------------------------------------------------------------------------------
def test_worker_whose_runner_fails_to_import_ends_the_session_in_error_loudly_and_releases_the_hold(
    settings: Settings,
) -> None:
    s = make_stack(settings)
    sid = "sess_broken"
    s.registry.create(
        s.account_id,
        sid,
        SessionRequest(
            meet_url=MEET, platform="google_meet", bot_name="Ada", voice_id="English_radiant_girl"
        ),
    )
    env = {**os.environ, "SELFCAST_WORKER_SETTINGS": worker_settings_json(settings)}
    # a broken module of ours: the import error is the session's error, with its traceback in the log
    cmd = [sys.executable, "-m", "selfcast.cli.main", "worker", sid, "--runner", "selfcast.live.no_such_module:run"]
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 70, proc.stderr.decode()[-2000:]
    assert b"ModuleNotFoundError" in proc.stderr
    row = s.row(sid)
    assert row.state == "error" and row.error_code == "worker_crashed"
    assert "selfcast.live.no_such_module" in row.error_message
    assert s.hold_status(sid) == "released" and s.captures(sid) == 0
    assert s.balance().available == 1000
    s.store.dispose()


def test_the_worker_log_never_holds_a_secret_its_session_logged_or_raised(settings: Settings) -> None:
    from tests.platform.scripted_runner import LOGGED_SECRET

    s = make_stack(settings)
    sid = "sess_logsecret"
    s.registry.create(
        s.account_id,
        sid,
        SessionRequest(meet_url=MEET + "?script=log_secret", platform="google_meet", bot_name="Ada",
                       voice_id="English_radiant_girl"),
    )
    env = {**os.environ, "SELFCAST_WORKER_SETTINGS": worker_settings_json(settings), "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "selfcast.cli.main", "worker", sid, "--runner", "tests.platform.scripted_runner:run"]
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=120)
    log = proc.stdout.decode() + proc.stderr.decode()
    assert "connecting with password" in log and "provider refused" in log  # the lines are there...
    assert LOGGED_SECRET not in log  # ...without the secret
    row = s.row(sid)
    assert row.state == "error" and "provider refused" in row.error_message and LOGGED_SECRET not in row.error_message
    s.store.dispose()


@pytest.mark.parametrize("where", ["created", "joining", "waiting_room", "ready"])
def test_cancellation_from_every_active_state_ends_closed_and_charges_only_ready_minutes(
    settings: Settings, where: str
) -> None:
    s = make_stack(settings)
    s.monitor.start()
    try:
        if where == "created":
            sid = "sess_created"
            s.registry.create(
                s.account_id,
                sid,
                SessionRequest(meet_url=MEET, platform="google_meet", bot_name="Ada", voice_id="v_x"),
            )
        else:
            url = MEET if where == "ready" else f"{MEET}?hold={where}"
            sid = s.launch(url).id
            s.wait_state(sid, where)
        _, tell = s.registry.request_leave(s.account_id, sid)
        if tell:
            s.executor.cancel(sid)
        row = s.wait_state(sid, "closed", "error")
        assert row.state == "closed", (row.error_code, row.error_message)
        assert s.hold_status(sid) == "released"
        assert s.captures(sid) == (1 if where == "ready" else 0)
        assert s.balance().held_milli == 0
    finally:
        s.monitor.stop()
        s.executor.shutdown(grace_s=5)
        s.store.dispose()


def test_runner_crash_ends_in_error_with_the_reason(stack: Stack) -> None:
    sid = stack.launch(f"{MEET}?script=crash").id
    row = stack.wait_state(sid, "error", "closed")
    assert (
        row.state == "error"
        and row.error_code == "worker_crashed"
        and "renderer exploded" in row.error_message
    )
    assert stack.hold_status(sid) == "released" and stack.captures(sid) == 1


@pytest.mark.slow
def test_dead_worker_is_detected_hold_released_and_only_heartbeat_minutes_charged(stack: Stack) -> None:
    sid = stack.launch().id
    row = stack.wait_state(sid, "ready")
    stack.shift_ready(sid, 150)  # active for 2.5 minutes -> 3 started minutes
    wait_for(lambda: stack.row(sid).minutes_charged == 3, timeout=15)
    os.kill(row.worker_pid, signal.SIGKILL)
    dead = stack.wait_state(sid, "error", "closed", timeout=20)
    assert dead.state == "error" and dead.error_code == "worker_lost"
    assert stack.hold_status(sid) == "released"
    assert stack.captures(sid) == 3
    bal = stack.balance()
    assert bal.held_milli == 0 and bal.total_milli == 1000 * 1000 - 3 * 27_500


@pytest.mark.slow
def test_dead_worker_found_after_a_server_restart(settings: Settings) -> None:
    first = make_stack(settings)
    sid_dead = first.launch().id
    sid_alive = first.launch().id
    first.wait_state(sid_dead, "ready")
    first.wait_state(sid_alive, "ready")
    os.kill(first.row(sid_dead).worker_pid, signal.SIGKILL)  # dies while "the server is down"
    first.store.dispose()  # the first server goes away without shutting its workers down

    store = Store.open(settings.db_url)
    registry = SessionRegistry(store, settings, dead_after_s=5.0)
    executor = LocalExecutor(
        settings, runner="tests.platform.scripted_runner:run", extra_env={"PYTHONPATH": str(REPO)}
    )
    monitor = SessionMonitor(registry, executor, interval_s=0.2)
    try:
        monitor.start()  # the start-up sweep
        with store.read() as db:
            dead = db.get(MeetingSession, sid_dead)
            alive = db.get(MeetingSession, sid_alive)
        assert dead.state == "error" and dead.error_code == "worker_lost"
        assert alive.state == "ready"  # its worker survived the restart and keeps heartbeating
        # the surviving worker still obeys a leave through the database (no process handle now)
        registry.request_leave(first.account_id, sid_alive)
        wait_for(lambda: first.row(sid_alive).state == "closed", timeout=20)
        with store.read() as db:
            assert ledger.balance(db, first.account_id).held_milli == 0
    finally:
        monitor.stop()
        pid = first.row(sid_alive).worker_pid
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        store.dispose()


@pytest.mark.slow
def test_worker_that_ignores_leave_is_killed_and_the_session_closed(settings: Settings) -> None:
    s = make_stack(settings, kill_after_s=1.0)
    s.monitor.start()
    try:
        sid = s.launch(f"{MEET}?script=stall").id
        s.wait_state(sid, "ready")
        s.registry.request_leave(s.account_id, sid)
        s.executor.cancel(sid)
        row = s.wait_state(sid, "closed", "error", timeout=20)
        assert row.state == "closed" and s.hold_status(sid) == "released"
    finally:
        s.monitor.stop()
        s.executor.shutdown(grace_s=2)
        s.store.dispose()


@pytest.mark.slow
def test_running_out_of_credits_warns_then_leaves_without_overdraft(settings: Settings) -> None:
    s = make_stack(settings, credits=100)
    s.monitor.start()
    try:
        sid = s.launch().id
        s.wait_state(sid, "ready")
        s.shift_ready(sid, 60)  # minute 2 charged: 45 credits left < 2 minutes' worth -> warn
        wait_for(lambda: s.row(sid).low_balance, timeout=15)
        assert s.row(sid).state == "ready"  # a warning, not yet a leave
        s.shift_ready(sid, 120)  # minute 4 would need 110 credits in all: leave
        row = s.wait_state(sid, "closed", "error", timeout=20)
        assert row.state == "closed"
        with s.store.read() as db:
            kinds = [e.kind for e in db.scalars(select(SessionEvent).where(SessionEvent.session_id == sid))]
        assert "low_balance" in kinds and "out_of_credits" in kinds
        assert kinds.index("low_balance") < kinds.index("out_of_credits")
        bal = s.balance()
        assert s.captures(sid) == 3 and bal.available_milli == 100_000 - 3 * 27_500 >= 0
    finally:
        s.monitor.stop()
        s.executor.shutdown(grace_s=5)
        s.store.dispose()


@pytest.mark.slow
def test_max_duration_makes_the_session_leave(stack: Stack) -> None:
    sid = stack.launch(max_duration_s=30).id
    stack.wait_state(sid, "ready")
    stack.shift_ready(sid, 40)
    row = stack.wait_state(sid, "closed", "error", timeout=20)
    assert row.state == "closed" and stack.captures(sid) == 1


def test_db_reporter_implements_the_session_reporter_protocol(settings: Settings) -> None:
    from selfcast.live.contract import SessionReporter
    from selfcast.platform.sessions.reporter import DbReporter

    s = make_stack(settings)
    try:
        assert isinstance(DbReporter(s.registry, "sess_x"), SessionReporter)
    finally:
        s.store.dispose()
