"""Scale-out benchmark and the 1,000-session model (issue 16).

    .venv/bin/python bench/scale.py                          # measure here, then the model
    .venv/bin/python bench/scale.py --pg URL --minutes 2     # DB writes counted on that PostgreSQL
    .venv/bin/python bench/scale.py --model figures.json     # the model from saved figures only

Measured on this machine with a private Ray cluster (a head with ``--slots`` session slots, and a
second node started and killed for the loss figure), a real server (``RayExecutor``) and real
``selfcast worker`` processes under Ray actors running the scripted session runner (no Chromium:
what is measured is the platform's share, not a meeting's media):

* placement: ``POST /v1/sessions`` until the worker's first state (``joining``), each on a free
  node; one at a time, then a burst of ``--slots`` at once (placements per second);
* database writes per session-minute: sessions held ``ready`` for ``--minutes`` with the
  production heartbeat (2 s), counted on PostgreSQL (``pg_stat_user_tables`` rows inserted,
  updated and deleted) and divided by session-minutes;
* node death to ``worker_lost``: a node killed (its process group, SIGKILL) under a ready session.

The model then sizes 1,000 concurrent sessions from those figures and the live-session figures of
docs/benchmarks.md (CPU per session, sessions per core, the API's CPU per status poll). Prints the
figures and the model as JSON (``--out`` writes them to a file).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NS = "selfcast-bench"
MEET = "https://meet.google.com/abc-defg-hij"

# From docs/benchmarks.md ("Live sessions", 2 cores, 640x360 at 25 fps, run B): the model's inputs
# that this bench does not measure itself.
LIVE_CPU_IDLE = 0.22  # cores per session (worker + its Chromium) listening
LIVE_CPU_TALKING = 0.54  # ... while the bot talks
SESSIONS_PER_CORE = 2.5  # 5 sessions held at 25 fps on 2 cores
POLL_CPU_MS_PG = 0.78  # server CPU per status poll on PostgreSQL (bench/api.py)
POLL_EVERY_S = 2.0  # the Pika skill polls each session's status every 2 s
# Memory is not measured for a whole live session here: the worker's max RSS is 240-480 MB
# (docs/benchmarks.md, avatar) and the bot's Chromium is taken as 300-400 MB (not measured).
LIVE_RSS_MB = 800.0
# What a talking session writes and reads beyond the scripted runner's heartbeats (assumed, from the
# code, not measured): ~12 transcript lines a minute in a lively meeting (each a row, plus its
# webhook outbox row when the account has webhooks) and the agent-command poll every
# live.command_poll_s (0.5 s: 120 reads a minute).
TALK_ROWS_PER_MIN = 12 * 2
COMMAND_READS_PER_MIN = 120
SETTLE_S = 12.0


@dataclass
class Figures:
    placement_s: list[float]  # one at a time, POST -> joining
    burst_n: int
    burst_s: float  # all of a burst placed (POST -> joining)
    session_minutes: float
    row_writes_per_session_minute: float | None  # rows inserted, updated, deleted (the scripted runner's)
    writes_by_table: dict[str, int]
    death_to_lost_s: list[float]
    actor_rss_mb: float  # the Ray actor process that supervises one worker (Ray's overhead per session)
    load_avg: float  # 1-minute load average when measuring started (other work skews the timings)


def _pg_writes(url: str) -> dict[str, int]:
    """Rows written per table so far. PostgreSQL's statistics lag: a busy backend publishes its
    counts at a commit at most once a second, an idle one within ten (hence the settling wait)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    with eng.connect() as c:
        rows = c.execute(text("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables")).all()
    eng.dispose()
    return {str(r[0]): int(r[1]) for r in rows}


