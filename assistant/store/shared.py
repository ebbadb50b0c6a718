"""What several web workers must share, kept in the database: staff sessions, upload jobs, rate-limit
hits and leases. On SQLite this serves one process; on PostgreSQL any number of workers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import LeaseRow, RateHitRow, StaffSessionRow, UploadJobRow, utcnow
from .records import JobInfo, NotFound
from .rows import jsonable, record, rowcount

JOB_FIELDS = ("status", "files", "passages", "done_passages", "error", "doc_ids", "flagged")
KEEP_JOBS_DAYS = 30


class SharedState:
    """Mixed into `Store`; every method is one short transaction."""

    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    # -- staff sessions ---------------------------------------------------------------------------

    def open_staff_session(self, nonce: str, staff_id: int, expires_at: datetime) -> None:
        with self._write() as s:
            s.add(StaffSessionRow(nonce=nonce, staff_id=staff_id, created_at=utcnow(), expires_at=expires_at))

    def staff_session_active(self, nonce: str, staff_id: int) -> bool:
        stmt = select(StaffSessionRow.nonce).where(
            StaffSessionRow.nonce == nonce,
            StaffSessionRow.staff_id == staff_id,
            StaffSessionRow.expires_at > utcnow(),
        )
        with self._read() as s:
            return s.scalar(stmt) is not None

    def end_staff_session(self, nonce: str) -> bool:
        """Logout: the session ends on every worker at once."""
        with self._write() as s:
            result = s.execute(
                delete(StaffSessionRow)
                .where(StaffSessionRow.nonce == nonce)
                .execution_options(synchronize_session=False)
            )
            return rowcount(result) > 0

    # -- upload jobs ------------------------------------------------------------------------------

    def create_job(self, job_id: str, filename: str) -> JobInfo:
        now = utcnow()
        row = UploadJobRow(
            id=job_id,
            filename=filename,
            status="queued",
            files=0,
            passages=0,
            done_passages=0,
            error=None,
            doc_ids=[],
            flagged=[],
            created_at=now,
            updated_at=now,
        )
        with self._write() as s:
            s.add(row)
            s.flush()
            return record(JobInfo, row)

    def update_job(self, job_id: str, **changes: Any) -> JobInfo:
        unknown = set(changes) - set(JOB_FIELDS)
        if unknown:
            raise ValueError(f"unknown job fields: {sorted(unknown)}")
        with self._write() as s:
            row = s.get(UploadJobRow, job_id, with_for_update=True)
            if row is None:
                raise NotFound("导入任务", job_id)
            for name, value in changes.items():
                setattr(row, name, jsonable(value) if name == "doc_ids" else value)
            row.updated_at = utcnow()
            s.flush()
            return record(JobInfo, row)

    def add_job_progress(self, job_id: str, passages: int) -> None:
        with self._write() as s:
            s.execute(
                update(UploadJobRow)
                .where(UploadJobRow.id == job_id)
                .values(done_passages=UploadJobRow.done_passages + passages, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def get_job(self, job_id: str) -> JobInfo | None:
        with self._read() as s:
            row = s.get(UploadJobRow, job_id)
            return record(JobInfo, row) if row else None

    # -- rate limits ------------------------------------------------------------------------------

    def rate_retry_after(
        self, bucket: str, key: str, limit: int, window: float, now: float | None = None
    ) -> int | None:
        """Seconds until `key` may try again, or None when it is under `limit` hits in `window` s."""
        if limit <= 0:
            return None
        now = time.time() if now is None else now
        with self._read() as s:
            return _wait(s, bucket, key, limit, window, now)

    def rate_record(
        self, bucket: str, key: str, window: float, now: float | None = None, cost: int = 1
    ) -> None:
        """Count `cost` hits now (a long message costs several)."""
        now = time.time() if now is None else now
        with self._write() as s:
            _lock_key(s, bucket, key)
            _trim(s, bucket, key, now - window)
            s.add_all([RateHitRow(bucket=bucket, key=key[:200], at=now) for _ in range(max(1, cost))])

    def rate_hit(
        self, bucket: str, key: str, limit: int, window: float, now: float | None = None, cost: int = 1
    ) -> int | None:
        """Count `cost` hits unless over the limit (atomic across workers); the wait in seconds when over."""
        if limit <= 0:
            return None
        now = time.time() if now is None else now
        with self._write() as s:
            _lock_key(s, bucket, key)
            if (wait := _wait(s, bucket, key, limit, window, now)) is not None:
                return wait
            _trim(s, bucket, key, now - window)
            s.add_all([RateHitRow(bucket=bucket, key=key[:200], at=now) for _ in range(max(1, cost))])
            return None

    # -- leases -----------------------------------------------------------------------------------

    def take_lease(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew the lease `name` for `seconds`; False while someone else holds it."""
        now = utcnow()
        until = now + timedelta(seconds=seconds)
        with self._write() as s:
            result = s.execute(
                update(LeaseRow)
                .where(LeaseRow.name == name, (LeaseRow.holder == holder) | (LeaseRow.expires_at < now))
                .values(holder=holder, expires_at=until)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) == 1:
                return True
        try:
            with self._write() as s:
                if s.get(LeaseRow, name) is not None:
                    return False
                s.add(LeaseRow(name=name, holder=holder, expires_at=until))
        except IntegrityError:  # another process inserted it first
            return False
        return True

    def release_lease(self, name: str, holder: str) -> None:
        with self._write() as s:
            s.execute(
                delete(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .execution_options(synchronize_session=False)
            )

    # -- housekeeping -----------------------------------------------------------------------------

    def purge_shared(self, rate_window: float = 3600.0) -> None:
        """Drop ended staff sessions, stale rate hits and old finished upload jobs."""
        now = utcnow()
        with self._write() as s:
            for stmt in (
                delete(StaffSessionRow).where(StaffSessionRow.expires_at <= now),
                delete(RateHitRow).where(RateHitRow.at < time.time() - rate_window),
                delete(UploadJobRow).where(UploadJobRow.updated_at < now - timedelta(days=KEEP_JOBS_DAYS)),
            ):
                s.execute(stmt.execution_options(synchronize_session=False))


def _lock_key(s: Session, bucket: str, key: str) -> None:
    # PostgreSQL: serialise check-and-count per key across workers. SQLite's BEGIN IMMEDIATE already does.
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"rate:{bucket}:{key}"})


def _trim(s: Session, bucket: str, key: str, cutoff: float) -> None:
    s.execute(
        delete(RateHitRow)
        .where(RateHitRow.bucket == bucket, RateHitRow.key == key[:200], RateHitRow.at <= cutoff)
        .execution_options(synchronize_session=False)
    )


def _wait(s: Session, bucket: str, key: str, limit: int, window: float, now: float) -> int | None:
    count, oldest = s.execute(
        select(func.count(), func.min(RateHitRow.at)).where(
            RateHitRow.bucket == bucket, RateHitRow.key == key[:200], RateHitRow.at > now - window
        )
    ).one()
    if count < limit:
        return None
    # The hit that frees a slot is the `count - limit + 1`-th oldest; the oldest is a safe upper bound
    # only when count == limit, which is the usual case since hits stop being counted at the limit.
    return max(1, math.ceil(oldest + window - now))
