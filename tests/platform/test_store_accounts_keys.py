from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from selfcast.errors import BadInput, Conflict, NotFound, Unauthorized
from selfcast.platform import accounts, keys
from selfcast.platform.store import Store
from selfcast.platform.store.models import ApiKey


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from selfcast.platform.store import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_migrations_create_every_table_and_reopen_is_idempotent(store: Store, db_url: str) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "accounts",
        "api_keys",
        "ledger_entries",
        "holds",
        "topups",
        "webhook_events",
        "sessions",
        "voices",
        "uploads",
        "avatars",
        "alembic_version",
    } <= tables
    again = Store.open(db_url)  # second start applies nothing and does not fail
    with again.read() as db:
        assert db.scalar(text("select version_num from alembic_version")) == head_revision()
    again.dispose()


def test_sqlite_store_runs_in_wal_mode(tmp_path) -> None:
    s = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    with s.read() as db:
        assert db.scalar(text("PRAGMA journal_mode")) == "wal"
    s.dispose()


@pytest.mark.slow
def test_signup_hashes_password_with_argon2_and_login_checks_it(store: Store) -> None:
    with store.write() as db:
        acct = accounts.sign_up(db, "Ada@Example.com", "correct horse")
    with store.read() as db:
        row = accounts.get(db, acct.id)
        assert row.email == "ada@example.com"
        assert row.password_hash.startswith("$argon2id$") and "correct horse" not in row.password_hash
        assert row.developer is True
    with store.write() as db:
        assert accounts.login(db, "ada@example.com", "correct horse").id == acct.id
        with pytest.raises(Unauthorized):
            accounts.login(db, "ada@example.com", "wrong password")
        with pytest.raises(Unauthorized):
            accounts.login(db, "nobody@example.com", "whatever1")


def test_signup_rejects_duplicates_bad_email_and_short_password(store: Store) -> None:
    with store.write() as db:
        accounts.sign_up(db, "a@x.io", "longenough")
    with pytest.raises(Conflict), store.write() as db:
        accounts.sign_up(db, "A@X.io", "longenough")
    with pytest.raises(BadInput, match="not an email"), store.write() as db:
        accounts.sign_up(db, "not-an-email", "longenough")
    with pytest.raises(BadInput, match="too short"), store.write() as db:
        accounts.sign_up(db, "b@x.io", "short")


def test_key_is_shown_once_stored_as_hash_and_prefix_only(store: Store) -> None:
    with store.write() as db:
        acct = accounts.sign_up(db, "k@x.io", None)
        new = keys.create(db, acct.id, "laptop")
    assert new.secret.startswith("dk_") and len(new.secret) >= 3 + 43  # 32 random bytes, base64url
    assert new.secret.startswith(new.prefix) and len(new.prefix) == 11
    with store.read() as db:
        row = db.get(ApiKey, new.id)
        assert row.key_hash == keys.hash_key(new.secret) and new.secret not in (row.key_hash, row.prefix)
        auth = keys.authenticate(db, new.secret)
        assert auth.account_id == acct.id and auth.needs_touch


def test_key_last_used_is_touched_and_revoked_key_is_refused(store: Store) -> None:
    with store.write() as db:
        acct = accounts.sign_up(db, "r@x.io", None)
        new = keys.create(db, acct.id)
    with store.write() as db:
        keys.touch(db, new.id)
    with store.read() as db:
        auth = keys.authenticate(db, new.secret)
        assert auth.last_used_at is not None and not auth.needs_touch
    with store.write() as db:
        keys.revoke(db, acct.id, new.id)
    with pytest.raises(Unauthorized, match="revoked"), store.read() as db:
        keys.authenticate(db, new.secret)


def test_revoking_another_accounts_key_is_not_found(store: Store) -> None:
    with store.write() as db:
        a = accounts.sign_up(db, "a@x.io", None)
        b = accounts.sign_up(db, "b@x.io", None)
        kb = keys.create(db, b.id)
    with pytest.raises(NotFound), store.write() as db:
        keys.revoke(db, a.id, kb.id)
    with store.read() as db:
        assert db.scalar(select(ApiKey.revoked_at).where(ApiKey.id == kb.id)) is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing Authorization"),
        ("", "missing Authorization"),
        ("Basic dk_abc", "DevKey"),
        ("DevKey", "DevKey"),
        ("Bearer sk_live_123", "start with dk_"),
    ],
)
def test_authorization_header_forms_that_are_refused(header: str | None, message: str) -> None:
    with pytest.raises(Unauthorized, match=message):
        keys.parse_authorization(header)


def test_both_devkey_and_bearer_schemes_are_accepted() -> None:
    assert keys.parse_authorization("DevKey dk_abc") == "dk_abc"
    assert keys.parse_authorization("Bearer dk_abc") == "dk_abc"
    assert keys.parse_authorization("bearer  dk_abc ") == "dk_abc"


def test_keys_need_developer_mode(store: Store) -> None:
    with store.write() as db:
        acct = accounts.sign_up(db, "plain@x.io", "longenough", developer=False)
    with pytest.raises(Conflict, match="developer mode"), store.write() as db:
        keys.create(db, acct.id)
    with store.write() as db:
        accounts.set_developer(db, acct.id, True)
        assert keys.create(db, acct.id).secret.startswith("dk_")