def _fresh_pg(url: str) -> str:
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"selfcast_scale_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_pg(url: str, db_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{make_url(db_url).database}" WITH (FORCE)'))
    admin.dispose()


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(args: argparse.Namespace) -> Figures:
    import ray
    from ray.util.state import list_actors
    from sqlalchemy import update
    from tests.platform.helpers import (
        REPO,
        RUNNER,
        auth,
        free_port,
        requests,
        start_server,
        stop_server,
        wait_for,
    )
    from tests.platform.ray_cluster import connect, join_node, start_node, wait_node
    from tests.platform.test_pika_contract import png_bytes

    from selfcast.platform.sessions.ray_executor import RayExecutor
    from selfcast.platform.store.models import MeetingSession
    from selfcast.settings import Settings

    load = os.getloadavg()[0]
    pg = args.pg or subprocess.run(["bash", str(ROOT / "scripts/pg.sh")], capture_output=True, text=True).stdout.strip()
    db_url = _fresh_pg(pg) if pg else ""
    work = Path(tempfile.mkdtemp(prefix="scale-"))
    port = free_port()
    head = start_node("head", work, sessions=args.slots, head_port=port)
    extra = None
    live = None
    try:
        connect(head, port, NS)
        wait_node(head)
        conf = {"kind": "ray", "ray_address": f"127.0.0.1:{port}", "ray_namespace": NS}
        settings = Settings(data_dir=work / "data", database_url=db_url, executor=conf,  # type: ignore[arg-type]
                            brain={"provider": "extractive"})  # type: ignore[arg-type]  # fmt: skip
        executor = RayExecutor(settings, runner=RUNNER, heartbeat_s=2.0, kill_after_s=5.0,
                               extra_env={"PYTHONPATH": str(REPO)})  # fmt: skip
        live = start_server(settings, executor=executor, monitor_interval_s=1.0, dead_after_s=60.0)
        _, key = live.account("scale@x.io", credits=100_000)
        h = auth(key)
        avatar = requests.post(f"{live.url}/v1/avatars", headers=h, timeout=10,
                               files={"image": ("me.png", png_bytes(128), "image/png")}).json()["id"]  # fmt: skip

        def status(sid: str) -> dict:  # type: ignore[type-arg]
            return requests.get(f"{live.url}/v1/sessions/{sid}", headers=h, timeout=10).json()  # type: ignore[no-any-return]

        def place() -> tuple[str, float]:
            t0 = time.monotonic()
            r = requests.post(f"{live.url}/v1/sessions", headers=h, timeout=60,
                              json={"meet_url": MEET, "bot_name": "Bench", "avatar_id": avatar})  # fmt: skip
            r.raise_for_status()
            sid = r.json()["session_id"]
            wait_for(lambda: status(sid)["status"] != "created", timeout=60, every=0.02)
            return sid, time.monotonic() - t0

        def leave_all(sids: list[str]) -> None:
            for sid in sids:
                requests.post(f"{live.url}/v1/sessions/{sid}/leave", headers=h, timeout=10)
            for sid in sids:
                wait_for(lambda s=sid: status(s)["status"] in ("closed", "error"), timeout=60)  # type: ignore[misc]
            wait_for(lambda: ray.available_resources().get("selfcast_session", 0) == args.slots, timeout=60)

        placement = []
        for _ in range(args.placements):
            sid, dt = place()
            placement.append(dt)
            leave_all([sid])
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.slots) as pool:
            burst = list(pool.map(lambda _: place()[0], range(args.slots)))
        burst_s = time.monotonic() - t0
        for sid in burst:
            wait_for(lambda s=sid: status(s)["status"] == "ready", timeout=60)  # type: ignore[misc]
        actors = [a for a in list_actors(filters=[("ray_namespace", "=", NS), ("state", "=", "ALIVE")])
                  if a.name and a.name.startswith("selfcast-session-")]  # fmt: skip
        rss = statistics.median(_rss_mb(int(a.pid)) for a in actors if a.pid) if actors else 0.0
        # database writes: the burst's sessions held ready for --minutes with the 2 s heartbeat
        per_min: float | None = None
        by_table: dict[str, int] = {}
        session_minutes = args.slots * args.minutes
        if db_url:
            time.sleep(SETTLE_S)  # the joins' writes published, only the steady state counted
            w0 = _pg_writes(db_url)
            time.sleep(args.minutes * 60)
            w1 = _pg_writes(db_url)
            by_table = {t: w1.get(t, 0) - w0.get(t, 0) for t in w1 if w1.get(t, 0) != w0.get(t, 0)}
            per_min = sum(by_table.values()) / session_minutes
        leave_all(burst)
        # node death: a second node, a session pinned to it, the node killed
        deaths = []
        for i in range(args.deaths):
            extra, _ = join_node(f"x{i}", work, sessions=1, address=f"127.0.0.1:{port}")
            pinned = settings.executor.model_copy(update={"session_resources": {f"node_x{i}": 1}})
            executor.conf = pinned
            sid, _ = place()
            wait_for(lambda s=sid: status(s)["status"] == "ready", timeout=60)  # type: ignore[misc]
            with live.platform.store.write() as db:  # a minute in, so a charge is at stake
                row = db.get(MeetingSession, sid)
                db.execute(update(MeetingSession).where(MeetingSession.id == sid)
                           .values(ready_at=row.ready_at - timedelta(seconds=70)))  # fmt: skip
            t0 = time.monotonic()
            extra.kill()
            wait_for(lambda s=sid: status(s)["status"] == "error", timeout=60, every=0.1)  # type: ignore[misc]
            deaths.append(time.monotonic() - t0)
            extra.stop()
            extra = None
            executor.conf = settings.executor
        return Figures(placement, args.slots, burst_s, session_minutes, per_min, by_table, deaths, rss, load)
    finally:
        if live is not None:
            stop_server(live)
        if extra is not None:
            extra.stop()
        ray.shutdown()
        head.stop()
        shutil.rmtree(work, ignore_errors=True)
        if db_url:
            _drop_pg(pg, db_url)


