"""Reading a row that belongs to an account: another account's row is reported exactly like a
missing one, so an id never tells a caller that someone else's session, key or voice exists."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from selfcast.errors import NotFound


class AccountOwned(Protocol):
    @property
    def account_id(self) -> str: ...


Row = TypeVar("Row", bound=AccountOwned)


def owned(db: Session, model: type[Row], row_id: object, account_id: str, *, what: str) -> Row:
    """The ``model`` row ``row_id`` when ``account_id`` owns it; NotFound ("no {what} {id} in this
    account") when it is missing or another account's."""
    row = db.get(model, row_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"no {what} {row_id} in this account")
    return row
