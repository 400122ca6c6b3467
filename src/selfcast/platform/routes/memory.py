"""What an account's bots remember across meetings: ``GET /v1/memory`` lists it, ``DELETE
/v1/memory/{id}`` forgets one item for good (gone from the file, so from every later meeting).

Memory lives in ``<data_dir>/memory/<account>/`` (see ``selfcast.brain.memory``), written by the
session workers; an id of another account's memory is answered exactly like a missing one.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from selfcast.brain.memory import AccountMemory, MemoryItem
from selfcast.errors import NotFound
from selfcast.platform.deps import CallerDep, PlatformDep


class MemoryOut(BaseModel):
    id: str
    text: str
    kind: str
    bot: str
    meeting_id: str
    at: float
    workspace: str
    workspace_name: str
    platform: str
    title: str
    owner: str

    @classmethod
    def of(cls, item: MemoryItem) -> MemoryOut:
        return cls(**item.to_dict())  # type: ignore[arg-type]


class MemoryList(BaseModel):
    items: list[MemoryOut]
    total: int
    offset: int
    limit: int


class Forgotten(BaseModel):
    id: str
    deleted: bool


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["memory"])

    @router.get("/memory", response_model=MemoryList)
    def list_memory(
        platform: PlatformDep,
        caller: CallerDep,
        bot: str = Query("", max_length=100, description="only this bot's memory (its name)"),
        workspace: str = Query("", max_length=200, description="only this workspace (its id or name)"),
        q: str = Query("", max_length=200, description="words the memory must contain"),
        offset: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=200),
    ) -> MemoryList:
        """Newest first, paginated with ``offset``/``limit``; ``total`` counts every match."""
        page = AccountMemory(platform.settings.data_dir, caller.account_id).list(
            bot=bot, workspace=workspace, q=q, offset=offset, limit=limit)
        return MemoryList(items=[MemoryOut.of(i) for i in page.items], total=page.total, offset=page.offset,
                          limit=page.limit)

    @router.delete("/memory/{memory_id}", response_model=Forgotten)
    def forget_memory(memory_id: str, platform: PlatformDep, caller: CallerDep) -> Forgotten:
        """Delete one memory; 404 when this account has none with that id."""
        if AccountMemory(platform.settings.data_dir, caller.account_id).forget(memory_id) is None:
            raise NotFound(f"no memory {memory_id} in this account")
        return Forgotten(id=memory_id, deleted=True)

    return router
