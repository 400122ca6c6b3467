"""The Ray executor on a real Ray cluster on this machine (issue 16): a head and a second node,
each a separate ``selfcast node start --block`` (so ``ray start``) process group with its own
temp dir, ports and custom resource, and a third node started and killed for the node-loss test.

Sessions run the scripted session runner (no Chromium) in real ``selfcast worker`` processes under
real Ray actors, against a real server on SQLite and, under ``make test``, PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import ray
from ray.util.state import list_actors
from sqlalchemy import select, update

from selfcast.platform.billing import ledger
from selfcast.platform.billing.pricing import MILLI
from selfcast.platform.sessions.executor import pid_alive
from selfcast.platform.sessions.ray_actor import actor_name
from selfcast.platform.sessions.ray_executor import ASK_TIMEOUT_S, RayExecutor
from selfcast.platform.store.models import Hold, LedgerEntry, MeetingSession
from selfcast.settings import Settings
from tests.platform.helpers import (
    REPO,
    RUNNER,
    LiveServer,
    auth,
    free_port,
    requests,
    start_server,
    stop_server,
    wait_for,
)
from tests.platform.ray_cluster import Node, connect, join_node, node_id, start_node, wait_node
from tests.platform.test_pika_contract import png_bytes
from tests.platform.test_worker_env import SERVER_ENV_SECRETS, SETTINGS_SECRETS
from tests.platform.test_worker_env import _settings as with_server_secrets

pytestmark = pytest.mark.slow
NS = "selfcast-test"
MEET = "https://meet.google.com/abc-defg-hij"
MINUTE = 27_500  # millicredits


@dataclass
class Cluster:
    address: str
    head: Node
    b: Node
    head_id: str
    b_id: str
    log_dir: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A head (1 session slot) and node b (1 slot); the operator's secrets in the nodes' environment."""
    log_dir = tmp_path_factory.mktemp("ray")
    port = free_port()
    address = f"127.0.0.1:{port}"
    nodes: list[Node] = []
    breakpoint_hook = os.environ.get("PYTHONBREAKPOINT")  # ray.init sets its own
    try:
        nodes.append(start_node("head", log_dir, sessions=1, head_port=port, env=SERVER_ENV_SECRETS))
        connect(nodes[0], port, NS)
        head_id = wait_node(nodes[0])
        b, b_id = join_node("b", log_dir, sessions=1, address=address, env=SERVER_ENV_SECRETS)
        nodes.append(b)
        yield Cluster(address, nodes[0], nodes[1], head_id, b_id, log_dir)
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        for n in reversed(nodes):
            n.stop()
        if breakpoint_hook is None:
            os.environ.pop("PYTHONBREAKPOINT", None)
        else:
            os.environ["PYTHONBREAKPOINT"] = breakpoint_hook


def ray_settings(settings: Settings, cluster: Cluster, **executor: object) -> Settings:
    """Sessions on ``cluster``; the extractive brain unless a test asks for the node's model."""
    conf = settings.executor.model_copy(update={"kind": "ray", "ray_address": cluster.address,
                                                "ray_namespace": NS, **executor})  # fmt: skip
    brain = settings.brain if settings.brain.provider != "embedded" else settings.brain.model_copy(
        update={"provider": "extractive"})
    return settings.model_copy(update={"host": "127.0.0.1", "executor": conf, "brain": brain})


def ray_server(settings: Settings, *, dead_after_s: float = 5.0, runner: str = RUNNER) -> LiveServer:
    executor = RayExecutor(settings, runner=runner, heartbeat_s=0.3, kill_after_s=3.0,
                           extra_env={"PYTHONPATH": str(REPO)})  # fmt: skip
    return start_server(settings, executor=executor, monitor_interval_s=0.3, dead_after_s=dead_after_s)


def session_actors() -> dict[str, tuple[str, str]]:
    """Ray's state API: session actor name -> (state, node id), this namespace only."""
    return {a.name: (a.state, a.node_id or "") for a in list_actors(filters=[("ray_namespace", "=", NS)], limit=1000)
            if a.name and a.name.startswith("selfcast-session-")}  # fmt: skip


def new_session(live: LiveServer, key: str, url: str = MEET) -> requests.Response:
    av = requests.post(f"{live.url}/v1/avatars", headers=auth(key),
                       files={"image": ("me.png", png_bytes(128), "image/png")}, timeout=10)  # fmt: skip
    assert av.status_code == 201, av.text
    return requests.post(f"{live.url}/v1/sessions", headers=auth(key), timeout=60,
                         json={"meet_url": url, "bot_name": "Ada", "avatar_id": av.json()["id"]})  # fmt: skip


