"""Curated answers: staff corrections as drafts, an admin's review, the founder-side lookup.

Only `approved` rows are ever served; the lookup is an indexed equality on (status, question_key),
and the e5 vectors of approved rows are read only when their version (count, last change) moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import CuratedRow, HandoffRow, utcnow
from .records import CURATED_STATUSES, CuratedInfo, NotFound
from .rows import as_tuple, check_choice, record, rowcount


class CuratedStore:
    """Mixed into `Store`; every method runs in its own short transaction like the rest."""

    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def add_curated(
        self,
        question: str,
        answer: str,
        center_name: str | None = None,
        staff_id: int | None = None,
        handoff_id: str | None = None,
        *,
        question_key: str = "",
        author_name: str | None = None,
    ) -> CuratedInfo:
        """A staff correction, stored as a draft: no founder sees it until an admin approves it."""
        now = utcnow()
        row = CuratedRow(
            question=question,
            answer=answer,
            center_name=center_name,
            staff_id=staff_id,
            handoff_id=handoff_id,
            created_at=now,
            updated_at=now,
            status="draft",
            question_key=question_key[:200],
            author_name=author_name,
        )
        try:
            with self._write() as s:
                s.add(row)
                s.flush()
                return record(CuratedInfo, row)
        except IntegrityError as exc:
            raise NotFound("工作人员或工单", f"staff={staff_id} handoff={handoff_id}") from exc

    def curated_answers(
        self, status: str | Iterable[str] | None = None, limit: int = 1000
    ) -> list[CuratedInfo]:
        """Newest first; `status` narrows to draft / approved / rejected / disabled."""
        stmt = select(CuratedRow)
        if status is not None:
            stmt = stmt.where(CuratedRow.status.in_(as_tuple(status)))
        stmt = stmt.order_by(CuratedRow.id.desc()).limit(limit)
        with self._read() as s:
            return [record(CuratedInfo, row) for row in s.scalars(stmt)]

    def get_curated(self, curated_id: int) -> CuratedInfo | None:
        with self._read() as s:
            row = s.get(CuratedRow, curated_id)
            return record(CuratedInfo, row) if row else None

    def edit_curated(self, curated_id: int, question: str, answer: str, question_key: str) -> CuratedInfo:
        """Change the text; an approved answer goes back to draft (its vector is stale)."""
        with self._write() as s:
            row = _curated_row(s, curated_id)
            row.question, row.answer, row.question_key = question, answer, question_key[:200]
            if row.status == "approved":
                row.status = "draft"
            row.vector, row.updated_at = None, utcnow()
            s.flush()
            return record(CuratedInfo, row)

    def review_curated(
        self,
        curated_id: int,
        status: str,
        reviewer_id: int | None,
        reviewer_name: str | None,
        vector: list[float] | None = None,
    ) -> CuratedInfo:
        """Approve, reject or disable, recording who did it and when."""
        check_choice(status, CURATED_STATUSES, "status")
        with self._write() as s:
            row = _curated_row(s, curated_id)
            now = utcnow()
            row.status, row.reviewed_by, row.reviewer_name, row.reviewed_at = (
                status,
                reviewer_id,
                reviewer_name,
                now,
            )
            row.updated_at = now
            if vector is not None:
                row.vector = [float(x) for x in vector]
            s.flush()
            return record(CuratedInfo, row)

    def delete_curated(self, curated_id: int) -> bool:
        with self._write() as s:
            result = s.execute(
                delete(CuratedRow)
                .where(CuratedRow.id == curated_id)
                .execution_options(synchronize_session=False)
            )
            return rowcount(result) > 0

    def approved_by_key(self, question_key: str) -> CuratedInfo | None:
        """The newest approved answer to exactly this normalised question (an index lookup)."""
        stmt = (
            select(CuratedRow)
            .where(CuratedRow.status == "approved", CuratedRow.question_key == question_key[:200])
            .order_by(CuratedRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            row = s.scalar(stmt)
            return record(CuratedInfo, row) if row else None

    def curated_version(self) -> tuple[int, datetime | None]:
        """Changes whenever an answer is added, edited, reviewed or deleted (cheap: one indexed max)."""
        with self._read() as s:
            count, last = s.execute(select(func.count(CuratedRow.id), func.max(CuratedRow.updated_at))).one()
            return int(count or 0), last

    def approved_vectors(self) -> list[tuple[int, list[float]]]:
        stmt = select(CuratedRow.id, CuratedRow.vector).where(
            CuratedRow.status == "approved", CuratedRow.vector.is_not(None)
        )
        with self._read() as s:
            return [(ident, vec) for ident, vec in s.execute(stmt) if vec]

    def corrections_since(self, staff_id: int, since: datetime) -> list[datetime]:
        """When this staff member's corrections since `since` were written (oldest first)."""
        stmt = (
            select(CuratedRow.created_at)
            .where(CuratedRow.staff_id == staff_id, CuratedRow.created_at >= since)
            .order_by(CuratedRow.created_at)
        )
        with self._read() as s:
            return list(s.scalars(stmt))


def _curated_row(s: Session, curated_id: int) -> CuratedRow:
    row = s.get(CuratedRow, curated_id, with_for_update=True)
    if row is None:
        raise NotFound("服务中心答复", curated_id)
    return row


def forget_session_curated(s: Session, session_id: str, mask: Callable[[str], str]) -> None:
    """Inside delete_session: drafts from this conversation go; reviewed answers are masked again."""
    handoffs = select(HandoffRow.id).where(HandoffRow.session_id == session_id)
    rows: list[Any] = list(s.scalars(select(CuratedRow).where(CuratedRow.handoff_id.in_(handoffs))))
    for row in rows:
        if row.status == "draft":
            s.delete(row)
        else:
            row.question, row.answer, row.handoff_id = mask(row.question), mask(row.answer), None
            row.updated_at = utcnow()
    s.flush()
