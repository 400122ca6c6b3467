"""The operator CLI: keys, credits (including a refused negative grant), doctor, and ``demo``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from selfcast.cli.main import main
from selfcast.platform import accounts
from selfcast.platform.billing import ledger
from selfcast.platform.payments import topups
from selfcast.platform.payments.invoice import InvoiceProvider
from selfcast.platform.store import Store
from selfcast.platform.store.models import LedgerEntry
from selfcast.settings import Settings
from tests.platform.helpers import free_port


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SELFCAST_CONFIG", raising=False)
    monkeypatch.delenv("SELFCAST_DATABASE_URL", raising=False)
    monkeypatch.setenv("SELFCAST_DATA_DIR", str(tmp_path / "data"))
    return Settings()


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_keys_create_list_revoke(cli_env: Settings, capsys: pytest.CaptureFixture) -> None:
    code, out, err = run(capsys, "keys", "create", "--email", "Op@X.io", "--name", "laptop")
    assert code == 0 and "shown this once" in err
    key = out.strip()
    assert re.fullmatch(r"dk_[A-Za-z0-9_-]{43}", key)
    code, out, _ = run(capsys, "keys", "list", "--email", "op@x.io")
    assert code == 0 and key[:11] in out and key not in out and "active" in out
    key_id = out.split()[0]
    assert run(capsys, "keys", "revoke", key_id)[0] == 0
    assert "revoked" in run(capsys, "keys", "list", "--email", "op@x.io")[1]
    code, _, err = run(capsys, "keys", "revoke", "key_nope")
    assert code == 3 and "no key" in err


def test_credits_grant_refuses_negative_and_approve_credits_an_invoice_once(
    cli_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    run(capsys, "keys", "create", "--email", "c@x.io")
    code, _, err = run(capsys, "credits", "grant", "-50", "--email", "c@x.io")
    assert code == 2 and "positive whole number" in err
    code, _, err = run(capsys, "credits", "grant", "0", "--email", "c@x.io")
    assert code == 2
    code, out, _ = run(capsys, "credits", "grant", "150", "--email", "c@x.io")
    assert code == 0 and "balance 150" in out
    code, _, err = run(capsys, "credits", "grant", "10", "--email", "nobody@x.io")
    assert code == 3 and "no account" in err

    store = Store.open(cli_env.db_url)
    with store.read() as db:
        acct = accounts.by_email(db, "c@x.io")
    t = topups.start(store, InvoiceProvider(cli_env), cli_env.pricing, acct.id, "pack_800")
    code, out, _ = run(capsys, "credits", "balance", "--pending")
    assert t.id in out
    code, out, _ = run(capsys, "credits", "approve", t.id)
    assert code == 0 and "balance 950" in out
    code, _, err = run(capsys, "credits", "approve", t.id)
    assert code == 3 and "already paid" in err
    code, out, _ = run(capsys, "credits", "balance", "--email", "c@x.io")
    assert "950 available" in out
    with store.read() as db:
        assert ledger.balance(db, acct.id).available == 950
        assert (
            db.scalar(select(func.count()).select_from(LedgerEntry)) == 2
        )  # the refused grants wrote nothing
    store.dispose()


def test_doctor_reports_each_check_and_exits_nonzero_only_on_failures(
    cli_env: Settings, capsys: pytest.CaptureFixture
) -> None:
    try:
        code = main(["doctor"])
    except SystemExit as exc:  # doctor exits 1 when a check fails
        code = exc.code
    out = capsys.readouterr().out
    for name in ("chromium", "database", "free disk", "live engine"):
        assert name in out
    assert "[ok  ] database" in out
    assert code == (1 if "[FAIL]" in out else 0)


@pytest.mark.slow
def test_demo_serves_with_a_working_key_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "SELFCAST_DATA_DIR": str(tmp_path / "demo"),
        "SELFCAST_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SELFCAST_DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfcast.cli.main", "demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        deadline = time.time() + 90
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Ctrl-C stops" in line:
                break
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text, text
        key = re.search(r"\b(dk_[A-Za-z0-9_-]{43})\b", text).group(1)
        r = requests.get(
            f"http://127.0.0.1:{port}/developer/balance",
            headers={"Authorization": f"DevKey {key}"},
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["balance"] == 800
        assert proc.poll() is None  # still in the foreground
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