def status(live: LiveServer, key: str, sid: str) -> dict:  # type: ignore[type-arg]
    return requests.get(f"{live.url}/v1/sessions/{sid}", headers=auth(key), timeout=10).json()  # type: ignore[no-any-return]


def wait_status(live: LiveServer, key: str, sid: str, *states: str, timeout: float = 60.0) -> dict:  # type: ignore[type-arg]
    return wait_for(lambda: (lambda s: s if s["status"] in states else None)(status(live, key, sid)),  # type: ignore[no-any-return]
                    timeout=timeout, every=0.2)  # fmt: skip


def check_ledger(live: LiveServer, account_id: str, credits: int, minutes: dict[str, int]) -> None:
    """Each minute captured once, every hold released and equal to its captures, nothing held."""
    with live.platform.store.read() as db:
        entries = list(db.scalars(select(LedgerEntry).where(LedgerEntry.session_id.in_(list(minutes)))))
        captures = [e for e in entries if e.minute is not None]
        assert len({(e.session_id, e.minute) for e in captures}) == len(captures)
        for sid, n in minutes.items():
            assert sum(1 for e in captures if e.session_id == sid) == n, sid
            hold = db.scalar(select(Hold).where(Hold.session_id == sid))
            assert hold is not None and hold.status == "released"
            assert hold.captured_milli == -sum(e.amount_milli for e in captures if e.session_id == sid)
        bal = ledger.balance(db, account_id)
        assert bal.held_milli == 0
        assert bal.total_milli == credits * MILLI - sum(minutes.values()) * MINUTE
        assert bal.available_milli >= 0


def test_sessions_are_ray_actors_on_both_nodes_visible_in_ray_state_and_gone_after_they_leave(
    cluster: Cluster, settings: Settings
) -> None:
    settings = ray_settings(settings, cluster)
    live = ray_server(settings)
    try:
        account_id, key = live.account("ray@x.io", credits=1000)
        sids = []
        for _ in range(2):
            r = new_session(live, key)
            assert r.status_code == 201, r.text
            sids.append(r.json()["session_id"])
        for sid in sids:
            wait_status(live, key, sid, "ready")
        # one slot per node: the two sessions run one on each node, as actors Ray's state API shows
        actors = session_actors()
        placed = {actors[actor_name(sid)][1] for sid in sids}
        assert all(actors[actor_name(sid)][0] == "ALIVE" for sid in sids)
        assert placed == {cluster.head_id, cluster.b_id}
        # a third finds no free slot: refused before anything is written or held
        before = requests.get(f"{live.url}/v1/balance", headers=auth(key), timeout=10).json()
        third = new_session(live, key)
        assert third.status_code == 503 and "no free session slot" in third.json()["message"]
        assert requests.get(f"{live.url}/v1/balance", headers=auth(key), timeout=10).json() == before
        # `selfcast node list` shows both nodes full, each with its session
        out = subprocess.run([sys.executable, "-m", "selfcast.cli.main", "node", "list", "--json",
                              f"--address={cluster.address}"], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "SELFCAST_DATA_DIR": str(settings.data_dir),
                                  "SELFCAST_EXECUTOR__RAY_NAMESPACE": NS})  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        listed = {v["node_id"]: v for v in map(json.loads, out.stdout.splitlines())}
        for nid, sid in ((actors[actor_name(s)][1], s) for s in sids):
            assert listed[nid]["sessions"] == {sid: "ready"} and listed[nid]["free"] == 0
        for sid in sids:
            assert requests.post(f"{live.url}/v1/sessions/{sid}/leave", headers=auth(key), timeout=10).ok
        for sid in sids:
            assert wait_status(live, key, sid, "closed", "error")["status"] == "closed"
        # gone from the cluster: DEAD in Ray's state API, and their slots free again
        wait_for(lambda: all(session_actors().get(actor_name(s), ("DEAD",))[0] == "DEAD" for s in sids), timeout=20)
        wait_for(lambda: ray.available_resources().get("selfcast_session", 0) == 2, timeout=20)
        check_ledger(live, account_id, 1000, dict.fromkeys(sids, 1))
    finally:
        stop_server(live)


