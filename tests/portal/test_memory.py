"""Seeing and deleting memory across meetings, on a real server with SQLite: ``GET /v1/memory``
(paginated, filtered, account-scoped), ``DELETE /v1/memory/{id}`` (another account's id is a 404),
``selfcast memory list|forget`` and the portal's Memory page with its CSRF-checked Forget button.
Memories are written the way a session worker writes them (``MemoryStore.remember``)."""

from __future__ import annotations

import json

import httpx

from selfcast.brain.memory import MeetingInfo, MemoryStore, Workspace, account_root
from selfcast.brain.notes import ActionItem, MeetingNotes
from selfcast.platform import accounts, keys
from tests.portal.helpers import Portal, csrf_of, sign_up

PASSWORD = "a long enough password"
WEBSHOP = Workspace.of_prompt("Reference card: Ada, webshop\n")
LIGHTHOUSE = Workspace.of_prompt("Reference card: Ada, lighthouse\n")


def _account(portal: Portal, email: str) -> tuple[str, str]:
    with portal.store.write() as db:
        acct = accounts.get_or_create(db, email)
        return acct.id, keys.create(db, acct.id, "test").secret


def _seed(portal: Portal, account_id: str) -> None:
    root = account_root(portal.settings.data_dir, account_id)
    MemoryStore(root, "Ada", workspace=WEBSHOP).remember(
        MeetingNotes("We planned the checkout.", decisions=["Move the checkout to the new payment page by Friday"],
                     action_items=[ActionItem("Bob", "write the migration script")], attendees=["Bob"]),
        meeting=MeetingInfo("sess_one", at=1_700_000_000.0, platform="zoom"), exchanges=[("Bob", "Is it live?")])
    MemoryStore(root, "Ada", workspace=LIGHTHOUSE).remember(
        MeetingNotes("", decisions=["The rain gauge ships in March"]), meeting=MeetingInfo("sess_two", at=1_700_100_000.0))
    MemoryStore(root, "Robin").add("Robin's team uses <b>Postgres</b> 16", meeting_id="sess_three", at=1_700_200_000.0)


def test_api_lists_filters_pages_and_deletes_only_the_callers_memory(portal: Portal) -> None:
    a_id, a = _account(portal, "mem-a@example.com")
    b_id, b = _account(portal, "mem-b@example.com")
    _seed(portal, a_id)
    MemoryStore(account_root(portal.settings.data_dir, b_id), "Ada").add("B's secret plan is tea", meeting_id="x")

    assert portal.api("GET", "/v1/memory").status_code == 401
    r = portal.api("GET", "/v1/memory", a)
    assert r.status_code == 200, r.text
    body = r.json()
    texts = [i["text"] for i in body["items"]]
    assert body["total"] == len(texts) == 7 and "B's secret plan is tea" not in texts
    assert texts[0] == "Robin's team uses <b>Postgres</b> 16"  # newest first
    decision = next(i for i in body["items"] if i["kind"] == "decision" and "checkout" in i["text"])
    assert decision | {"id": "", "at": 0} == {
        "id": "", "at": 0, "text": "Decided: Move the checkout to the new payment page by Friday", "kind": "decision",
        "bot": "Ada", "meeting_id": "sess_one", "workspace": WEBSHOP.key, "workspace_name": "Ada, webshop",
        "platform": "zoom", "title": "", "owner": ""}
    action = next(i for i in body["items"] if i["kind"] == "action")
    assert action["owner"] == "Bob" and action["text"] == "Bob will write the migration script"

    assert [i["bot"] for i in portal.api("GET", "/v1/memory?bot=Robin", a).json()["items"]] == ["Robin"]
    ws = portal.api("GET", "/v1/memory", a, params={"workspace": "Ada, lighthouse"}).json()
    assert [i["text"] for i in ws["items"]] == ["Decided: The rain gauge ships in March"]
    assert portal.api("GET", f"/v1/memory?workspace={WEBSHOP.key}", a).json()["total"] == 5
    assert portal.api("GET", "/v1/memory?q=migration+script", a).json()["total"] == 1
    pages = [portal.api("GET", f"/v1/memory?limit=3&offset={o}", a).json() for o in (0, 3, 6)]
    assert [i["text"] for p in pages for i in p["items"]] == texts and {p["total"] for p in pages} == {7}
    assert portal.api("GET", "/v1/memory?limit=0", a).status_code in (400, 422)

    # another account's id reads exactly like a missing one, and deletes nothing
    r = portal.api("DELETE", f"/v1/memory/{decision['id']}", b)
    assert r.status_code == 404 and "no memory" in r.text
    assert portal.api("GET", "/v1/memory", a).json()["total"] == 7
    r = portal.api("DELETE", f"/v1/memory/{decision['id']}", a)
    assert r.status_code == 200 and r.json() == {"id": decision["id"], "deleted": True}
    assert portal.api("DELETE", f"/v1/memory/{decision['id']}", a).status_code == 404
    assert portal.api("DELETE", "/v1/memory/..%2F..%2Fetc", a).status_code == 404
    # gone from the list, from disk, and from what the next meeting's brain searches
    assert decision["id"] not in portal.api("GET", "/v1/memory", a).text
    on_disk = (account_root(portal.settings.data_dir, a_id) / "Ada" / "memory.jsonl").read_text()
    assert decision["id"] not in on_disk and "new payment page" not in on_disk
    hits = MemoryStore(account_root(portal.settings.data_dir, a_id), "Ada", workspace=WEBSHOP).search(
        "what did we decide about the checkout?")
    assert not [h for h in hits if h.kind == "decision"]
    assert portal.api("GET", "/v1/memory", b).json()["total"] == 1  # B's memory untouched


