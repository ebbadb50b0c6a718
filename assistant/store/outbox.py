"""The delivery outbox every pushed channel shares (Telegram, 微信客服, 公众号), and the inbound side
of the pulled ones: message ids already taken in and pull cursors.

A reply to a founder is a `deliveries` row written in the transaction that writes its message. A
sender takes a lease on the oldest due row of each founder (so one founder's replies stay in order),
sends it, and marks it sent; a worker killed mid-send leaves the lease to expire, and another picks
the row up. Two senders never hold one row: the lease is taken with a conditional UPDATE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import CursorRow, DeliveryRow, InboundRow, MessageRow, utcnow
from .records import DeliveryInfo, MessageInfo, NotFound
from .rows import jsonable, record, rowcount, session_row

MAX_ATTEMPTS = 5
OPEN = ("pending", "held")


def add_delivery(
    s: Session, session_id: str, channel: str, target: str, body: Mapping[str, Any], message_id: int | None
) -> DeliveryRow:
    """Queue one thing to send, inside the caller's transaction."""
    now = utcnow()
    row = DeliveryRow(
        session_id=session_id,
        message_id=message_id,
        channel=channel,
        target=target,
        body=jsonable(body),
        status="pending",
        attempts=0,
        not_before=now,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return row


class Outbox:
    """Mixed into `Store`."""

    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    # -- queueing ---------------------------------------------------------------------------------

    def queue_replies(
        self,
        session_id: str,
        bodies: Iterable[Mapping[str, Any]],
        *,
        message_id: int | None = None,
        inbound_key: str | None = None,
    ) -> list[DeliveryInfo]:
        """Queue bot messages for the session's own channel and chat; `inbound_key`, when given, is
        marked done in the same transaction (the founder's message is answered exactly then)."""
        with self._write() as s:
            sess = session_row(s, session_id, lock=True)
            rows = [
                add_delivery(s, sess.id, sess.channel, sess.external_id or "", b, message_id) for b in bodies
            ]
            if inbound_key is not None:
                _finish_inbound(s, inbound_key)
            return [record(DeliveryInfo, r) for r in rows]

    # -- sending ----------------------------------------------------------------------------------

    def claim_deliveries(
        self, channel: str, owner: str, lease_seconds: float = 60.0, limit: int = 20
    ) -> list[DeliveryInfo]:
        """Lease the oldest due row of each founder on `channel` (at most `limit`)."""
        now = utcnow()
        stmt = (
            select(DeliveryRow.id, DeliveryRow.session_id, DeliveryRow.status, DeliveryRow.not_before)
            .where(DeliveryRow.channel == channel, DeliveryRow.status.in_(OPEN))
            .order_by(DeliveryRow.id)
            .limit(500)
        )
        claimed: list[DeliveryInfo] = []
        with self._write() as s:
            first: dict[str, tuple[int, str, Any]] = {}
            for row_id, sid, status, not_before in s.execute(stmt):
                first.setdefault(sid, (row_id, status, not_before))
            for row_id, status, not_before in first.values():
                if len(claimed) >= limit:
                    break
                if status != "pending" or not_before > now:
                    continue
                result = s.execute(
                    update(DeliveryRow)
                    .where(
                        DeliveryRow.id == row_id,
                        DeliveryRow.status == "pending",
                        or_(DeliveryRow.lease_until.is_(None), DeliveryRow.lease_until < now),
                    )
                    .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
                    .execution_options(synchronize_session=False)
                )
                if rowcount(result) == 1:
                    claimed.append(record(DeliveryInfo, s.get(DeliveryRow, row_id, populate_existing=True)))
        return claimed

    def finish_delivery(
        self,
        delivery_id: int,
        owner: str,
        *,
        ok: bool,
        error: str | None = None,
        retry_in: float = 0.0,
        give_up: bool = False,
        hold: bool = False,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> DeliveryInfo | None:
        """Record how a send went; None when the lease was lost (another sender owns the row now).

        ok: sent. hold: the vendor's reply window is closed, wait for the founder (not an attempt).
        Otherwise a failure: retried after `retry_in` seconds until `max_attempts`, or at once failed
        with `give_up` (a chat that cannot be reached)."""
        with self._write() as s:
            row = s.get(DeliveryRow, delivery_id, with_for_update=True, populate_existing=True)
            if row is None:
                raise NotFound("投递", delivery_id)
            if row.lease_owner != owner or row.status != "pending":
                return None
            now = utcnow()
            row.lease_owner, row.lease_until = None, None
            if ok:
                row.status, row.sent_at, row.error = "sent", now, None
            elif hold:  # and the founder's later replies with it: they cannot go before this one
                for r in [row, *_later_open(s, row)]:
                    r.status, r.error, r.lease_owner, r.lease_until = "held", (error or "")[:2000], None, None
                    _mirror(s, r)
            else:
                row.attempts += 1
                row.error = (error or "unknown error")[:2000]
                row.not_before = now + timedelta(seconds=max(0.0, retry_in))
                if give_up or row.attempts >= max_attempts:
                    row.status = "failed"
            _mirror(s, row)
            s.flush()
            return record(DeliveryInfo, row)

    def release_held(self, session_id: str) -> int:
        """The founder wrote again: their held replies may go now."""
        with self._write() as s:
            rows = list(
                s.scalars(
                    select(DeliveryRow).where(
                        DeliveryRow.session_id == session_id, DeliveryRow.status == "held"
                    )
                )
            )
            for row in rows:
                row.status, row.not_before = "pending", utcnow()
                _mirror(s, row)
            return len(rows)

    def deliveries(self, session_id: str) -> list[DeliveryInfo]:
        stmt = select(DeliveryRow).where(DeliveryRow.session_id == session_id).order_by(DeliveryRow.id)
        with self._read() as s:
            return [record(DeliveryInfo, r) for r in s.scalars(stmt)]

    def sent_since(self, session_id: str, since: Any) -> int:
        """How many messages went to this founder after `since` (a vendor's per-window cap)."""
        stmt = select(DeliveryRow.id).where(
            DeliveryRow.session_id == session_id, DeliveryRow.status == "sent", DeliveryRow.sent_at > since
        )
        with self._read() as s:
            return len(list(s.scalars(stmt)))

    def last_founder_message(self, session_id: str) -> MessageInfo | None:
        stmt = (
            select(MessageRow)
            .where(MessageRow.session_id == session_id, MessageRow.role == "founder")
            .order_by(MessageRow.id.desc())
            .limit(1)
        )
        with self._read() as s:
            row = s.scalar(stmt)
            return record(MessageInfo, row) if row else None

    # -- inbound ----------------------------------------------------------------------------------

    def claim_inbound(self, key: str, stale_after: float = 120.0) -> bool:
        """True when this worker should handle the vendor message `key`: the first time, or again
        when a worker that took it died before finishing (claimed longer than `stale_after` ago)."""
        try:
            with self._write() as s:
                s.add(InboundRow(key=key, done=False, claimed_at=utcnow()))
            return True
        except IntegrityError:
            pass
        now = utcnow()
        with self._write() as s:
            result = s.execute(
                update(InboundRow)
                .where(
                    and_(
                        InboundRow.key == key,
                        InboundRow.done.is_(False),
                        InboundRow.claimed_at < now - timedelta(seconds=stale_after),
                    )
                )
                .values(claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            return rowcount(result) == 1

    def finish_inbound(self, key: str) -> None:
        with self._write() as s:
            _finish_inbound(s, key)

    def get_cursor(self, name: str) -> str:
        with self._read() as s:
            row = s.get(CursorRow, name)
            return row.cursor if row else ""

    def save_cursor(self, name: str, cursor: str) -> None:
        with self._write() as s:
            row = s.get(CursorRow, name, with_for_update=True)
            if row is None:
                s.add(CursorRow(name=name, cursor=cursor, updated_at=utcnow()))
            else:
                row.cursor, row.updated_at = cursor, utcnow()


def _later_open(s: Session, row: DeliveryRow) -> list[DeliveryRow]:
    stmt = select(DeliveryRow).where(
        DeliveryRow.session_id == row.session_id, DeliveryRow.id > row.id, DeliveryRow.status == "pending"
    )
    return list(s.scalars(stmt))


def _finish_inbound(s: Session, key: str) -> None:
    row = s.get(InboundRow, key, with_for_update=True)
    if row is None:
        s.add(InboundRow(key=key, done=True, claimed_at=utcnow()))
    else:
        row.done = True


def _mirror(s: Session, row: DeliveryRow) -> None:
    """The message's own delivery fields, which the console shows, follow its outbox row."""
    if row.message_id is None:
        return
    msg = s.get(MessageRow, row.message_id)
    if msg is None:
        return
    msg.delivery_attempts = row.attempts
    if row.status == "sent":
        msg.delivery, msg.delivery_error = "delivered", None
    elif row.status == "failed":
        msg.delivery, msg.delivery_error = "failed", row.error
    else:  # pending or held: not there yet; the error says why (未送达)
        msg.delivery, msg.delivery_error = "pending", row.error
