"""Helpers that run inside an open ORM transaction, shared by the store's halves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any, TypeVar, cast

from pydantic_core import to_jsonable_python
from sqlalchemy import CursorResult, Select, select
from sqlalchemy.orm import Session

from .models import ACTIVE, HandoffRow, MessageRow, SessionRow, StaffRow, utcnow
from .records import DELIVERIES, ROLES, MessageInfo, NotFound

TRANSCRIPT_LIMIT = 50  # messages copied into a new handoff

R = TypeVar("R")


def record(cls: type[R], row: object) -> R:
    """Copy a row into a frozen record while the ORM session is still open."""
    return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})  # type: ignore[arg-type]


def jsonable(value: Any) -> Any:
    return to_jsonable_python(value)


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")


def as_tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def session_row(s: Session, session_id: str, *, lock: bool = False) -> SessionRow:
    # FOR UPDATE (PostgreSQL) serialises writes per session, so message ids commit in order and a
    # client polling with `after` never skips one. SQLite's BEGIN IMMEDIATE already serialises.
    row = s.get(SessionRow, session_id, with_for_update=lock or None)
    if row is None:
        raise NotFound("会话", session_id)
    return row


def handoff_row(s: Session, handoff_id: str, *, lock: bool = False) -> HandoffRow:
    row = s.get(HandoffRow, handoff_id, with_for_update=lock or None, populate_existing=True)
    if row is None:
        raise NotFound("工单", handoff_id)
    return row


def staff_row(s: Session, staff_id: int) -> StaffRow:
    row = s.get(StaffRow, staff_id)
    if row is None:
        raise NotFound("工作人员", staff_id)
    return row


def active_handoff(session_id: str) -> Select[HandoffRow]:
    return select(HandoffRow).where(HandoffRow.session_id == session_id, HandoffRow.status.in_(ACTIVE))


def recent_transcript(s: Session, session_id: str) -> list[dict[str, str]]:
    stmt = (
        select(MessageRow)
        .where(MessageRow.session_id == session_id)
        .order_by(MessageRow.id.desc())
        .limit(TRANSCRIPT_LIMIT)
    )
    rows = list(s.scalars(stmt))
    return [record(MessageInfo, row).transcript_item() for row in reversed(rows)]


def insert_message(
    s: Session, session: SessionRow, role: str, text: str, payload: Any, delivery: str | None
) -> MessageInfo:
    check_choice(role, ROLES, "role")
    if delivery is not None:
        check_choice(delivery, DELIVERIES, "delivery")
    now = utcnow()
    session.updated_at = now
    row = MessageRow(
        session_id=session.id,
        role=role,
        text=text,
        payload=jsonable(payload),
        created_at=now,
        delivery=delivery,
        delivery_attempts=0,
    )
    s.add(row)
    s.flush()
    return record(MessageInfo, row)