def test_cli_lists_and_forgets(portal: Portal) -> None:
    a_id, _ = _account(portal, "mem-cli@example.com")
    _seed(portal, a_id)
    r = portal.cli("memory", "list", "--email", "mem-cli@example.com", "--json", "--bot", "Ada", "-q", "checkout")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert {x["kind"] for x in rows} == {"discussed", "decision"} and "1-2 of 2 memories" in r.stderr
    r = portal.cli("memory", "list", "--email", "mem-cli@example.com")
    assert r.returncode == 0 and "Robin's team uses <b>Postgres</b> 16" in r.stdout and "[Ada, webshop]" in r.stdout
    gone = next(x["id"] for x in rows if x["kind"] == "decision")
    r = portal.cli("memory", "forget", gone, "--email", "mem-cli@example.com")
    assert r.returncode == 0 and f"forgot {gone}" in r.stdout
    r = portal.cli("memory", "forget", gone, "--email", "mem-cli@example.com")
    assert r.returncode == 3 and f"no memory {gone} in this account" in r.stderr
    r = portal.cli("memory", "list", "--email", "nobody@example.com")
    assert r.returncode == 3 and "no account for nobody@example.com" in r.stderr


def test_portal_page_lists_memory_and_forgets_with_csrf(portal: Portal) -> None:
    c = httpx.Client(base_url=portal.url, timeout=30)
    sign_up(c, "mem-page@example.com", PASSWORD)
    with portal.store.read() as db:
        a_id = accounts.by_email(db, "mem-page@example.com").id
    _seed(portal, a_id)
    other_id, _ = _account(portal, "mem-page-other@example.com")
    MemoryStore(account_root(portal.settings.data_dir, other_id), "Ada").add("Other's plan", meeting_id="x")
    foreign = MemoryStore(account_root(portal.settings.data_dir, other_id), "Ada").items()[0].id

    page = c.get("/account/memory")
    assert page.status_code == 200 and 'href="/account/memory" aria-current="page"' in page.text
    assert "Move the checkout to the new payment page by Friday" in page.text and "Other&#39;s plan" not in page.text
    assert "&lt;b&gt;Postgres&lt;/b&gt;" in page.text  # escaped, never rendered
    assert "Ada, webshop" in page.text and "7 items" in page.text
    ids = [x.split('"')[0] for x in page.text.split('action="/account/memory/')[1:]]
    target = ids[0].split("/")[0]
    assert c.post(f"/account/memory/{target}/forget").status_code == 403  # no CSRF token
    assert f"/account/memory/{target}/forget" in c.get("/account/memory").text
    token = csrf_of(page.text)
    r = c.post(f"/account/memory/{target}/forget", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/memory"
    after = c.get("/account/memory")
    assert f"/account/memory/{target}/forget" not in after.text and "Forgotten:" in after.text
    assert "6 items" in after.text
    r = c.post(f"/account/memory/{foreign}/forget", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 404
    assert MemoryStore(account_root(portal.settings.data_dir, other_id), "Ada").items()[0].id == foreign
    filtered = c.get("/account/memory", params={"q": "rain gauge"})
    assert "The rain gauge ships in March" in filtered.text and "1 item)" in filtered.text


def test_in_a_browser_the_memory_page_forgets_an_item(portal: Portal, browser) -> None:  # type: ignore[no-untyped-def]
    from tests.portal.helpers import browser_sign_up, screenshot

    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    browser_sign_up(page, portal.url, "mem-browser@example.com", PASSWORD)
    with portal.store.read() as db:
        _seed(portal, accounts.by_email(db, "mem-browser@example.com").id)
    page.get_by_role("link", name="Memory").click()
    page.wait_for_url("**/account/memory")
    row = page.locator("tr", has_text="Bob will write the migration script")
    assert row.count() == 1 and "action" in row.inner_text()
    screenshot(page, portal.shots, "memory")
    row.get_by_role("button", name="Forget").click()
    page.get_by_text("No later meeting will know it.").wait_for()
    assert page.locator("tr", has_text="Bob will write the migration script").count() == 0
    assert page.locator("tr", has_text="Robin's team uses <b>Postgres</b> 16").count() == 1
    ctx.close()