def test_a_session_that_ignores_leave_is_killed_with_its_actor_and_closed(cluster: Cluster, settings: Settings) -> None:
    live = ray_server(ray_settings(settings, cluster))  # kill_after_s = 3
    try:
        account_id, key = live.account("stall@x.io", credits=1000)
        r = new_session(live, key, MEET + "?script=stall")
        assert r.status_code == 201, r.text
        sid = r.json()["session_id"]
        wait_status(live, key, sid, "ready")
        with live.platform.store.read() as db:
            worker_pid = db.get(MeetingSession, sid).worker_pid
        assert requests.post(f"{live.url}/v1/sessions/{sid}/leave", headers=auth(key), timeout=10).ok
        assert wait_status(live, key, sid, "closed", "error", timeout=30)["status"] == "closed"
        assert session_actors()[actor_name(sid)][0] == "DEAD"
        wait_for(lambda: not pid_alive(worker_pid, sid), timeout=5)  # the worker went with its actor
        check_ledger(live, account_id, 1000, {sid: 1})
    finally:
        stop_server(live)


def test_a_worker_on_a_ray_node_sees_no_operator_secret(cluster: Cluster, settings: Settings) -> None:
    """The nodes were started with the operator's secrets in their environment and the server holds
    its own in its settings: the worker gets neither (the local executor's one rule)."""
    settings = ray_settings(with_server_secrets(settings), cluster)
    live = ray_server(settings, runner="tests.platform.env_runner:run")
    try:
        _, key = live.account("env@x.io", credits=1000)
        r = new_session(live, key)
        assert r.status_code == 201, r.text
        report_path = settings.data_dir / "worker-env.json"
        wait_for(report_path.exists, timeout=60)
        wait_status(live, key, r.json()["session_id"], "closed")
    finally:
        stop_server(live)
    text = report_path.read_text()
    report = json.loads(text)
    assert [v for v in [*SERVER_ENV_SECRETS.values(), *SETTINGS_SECRETS.values()] if v in text] == []
    assert not any(k.startswith(("SELFCAST_", "RAY_")) and k != "SELFCAST_WORKER_SETTINGS" for k in report["environ"])
    assert {"PATH", "HOME"} <= set(report["environ"]) and report["db_url"] == settings.db_url


def test_sessions_on_a_node_share_the_model_server_it_loaded_once(cluster: Cluster, settings: Settings) -> None:
    """The embedded brain on Ray: the node's model actor loads the model at its first session and
    every later session on that node is pointed at the same server (here the tests' tiny model)."""
    from tests.brain.test_notes_llm import SMOLLM

    settings = ray_settings(settings, cluster, session_resources={"node_b": 1})
    settings = settings.model_copy(update={"brain": settings.brain.model_copy(
        update={"provider": "embedded", "model_path": str(SMOLLM), "llm_threads": 1, "llm_slots": 2})})
    live = ray_server(settings, runner="tests.platform.env_runner:run")
    report_path = settings.data_dir / "worker-env.json"
    brains = []
    try:
        _, key = live.account("model@x.io", credits=1000)
        for _ in range(2):
            report_path.unlink(missing_ok=True)
            r = new_session(live, key)
            assert r.status_code == 201, r.text
            wait_for(report_path.exists, timeout=90)
            sid = r.json()["session_id"]
            wait_status(live, key, sid, "closed")
            brains.append(json.loads(report_path.read_text())["settings"]["brain"])
            # its actor gave the slot back before leaving the cluster
            wait_for(lambda s=sid: session_actors().get(actor_name(s), ("DEAD",))[0] == "DEAD", timeout=20)
    finally:
        stop_server(live)
    assert brains[0]["llm_url"].startswith("http://127.0.0.1:") and brains[0]["llm_key"]
    assert [b["llm_url"] for b in brains] == [brains[0]["llm_url"]] * 2  # one server for the node
    assert [b["llm_slot"] for b in brains] == [0, 0]  # the first session's slot was given back
    health = brains[0]["llm_url"].removesuffix("/v1") + "/health"
    wait_for(lambda: requests.get(health, timeout=5).status_code == 200, timeout=120, every=0.5)


@pytest.fixture
def node_c(cluster: Cluster) -> Iterator[Node]:
    node, _ = join_node("c", cluster.log_dir, sessions=1, address=cluster.address)
    try:
        yield node
    finally:
        node.stop()