def model(f: Figures, sessions: int = 1000, node_cores: int = 16) -> dict[str, object]:
    """1,000 concurrent sessions from the per-session figures."""
    per_node = math.floor(SESSIONS_PER_CORE * node_cores)
    nodes = math.ceil(sessions / per_node)
    rss_gb = (LIVE_RSS_MB + f.actor_rss_mb) * sessions / 1024
    writes = None if f.row_writes_per_session_minute is None else f.row_writes_per_session_minute + TALK_ROWS_PER_MIN
    place_p50 = statistics.median(f.placement_s)
    return {
        "sessions": sessions,
        "session_nodes": f"{nodes} nodes of {node_cores} cores ({per_node} sessions each at 2.5 per core)",
        "session_cores": f"{sessions / SESSIONS_PER_CORE:.0f} (peak if all talk at once: {sessions * LIVE_CPU_TALKING:.0f};"
        f" all listening: {sessions * LIVE_CPU_IDLE:.0f})",
        "session_memory_gb": f"{rss_gb:.0f} ({LIVE_RSS_MB:.0f} MB live session, assumed, + {f.actor_rss_mb:.0f} MB Ray actor,"
        " measured); per node " + f"{rss_gb / nodes:.0f} GB",
        "db_row_writes_per_s": None if writes is None else round(writes * sessions / 60),
        "db_row_writes_basis": f"{f.row_writes_per_session_minute} measured per session-minute (heartbeats every 2 s,"
        f" minute charges) + {TALK_ROWS_PER_MIN} assumed for a talking meeting's transcript",
        "db_heartbeat_transactions_per_s": round(sessions / 2.0),
        "db_command_poll_reads_per_s": round(COMMAND_READS_PER_MIN * sessions / 60),
        "api_status_polls_per_s": round(sessions / POLL_EVERY_S),
        "api_cores_for_polls": round(sessions / POLL_EVERY_S * POLL_CPU_MS_PG / 1000, 2),
        "placement": f"{place_p50:.2f} s p50 on a free node; a burst of {f.burst_n} took {f.burst_s:.2f} s on one"
        f" node ({f.burst_n / f.burst_s:.1f}/s); nodes place in parallel, so ~{nodes * f.burst_n / f.burst_s:.0f}/s"
        f" over {nodes} nodes; 1,000 joins at once: ~{sessions / (nodes * f.burst_n / f.burst_s):.0f} s",
        "node_loss": f"{max(f.death_to_lost_s):.1f} s worst to worker_lost ({len(f.death_to_lost_s)} kills); "
        f"{per_node} sessions end with their holds released",
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", default="", help="PostgreSQL URL (default: scripts/pg.sh's; none = no write counts)")
    p.add_argument("--slots", type=int, default=3, help="session slots on the head (the burst and write-count size)")
    p.add_argument("--placements", type=int, default=5, help="single placements to time")
    p.add_argument("--minutes", type=float, default=1.0, help="minutes the sessions are held for the write count")
    p.add_argument("--deaths", type=int, default=2, help="nodes killed under a session")
    p.add_argument("--node-cores", type=int, default=16, help="cores of a session node in the model")
    p.add_argument("--model", default="", help="skip measuring: the model from a figures JSON this bench wrote")
    p.add_argument("--out", default="", help="write the figures and the model to this JSON file")
    args = p.parse_args()
    figures = Figures(**json.loads(Path(args.model).read_text())["figures"]) if args.model else measure(args)
    result = {"figures": asdict(figures), "model": model(figures, node_cores=args.node_cores)}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
