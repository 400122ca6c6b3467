"""FastAPI dependencies: the per-app ``Platform`` and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from selfcast.platform import keys
from selfcast.platform.context import Platform


def get_platform(request: Request) -> Platform:
    return request.app.state.platform  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Caller:
    account_id: str
    key_id: str
    auth: keys.KeyAuth  # the key's scopes decide what beyond sessions it may do (e.g. mint keys)


def get_caller(request: Request) -> Caller:
    """Resolve ``Authorization: DevKey dk_…`` / ``Bearer dk_…`` to an account (401 otherwise)."""
    platform: Platform = request.app.state.platform
    secret = keys.parse_authorization(request.headers.get("authorization"))
    with platform.store.read() as db:
        auth = keys.authenticate(db, secret)
    if auth.needs_touch:
        with platform.store.write() as db:
            keys.touch(db, auth.key_id)
    return Caller(auth.account_id, auth.key_id, auth)


PlatformDep = Annotated[Platform, Depends(get_platform)]
CallerDep = Annotated[Caller, Depends(get_caller)]
