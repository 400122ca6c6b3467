"""The Memory page: what the account's bots remember across meetings, each item with a Forget
button (CSRF-checked like every portal form); forgetting removes it from disk."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from selfcast.brain.memory import AccountMemory
from selfcast.errors import BadInput, NotFound
from selfcast.platform.portal.web import Portal

PAGE = 50


def add_routes(router: APIRouter, portal: Portal) -> None:
    csrf = Depends(portal.check_csrf)

    @router.get("/account/memory")
    def memory_page(request: Request, q: str = "", bot: str = "", page: int = 1) -> Response:
        viewer = portal.viewer(request)
        if page < 1:
            raise BadInput("page must be 1 or more")
        book = AccountMemory(portal.settings.data_dir, viewer.account_id)
        found = book.list(bot=bot, q=q[:200], offset=(page - 1) * PAGE, limit=PAGE)
        return portal.render(
            request, "memory.html", active="memory", rows=[(i, datetime.fromtimestamp(i.at, UTC)) for i in found.items], total=found.total, page=page,
            pages=max(1, -(-found.total // PAGE)), q=q, bot=bot, bots=book.bots(),
        )  # fmt: skip

    @router.post("/account/memory/{memory_id}/forget", dependencies=[csrf])
    def forget(request: Request, memory_id: str) -> Response:
        viewer = portal.viewer(request)
        gone = AccountMemory(portal.settings.data_dir, viewer.account_id).forget(memory_id)
        if gone is None:
            raise NotFound(f"no memory {memory_id} in this account")
        resp = portal.redirect("/account/memory")
        portal.flash(request, resp, f"Forgotten: “{gone.text[:80]}”. No later meeting will know it.")
        return resp
