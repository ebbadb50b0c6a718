"""Handoff tickets, internal notes and staff accounts: the staff console's side."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import HandoffRow, NoteRow, StaffCenterRow, StaffRow, utcnow
from .outbox import add_delivery
from .records import (
    PUSHED,
    REASONS,
    ClaimConflict,
    Duplicate,
    Forbidden,
    HandoffInfo,
    MessageInfo,
    NoteInfo,
    StaffInfo,
    StoreError,
)
from .rows import (
    active_handoff,
    as_tuple,
    check_choice,
    handoff_row,
    insert_message,
    jsonable,
    recent_transcript,
    record,
    rowcount,
    session_row,
    staff_row,
)

NUMBER_ATTEMPTS = 5


def _free_number(s: Session) -> str:
    """Six digits, not starting with 0, no other ticket's. 900,000 numbers; retention purges old ones."""
    while True:
        number = str(100000 + secrets.randbelow(900000))
        if s.scalar(select(HandoffRow.id).where(HandoffRow.number == number)) is None:
            return number


class StaffConsole:
    """Mixed into `Store`; every method runs in its own short transaction like the rest."""

    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def create_handoff(
        self,
        session_id: str,
        reason: str,
        summary: str,
        profile: Mapping[str, Any] | Any = None,
        transcript: list[Any] | None = None,
        citations: list[Any] | None = None,
        center: Mapping[str, Any] | Any = None,
        priority: int = 2,
    ) -> HandoffInfo:
        """Open a ticket, or return the session's open/claimed one (one active ticket per session).

        Without a transcript, the session's last messages are copied in.
        """
        check_choice(reason, REASONS, "reason")
        if priority not in (1, 2, 3):
            raise ValueError("priority must be 1 (high), 2 or 3 (low)")
        args = (session_id, reason, summary, profile, transcript, citations, center, priority)
        for _attempt in range(NUMBER_ATTEMPTS):
            try:
                return self._create_handoff(*args)
            except IntegrityError:  # another worker took the same number a moment ago: draw again
                continue
        return self._create_handoff(*args)

    def _create_handoff(
        self,
        session_id: str,
        reason: str,
        summary: str,
        profile: Mapping[str, Any] | Any,
        transcript: list[Any] | None,
        citations: list[Any] | None,
        center: Mapping[str, Any] | Any,
        priority: int,
    ) -> HandoffInfo:
        where = jsonable(center) or {}
        with self._write() as s:
            session_row(s, session_id, lock=True)  # serialises racing creates for one session
            existing = s.scalar(active_handoff(session_id))
            if existing is not None:
                return record(HandoffInfo, existing)
            copied = jsonable(transcript) if transcript is not None else recent_transcript(s, session_id)
            row = HandoffRow(
                id="h_" + secrets.token_urlsafe(9),
                number=_free_number(s),
                session_id=session_id,
                reason=reason,
                status="open",
                priority=priority,
                summary=summary,
                profile=jsonable(profile) or {},
                transcript=copied,
                citations=jsonable(citations) or [],
                center_id=where.get("id"),
                center_name=where.get("name"),
                center_contact=where.get("contact"),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            return record(HandoffInfo, row)

    def find_handoffs(self, number: str, limit: int = 20) -> list[HandoffInfo]:
        """Tickets whose short number starts with these digits (spaces and # ignored), or whose id
        is exactly this, newest first: what a founder reads out on the phone."""
        text = number.strip()
        # Only digits, spaces and # make a number: "h_8aZG1vk1Juzx" is an id, not the number 811….
        digits = "".join(ch for ch in text if ch.isdigit()) if re.fullmatch(r"[\d\s#]+", text) else ""
        stmt = select(HandoffRow)
        if digits:
            stmt = stmt.where((HandoffRow.number.startswith(digits)) | (HandoffRow.id == number.strip()))
        else:
            stmt = stmt.where(HandoffRow.id == number.strip())
        stmt = stmt.order_by(HandoffRow.created_at.desc()).limit(limit)
        with self._read() as s:
            return [record(HandoffInfo, row) for row in s.scalars(stmt)]

    def open_handoff_for_session(self, session_id: str) -> HandoffInfo | None:
        """The session's open or claimed ticket, if any."""
        with self._read() as s:
            row = s.scalar(active_handoff(session_id))
            return record(HandoffInfo, row) if row else None

    def list_handoffs(
        self,
        status: str | Iterable[str] | None = None,
        center_id: str | None = None,
        reason: str | None = None,
        older_than_minutes: float | None = None,
        limit: int = 100,
        center_ids: Iterable[str] | None = None,
    ) -> list[HandoffInfo]:
        """The queue: most urgent first, then oldest first. `center_ids` limits it to those centers."""
        stmt = select(HandoffRow)
        if center_ids is not None:
            stmt = stmt.where(HandoffRow.center_id.in_(tuple(center_ids)))
        if status is not None:
            stmt = stmt.where(HandoffRow.status.in_(as_tuple(status)))
        if center_id is not None:
            stmt = stmt.where(HandoffRow.center_id == center_id)
        if reason is not None:
            stmt = stmt.where(HandoffRow.reason == reason)
        if older_than_minutes is not None:
            stmt = stmt.where(HandoffRow.created_at <= utcnow() - timedelta(minutes=older_than_minutes))
        stmt = stmt.order_by(HandoffRow.priority, HandoffRow.created_at, HandoffRow.id).limit(limit)
        with self._read() as s:
            return [record(HandoffInfo, row) for row in s.scalars(stmt)]

    def get_handoff(self, handoff_id: str) -> HandoffInfo | None:
        with self._read() as s:
            row = s.get(HandoffRow, handoff_id)
            return record(HandoffInfo, row) if row else None

    def claim_handoff(self, handoff_id: str, staff_id: int) -> HandoffInfo:
        """Take an open ticket. Atomic: of two staff claiming at once, one wins, one gets ClaimConflict."""
        with self._write() as s:
            staff_row(s, staff_id)
            result = s.execute(
                update(HandoffRow)
                .where(HandoffRow.id == handoff_id, HandoffRow.status == "open")
                .values(status="claimed", claimed_by=staff_id, claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            row = handoff_row(s, handoff_id)
            if rowcount(result) == 1 or (row.status == "claimed" and row.claimed_by == staff_id):
                return record(HandoffInfo, row)
            raise ClaimConflict(handoff_id, row.status, row.claimed_by)

    def resolve_handoff(self, handoff_id: str, staff_id: int, outcome: str) -> HandoffInfo:
        """Close a ticket: only its claimer, or an admin."""
        with self._write() as s:
            staff = staff_row(s, staff_id)
            row = handoff_row(s, handoff_id, lock=True)
            if row.status == "resolved":
                raise ClaimConflict(handoff_id, row.status, row.claimed_by)
            if not (staff.is_admin or (row.status == "claimed" and row.claimed_by == staff_id)):
                raise Forbidden(f"只有认领工单 {handoff_id} 的工作人员或管理员可以结案，请先认领。")
            now = utcnow()
            row.status, row.resolved_at, row.resolved_by, row.outcome = "resolved", now, staff_id, outcome
            if row.claimed_by is None:
                row.claimed_by, row.claimed_at = staff_id, now
            s.flush()
            return record(HandoffInfo, row)

    def add_note(self, handoff_id: str, staff_id: int, text: str) -> NoteInfo:
        """An internal note for colleagues; never shown to the founder."""
        with self._write() as s:
            staff_row(s, staff_id)
            handoff_row(s, handoff_id)
            row = NoteRow(handoff_id=handoff_id, staff_id=staff_id, text=text, created_at=utcnow())
            s.add(row)
            s.flush()
            return record(NoteInfo, row)

    def notes(self, handoff_id: str) -> list[NoteInfo]:
        stmt = select(NoteRow).where(NoteRow.handoff_id == handoff_id).order_by(NoteRow.id)
        with self._read() as s:
            return [record(NoteInfo, row) for row in s.scalars(stmt)]

    def staff_reply(
        self, handoff_id: str, staff_id: int, text: str, channel_delivery: str | None = None
    ) -> MessageInfo:
        """A staff message into the founder's conversation (claimer or admin only).

        Delivery is 'pending' for pushed channels (Telegram, WeChat: an outbox row is written in the
        same transaction and a connector sends it), None for web/cli (the client polls);
        `channel_delivery` overrides that choice.
        """
        with self._write() as s:
            staff = staff_row(s, staff_id)
            handoff = handoff_row(s, handoff_id)
            if not (staff.is_admin or handoff.claimed_by == staff_id):
                raise Forbidden(f"请先认领工单 {handoff_id}，再回复创业者。")
            session = session_row(s, handoff.session_id, lock=True)
            delivery = channel_delivery
            if delivery is None and session.channel in PUSHED:
                delivery = "pending"
            payload = {"staff_id": staff.id, "staff_name": staff.display_name, "handoff_id": handoff_id}
            msg = insert_message(s, session, "staff", text, payload, delivery)
            if delivery == "pending" and session.channel in PUSHED:
                body = {"kind": "staff", "text": text, "staff_name": staff.display_name}
                add_delivery(s, session.id, session.channel, session.external_id or "", body, msg.id)
            return msg

    # -- staff ------------------------------------------------------------------------------------

    def add_staff(
        self, username: str, password_hash: str, is_admin: bool = False, display_name: str | None = None
    ) -> StaffInfo:
        """Create a staff account. `password_hash` is already hashed (pwdlib, in the web layer)."""
        username = username.strip()
        if not username or not password_hash:
            raise StoreError("用户名和密码都不能为空。")
        try:
            with self._write() as s:
                row = StaffRow(
                    username=username,
                    display_name=(display_name or username).strip(),
                    password_hash=password_hash,
                    is_admin=is_admin,
                    created_at=utcnow(),
                )
                s.add(row)
                s.flush()
                return record(StaffInfo, row)
        except IntegrityError as exc:
            raise Duplicate(f"用户名「{username}」已存在，请换一个用户名。") from exc

    def get_staff_by_username(self, username: str) -> StaffInfo | None:
        with self._read() as s:
            row = s.scalar(select(StaffRow).where(StaffRow.username == username.strip()))
            return record(StaffInfo, row) if row else None

    def get_staff(self, staff_id: int) -> StaffInfo | None:
        with self._read() as s:
            row = s.get(StaffRow, staff_id)
            return record(StaffInfo, row) if row else None

    def list_staff(self) -> list[StaffInfo]:
        with self._read() as s:
            return [record(StaffInfo, row) for row in s.scalars(select(StaffRow).order_by(StaffRow.id))]

    def set_staff_disabled(self, staff_id: int, disabled: bool) -> StaffInfo:
        """Disable (or enable) an account; a disabled account's logins stop working at once."""
        with self._write() as s:
            row = staff_row(s, staff_id)
            row.disabled = disabled
            row.credentials_changed_at = utcnow()
            s.flush()
            return record(StaffInfo, row)

    def set_staff_password(self, staff_id: int, password_hash: str) -> StaffInfo:
        """A new password; logins made with the old one stop working."""
        if not password_hash:
            raise StoreError("密码不能为空。")
        with self._write() as s:
            row = staff_row(s, staff_id)
            row.password_hash, row.credentials_changed_at = password_hash, utcnow()
            s.flush()
            return record(StaffInfo, row)

    def remove_staff(self, staff_id: int) -> bool:
        """Delete an account. Its tickets, notes and answers stay, without the link to it."""
        with self._write() as s:
            result = s.execute(
                delete(StaffRow).where(StaffRow.id == staff_id).execution_options(synchronize_session=False)
            )
            return rowcount(result) > 0

    def set_staff_centers(self, staff_id: int, center_ids: Iterable[str], own_only: bool) -> StaffInfo:
        """The service centers this staff member works for; `own_only` limits the queue to them."""
        wanted = sorted({c.strip() for c in center_ids if c and c.strip()})
        with self._write() as s:
            row = staff_row(s, staff_id)
            s.execute(delete(StaffCenterRow).where(StaffCenterRow.staff_id == staff_id))
            s.add_all(StaffCenterRow(staff_id=staff_id, center_id=c) for c in wanted)
            row.own_centers_only = own_only and bool(wanted)
            s.flush()
            return record(StaffInfo, row)

    def staff_centers(self, staff_id: int) -> list[str]:
        stmt = select(StaffCenterRow.center_id).where(StaffCenterRow.staff_id == staff_id)
        with self._read() as s:
            return sorted(s.scalars(stmt))
