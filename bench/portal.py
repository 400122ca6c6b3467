"""Portal page latency: one signed-in browser's requests against a running server (uvicorn, one
worker, SQLite), sequential, keep-alive. The Usage page is measured with 50 sessions and a month
of per-minute charges in the ledger; sign-in includes its argon2 check.

    .venv/bin/python bench/portal.py --requests 200
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.portal.helpers import start_portal

from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.ids import new_id, utcnow
from selfcast.platform.store.models import MeetingSession

PASSWORD = "bench password"


def seed(portal, account_id: str, sessions: int = 50) -> None:  # type: ignore[no-untyped-def]
    with portal.store.write() as db:
        ledger.credit(db, account_id, 100_000, kind="grant", note="bench")
        for i in range(sessions):
            sid = new_id("sess")
            start = utcnow() - timedelta(days=i % 30, hours=1)
            db.add(MeetingSession(id=sid, account_id=account_id, state="closed", platform="room",
                                  meet_url="http://x/room/r", bot_name=f"bot {i}", voice_id="joe",
                                  created_at=start, updated_at=start, ready_at=start,
                                  ended_at=start + timedelta(minutes=10)))  # fmt: skip
            db.flush()
            ledger.reserve(db, account_id, sid, 10 * 27_500, min_available_milli=0)
            for m in range(10):
                ledger.capture(db, sid, m, 27_500)
            ledger.release(db, sid)


def timed(fn, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    portal = start_portal(tmp / "data", tmp / "shots")
    try:
        c = httpx.Client(base_url=portal.url, timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/signup").text).group(1)
        c.post("/signup", data={"email": "bench@example.com", "password": PASSWORD, "password2": PASSWORD,
                                "csrf_token": token})  # fmt: skip
        with portal.store.read() as db:
            seed(portal, accounts.by_email(db, "bench@example.com").id)
        anon = httpx.Client(base_url=portal.url, timeout=30)
        anon_token = re.search(r'name="csrf_token" value="([^"]+)"', anon.get("/signin").text).group(1)

        def signin() -> None:
            r = anon.post("/signin", data={"email": "bench@example.com", "password": PASSWORD,
                                           "csrf_token": anon_token})  # fmt: skip
            assert r.status_code == 303
            anon.cookies.delete("sc_session")

        cases = {
            "GET /account/model-settings": lambda: c.get("/account/model-settings").raise_for_status(),
            "GET /account/usage (50 sessions)": lambda: c.get("/account/usage").raise_for_status(),
            "GET /account/topup": lambda: c.get("/account/topup").raise_for_status(),
            "POST /signin (argon2)": signin,
        }
        print(f"{'request':36} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8}")
        for name, fn in cases.items():
            n = args.requests if "signin" not in name else max(20, args.requests // 10)
            fn()  # warm
            ms = sorted(timed(fn, n))
            p50, p95 = statistics.median(ms), ms[int(len(ms) * 0.95) - 1]
            print(f"{name:36} {p50:8.1f} {p95:8.1f} {1000 / statistics.mean(ms):8.0f}")
    finally:
        portal.server.stop()


if __name__ == "__main__":
    main()
