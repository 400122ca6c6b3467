"""Developer keys carry scopes: an everyday key (``sessions``, the default and what every key made
before scopes has) cannot mint keys; minting needs the portal, the operator CLI, or a key given
``keys:mint``, and a key never grants more than it holds."""

from __future__ import annotations

import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from selfcast.errors import BadInput, Forbidden
from selfcast.platform import accounts, keys
from selfcast.platform.store import Store
from selfcast.platform.store.models import ApiKey
from selfcast.settings import Settings


def _key_rows(store: Store) -> int:
    with store.read() as db:
        return db.scalar(select(func.count()).select_from(ApiKey)) or 0


def test_a_default_key_cannot_mint_keys_but_a_minting_key_can(store: Store) -> None:
    with store.write() as db:
        acct = accounts.sign_up(db, "scopes@x.io", None)
        plain = keys.create(db, acct.id, "plain")
        minter = keys.create(db, acct.id, "minter", "sessions keys:mint")
    assert plain.scopes == ("sessions",) and minter.scopes == ("sessions", "keys:mint")
    with store.read() as db:
        plain_auth, mint_auth = keys.authenticate(db, plain.secret), keys.authenticate(db, minter.secret)
    before = _key_rows(store)
    with store.write() as db, pytest.raises(Forbidden, match="lacks the keys:mint scope"):
        keys.mint_with_key(db, plain_auth, "child", None)
    with store.write() as db:
        child = keys.mint_with_key(db, mint_auth, "child", None)
    assert child.scopes == ("sessions",) and _key_rows(store) == before + 1
    with store.write() as db:
        mint_only = keys.create(db, acct.id, "mint-only", ["keys:mint"])
    with store.read() as db:
        mint_only_auth = keys.authenticate(db, mint_only.secret)
    with store.write() as db, pytest.raises(Forbidden, match="cannot grant scopes it does not hold"):
        keys.mint_with_key(db, mint_only_auth, "wider", ["sessions", "keys:mint"])
    with store.write() as db, pytest.raises(BadInput, match="unknown key scope admin"):
        keys.create(db, acct.id, "x", ["admin"])
    assert _key_rows(store) == before + 2


def test_keys_made_before_scopes_keep_working_for_sessions_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Revision 0004 gives every existing key ``sessions``: it still authenticates, and cannot mint."""
    from alembic import command
    from alembic.config import Config

    from selfcast.platform.store import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with old.write_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.execute(text("INSERT INTO accounts (id, email, developer, created_at) "
                          "VALUES ('acct_old', 'old@x.io', 1, '2026-01-01 00:00:00')"))  # fmt: skip
        conn.execute(text("INSERT INTO api_keys (id, account_id, name, prefix, key_hash, created_at) VALUES "
                          f"('key_old', 'acct_old', 'old', 'dk_oldoldo', '{keys.hash_key('dk_old-secret')}', "
                          "'2026-01-01 00:00:00')"))  # fmt: skip
    old.dispose()
    store = Store.open(url)  # upgrades to head
    with store.read() as db:
        auth = keys.authenticate(db, "dk_old-secret")
        assert auth.account_id == "acct_old" and auth.scopes == ("sessions",)
        assert accounts.get(db, "acct_old").email_verified_at is None
    with store.write() as db, pytest.raises(Forbidden):
        keys.mint_with_key(db, auth, "new", None)
    store.dispose()


def test_the_keys_api_refuses_minting_with_an_everyday_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selfcast.platform.app import create_app

    app = create_app(Settings(data_dir=tmp_path / "data"))
    with TestClient(app) as c:
        store = app.state.platform.store
        with store.write() as db:
            acct = accounts.sign_up(db, "api@x.io", None)
            plain = keys.create(db, acct.id, "plain").secret
            minter = keys.create(db, acct.id, "minter", ["sessions", "keys:mint"]).secret
        before = _key_rows(store)
        r = c.post("/v1/keys", json={"name": "stolen"}, headers={"Authorization": f"Bearer {plain}"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert "portal" in r.json()["error"]["message"] and _key_rows(store) == before
        assert c.get("/v1/keys", headers={"Authorization": f"Bearer {plain}"}).status_code == 200  # still works
        r = c.post("/v1/keys", json={"name": "ci"}, headers={"Authorization": f"Bearer {minter}"})
        assert r.status_code == 201 and r.json()["scopes"] == "sessions" and _key_rows(store) == before + 1


def test_operator_cli_grants_scopes_and_refuses_unknown_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, "SELFCAST_DATA_DIR": str(tmp_path)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "selfcast.cli.main", "keys", *args],
                              env=env, capture_output=True, text=True, timeout=60)  # fmt: skip

    ok = cli("create", "--email", "op@x.io", "--name", "ci", "--scope", "sessions", "--scope", "keys:mint")
    assert ok.returncode == 0 and ok.stdout.strip().startswith("dk_") and "[sessions keys:mint]" in ok.stderr
    bad = cli("create", "--email", "op@x.io", "--scope", "root")
    assert bad.returncode == 2 and "unknown key scope root" in bad.stderr
    listed = cli("list", "--email", "op@x.io")
    assert listed.stdout.count("dk_") == 1 and "[sessions keys:mint]" in listed.stdout  # nothing half-written