def test_a_lost_node_ends_its_session_as_worker_lost_within_10_s_charging_only_active_minutes(
    cluster: Cluster, node_c: Node, psettings: Settings
) -> None:
    # pinned to node c by its custom resource; the heartbeat deadline (60 s) is out of reach, so only
    # Ray's word that the node is gone can end the session in time
    settings = ray_settings(psettings, cluster, session_resources={"node_c": 1})
    live = ray_server(settings, dead_after_s=60.0)
    try:
        account_id, key = live.account("lost@x.io", credits=1000)
        r = new_session(live, key)
        assert r.status_code == 201, r.text
        sid = r.json()["session_id"]
        wait_status(live, key, sid, "ready")
        assert session_actors()[actor_name(sid)] == ("ALIVE", node_id("node_c"))
        with live.platform.store.write() as db:  # active for 2.5 minutes: 3 started minutes
            row = db.get(MeetingSession, sid)
            db.execute(update(MeetingSession).where(MeetingSession.id == sid)
                       .values(ready_at=row.ready_at - timedelta(seconds=150)))  # fmt: skip
        wait_for(lambda: status(live, key, sid)["minutes_charged"] == 3, timeout=15)
        with live.platform.store.read() as db:
            worker_pid = db.get(MeetingSession, sid).worker_pid
        assert worker_pid

        t0 = time.monotonic()
        node_c.kill()
        lost = wait_status(live, key, sid, "error", "closed", timeout=15)  # the API answers all along
        noticed_s = time.monotonic() - t0
        print(f"node death to worker_lost: {noticed_s:.1f} s")
        assert lost["status"] == "error" and lost["error_code"] == "worker_lost"
        assert noticed_s <= 10.0
        assert requests.get(f"{live.url}/healthz", timeout=10).ok
        wait_for(lambda: not pid_alive(worker_pid, sid), timeout=10)  # no bot left behind in the meeting
        check_ledger(live, account_id, 1000, {sid: 3})
        assert status(live, key, sid)["minutes_charged"] == 3
    finally:
        stop_server(live)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def serving(url: str, server: subprocess.Popen[bytes], log: Path) -> bool:
    if server.poll() is not None:
        raise AssertionError(f"selfcast serve exited: {log.read_text()[-3000:]}")
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/healthz", timeout=2).ok
    return False


def test_the_api_keeps_answering_when_the_ray_head_is_lost(tmp_path: Path) -> None:
    """A `selfcast serve` process on its own one-node cluster (this test process never joins it:
    Ray ends a driver whose head is gone). With the head killed, a new session is a prompt 503, a
    running session is not ended on a blind guess, and the API answers from the database."""
    from selfcast.platform import accounts, keys
    from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
    from selfcast.platform.store import Store

    port, api = free_port(), free_port()
    head = start_node("lone", tmp_path, sessions=0, head_port=port)
    data = tmp_path / "data"
    env = {**os.environ, "SELFCAST_DATA_DIR": str(data), "SELFCAST_EXECUTOR__KIND": "ray",
           "SELFCAST_EXECUTOR__RAY_ADDRESS": f"127.0.0.1:{port}", "SELFCAST_BRAIN__PROVIDER": "extractive"}  # fmt: skip
    server = None
    try:
        wait_for(lambda: port_open(port), timeout=90, every=0.3)
        server = subprocess.Popen([sys.executable, "-m", "selfcast.cli.main", "serve", f"--port={api}"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=open(tmp_path / "serve.log", "wb"),  # noqa: SIM115
                                  start_new_session=True)  # fmt: skip
        url = f"http://127.0.0.1:{api}"
        wait_for(lambda: serving(url, server, tmp_path / "serve.log"), timeout=60)
        settings = Settings(data_dir=data)
        store = Store.open(settings.db_url)
        with store.write() as db:
            acct = accounts.sign_up(db, "headless@x.io", None)
            key = keys.create(db, acct.id, "t").secret
            ledger.credit(db, acct.id, 1000, kind="grant")
        live = LiveServer(url, settings, None, None)
        full = new_session(live, key)  # the server joined the cluster: it has no slot to offer
        assert full.status_code == 503 and "no free session slot" in full.json()["message"], full.text

        head.kill()
        registry = SessionRegistry(store, settings)
        registry.create(acct.id, "sess_running", SessionRequest(meet_url=MEET, platform="google_meet",
                        bot_name="Ada", voice_id="English_radiant_girl"), executor="ray")  # fmt: skip
        for state in ("joining", "waiting_room", "ready"):  # as its worker on another node would
            registry.set_state("sess_running", state)
        t0 = time.monotonic()
        refused = new_session(live, key)
        assert refused.status_code == 503, refused.text
        assert time.monotonic() - t0 < 15
        time.sleep(ASK_TIMEOUT_S + 2)  # the monitor asked Ray about it, and gave up asking
        assert status(live, key, "sess_running")["status"] == "ready"  # not ended on a blind guess
        assert requests.get(f"{url}/healthz", timeout=10).ok and server.poll() is None
        store.dispose()
    finally:
        if server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        head.stop()
