"""The portal's own tables and queries on PostgreSQL (migration 0002, sessions, reveal, defaults,
usage by day). Runs when SELFCAST_TEST_PG_URL names a server (``make test`` starts one)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from selfcast.platform import accounts
from selfcast.platform.payments import topups
from selfcast.settings import Settings
from tests.portal.helpers import csrf_of, sign_up

pytestmark = [pytest.mark.postgres]
def test_portal_pages_work_on_postgresql(pg_database: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selfcast.platform.app import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", database_url=pg_database))
    with TestClient(app, base_url="http://127.0.0.1:8787") as c:
        sign_up(c, "pg@example.com", "postgres pw")
        t = csrf_of(c.get("/account/model-settings").text)
        page = c.post("/account/keys", data={"name": "pg", "csrf_token": t}).text
        key = re.search(r"dk_[A-Za-z0-9_-]{40,}", page).group(0)
        assert key not in c.get("/account/model-settings").text
        assert c.post("/account/defaults", data={"bot_name": "PG bot", "language": "de", "max_duration_min": "30",
                                                 "csrf_token": t}, follow_redirects=False).status_code == 303  # fmt: skip
        r = c.post("/account/topup", data={"product_id": "pack_800", "csrf_token": t}, follow_redirects=False)
        topup_id = r.headers["location"].rsplit("/", 1)[1]
        store = app.state.platform.store
        with store.write() as db:
            topups.approve(db, topup_id)
        assert c.get(f"/account/topup/{topup_id}/status.json").json()["balance"] == 800
        usage = c.get("/account/usage")
        assert usage.status_code == 200 and 'id="balance">800<' in usage.text
        assert c.get("/v1/balance", headers={"Authorization": f"Bearer {key}"}).json()["balance"] == 800
        with store.read() as db:
            assert accounts.by_email(db, "pg@example.com").developer
