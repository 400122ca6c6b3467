"""API benchmark: session-status polls per second on ONE uvicorn worker.

    .venv/bin/python bench/api.py                    # SQLite (the embedded default)
    .venv/bin/python bench/api.py --pg URL           # PostgreSQL
    .venv/bin/python bench/api.py --seconds 10 --clients 2 --conns 8

What is measured: ``GET /proxy/realtime/session/{id}`` with ``Authorization: DevKey dk_…``, the
exact poll the Pika skill sends every 2 s while joining. Each request does the real work: key
lookup by hash, account-scoped session read, JSON in both shapes. The server is ``selfcast``'s
app under uvicorn with one worker, started as its own process; the load comes from separate
client processes holding keep-alive connections (on a 2-core machine they compete with the
server for CPU, so the figure is a floor). Prints one JSON line with the figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(db_url: str, data_dir: Path) -> tuple[str, str]:
    """An account, a key, and a session to poll (written straight to the store)."""
    from selfcast.platform import accounts, keys
    from selfcast.platform.billing import ledger
    from selfcast.platform.sessions.registry import SessionRegistry, SessionRequest
    from selfcast.platform.store import Store
    from selfcast.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=db_url)
    store = Store.open(db_url)
    with store.write() as db:
        acct = accounts.sign_up(db, f"bench{time.time_ns()}@x.io", None)
        key = keys.create(db, acct.id, "bench")
        ledger.credit(db, acct.id, 1000, kind="grant")
    sid = "sess_bench" + str(time.time_ns())[-8:]
    reg = SessionRegistry(store, settings)
    reg.create(acct.id, sid, SessionRequest(meet_url="https://meet.google.com/abc-defg-hij", platform="google_meet", bot_name="Bench", voice_id="English_radiant_girl"))
    store.dispose()
    return key.secret, sid


def client(port: int, path: str, key: str, conns: int, seconds: float, start_at: float, q: mp.Queue) -> None:
    import threading

    counts = [0] * conns
    errors = [0] * conns
    lat: list[float] = []

    def loop(i: int) -> None:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Authorization": f"DevKey {key}", "X-Skill-Name": "pikastream-video-meeting"}
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + seconds
        while True:
            t0 = time.perf_counter()
            if time.time() >= end:
                break
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            body = r.read()
            if r.status == 200 and b'"status"' in body:
                counts[i] += 1
            else:
                errors[i] += 1
            if i == 0 and counts[0] % 20 == 0:
                lat.append(time.perf_counter() - t0)
        c.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q.put((sum(counts), sum(errors), lat))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default="", help="PostgreSQL URL (default: SQLite in a temp dir)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=2, help="client processes")
    ap.add_argument("--conns", type=int, default=4, help="keep-alive connections per client process")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="selfcast-bench-"))
    db_url = args.pg or f"sqlite:///{tmp / 'selfcast.db'}"
    key, sid = seed(db_url, tmp)
    port = free_port()
    env = {**os.environ, "SELFCAST_DATA_DIR": str(tmp), "SELFCAST_DATABASE_URL": db_url, "SELFCAST_PORT": str(port), "SELFCAST_LOG_LEVEL": "warning"}
    env.pop("SELFCAST_CONFIG", None)
    server = subprocess.Popen([sys.executable, "-m", "selfcast.cli.main", "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()[-2000:] if server.stderr else ''}")
            time.sleep(0.1)
        path = f"/proxy/realtime/session/{sid}"
        # warm-up
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(200):
            c.request("GET", path, headers={"Authorization": f"DevKey {key}"})
            r = c.getresponse()
            body = r.read()
        assert r.status == 200, body
        c.close()

        def cpu_s() -> float:
            fields = Path(f"/proc/{server.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        q: mp.Queue = mp.Queue()
        start_at = time.time() + 1.0
        procs = [mp.Process(target=client, args=(port, path, key, args.conns, args.seconds, start_at, q)) for _ in range(args.clients)]
        for p in procs:
            p.start()
        while time.time() < start_at:
            time.sleep(0.001)
        cpu0 = cpu_s()
        results = [q.get(timeout=args.seconds + 60) for _ in procs]
        cpu_used = cpu_s() - cpu0
        for p in procs:
            p.join()
        ok = sum(r[0] for r in results)
        errors = sum(r[1] for r in results)
        lat = sorted(x for r in results for x in r[2])
        p50 = lat[len(lat) // 2] * 1000 if lat else float("nan")
        p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else float("nan")
        out = {
            "bench": "api.session_status_polls",
            "database": "postgresql" if args.pg else "sqlite",
            "server_workers": 1,
            "client_processes": args.clients,
            "connections": args.clients * args.conns,
            "seconds": args.seconds,
            "polls_per_s": round(ok / args.seconds, 1),
            "server_cpu_ms_per_poll": round(cpu_used * 1000 / max(ok, 1), 3),
            "polls_per_server_cpu_s": round(ok / cpu_used, 1) if cpu_used else None,
            "errors": errors,
            "latency_ms_p50": round(p50, 2),
            "latency_ms_p99": round(p99, 2),
            "cpus": os.cpu_count(),
        }
        print(json.dumps(out))
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
