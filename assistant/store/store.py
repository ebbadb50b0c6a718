"""The store: engine, migrations, sessions, messages and deliveries (SQLite default, PostgreSQL).

Every method runs its own short transaction and returns frozen records, so one `Store` can be shared
by threads, and several web workers can each hold their own `Store` on the same database.

Session ids are unguessable bearer tokens ("s_" + 96 random bits), minted here and never taken from
a client: whoever presents one may read that conversation, so keep them out of URLs and logs.
"""

from __future__ import annotations

import ast
import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..privacy import mask_pii
from .console import StaffConsole
from .curation import CuratedStore, forget_session_curated
from .engine import READ_ONLY, make_engine
from .models import InboundRow, MessageRow, ProcessedUpdate, SessionRow, utcnow
from .outbox import Outbox
from .records import CHANNELS, MessageInfo, NotFound, SessionInfo, StoreError
from .rows import check_choice, insert_message, jsonable, record, rowcount, session_row
from .shared import SharedState

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Alembic's `context` is a module-level global: two threads migrating at once would trample it.
# Across processes the migration's own lock (BEGIN IMMEDIATE / advisory lock) serialises them.
_MIGRATE_LOCK = threading.Lock()
_REVISION = re.compile(r"^(down_revision|revision)\b[^=]*=\s*(.+?)\s*$", re.M)


class Store(StaffConsole, CuratedStore, SharedState, Outbox):
    """The one persistence API. Handoff and staff methods live in `console.py`, curated answers in
    `curation.py`, what several web workers share (staff sessions, upload jobs, rate limits, leases)
    in `shared.py`, the outbox of pushed channels in `outbox.py`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. A thread that finds the lock taken sleeps in SQLite's busy
        # handler (1, 2, 5, 10 … ms) even when the holder is done in 0.1 ms; queue this process's
        # writers here instead, and leave busy_timeout for other processes. PostgreSQL needs no turn.
        is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_turn: AbstractContextManager[object] = threading.RLock() if is_sqlite else nullcontext()
        self._reader = sessionmaker(
            self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def open(cls, url: str) -> Store:
        """What the app uses: connect, then bring the schema up to date."""
        store = cls(url)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Run Alembic migrations to head in one transaction (safe to run twice, or from two workers).
        A database already at head is left alone without loading Alembic (0.1–0.4 s of imports)."""
        if self._at_head():
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        url = self.engine.url.render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # configparser interpolation
        with _MIGRATE_LOCK, self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def _at_head(self) -> bool:
        head = script_head()
        if head is None:
            return False
        try:
            with self.engine.execution_options(**{READ_ONLY: True}).connect() as conn:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except SQLAlchemyError:  # no such table yet: a new database
            return False
        return rows == [head]

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._write_turn, self._writer() as s, s.begin():
            yield s

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._reader() as s, s.begin():
            yield s

    # -- sessions ---------------------------------------------------------------------------------

    def get_or_create_session(
        self, session_id: str | None, channel: str = "web", external_id: str | int | None = None
    ) -> SessionInfo:
        """The caller's session, or a new one with a fresh id when the id is unknown or absent.

        An unknown id is never adopted: ids are minted here, never by clients, so a made-up id cannot
        reach anyone else's conversation. `channel` and `external_id` only apply to a new session; a
        known id keeps its own channel (callers need not repeat it).
        """
        check_choice(channel, CHANNELS, "channel")
        ext = None if external_id is None else str(external_id)
        if session_id:
            found = self.get_session(session_id)
            if found and (ext is None or found.external_id == ext):
                return found
        if ext is not None:
            return self.session_for_external(channel, ext)
        return self._create_session(channel, None)

    def session_for_external(self, channel: str, external_id: str | int) -> SessionInfo:
        """The session of e.g. a Telegram chat, created on first contact."""
        check_choice(channel, CHANNELS, "channel")
        ext = str(external_id)
        for _attempt in range(2):
            try:
                with self._write() as s:
                    row = s.scalar(
                        select(SessionRow).where(SessionRow.channel == channel, SessionRow.external_id == ext)
                    )
                    if row is None:
                        row = self._insert_session(s, channel, ext)
                    return record(SessionInfo, row)
            except IntegrityError:
                continue  # another worker created it between our SELECT and INSERT: read theirs
        raise StoreError(f"无法为 {channel}:{ext} 建立会话，请重试。")

    def _create_session(self, channel: str, external_id: str | None) -> SessionInfo:
        with self._write() as s:
            return record(SessionInfo, self._insert_session(s, channel, external_id))

    @staticmethod
    def _insert_session(s: Session, channel: str, external_id: str | None) -> SessionRow:
        now = utcnow()
        row = SessionRow(
            id="s_" + secrets.token_urlsafe(12),
            channel=channel,
            external_id=external_id,
            created_at=now,
            updated_at=now,
            profile={},
            state={},
        )
        s.add(row)
        s.flush()
        return row

    def get_session(self, session_id: str) -> SessionInfo | None:
        with self._read() as s:
            row = s.get(SessionRow, session_id)
            return record(SessionInfo, row) if row else None

    def save_profile(self, session_id: str, profile: Mapping[str, Any] | Any) -> SessionInfo:
        """Store the founder profile (a `Profile` model or its dict)."""
        return self._save_json(session_id, "profile", profile)

    def save_state(self, session_id: str, state: Mapping[str, Any]) -> SessionInfo:
        """Store the assistant's multi-turn memory for this session."""
        return self._save_json(session_id, "state", state)

    def _save_json(self, session_id: str, column: str, value: Any) -> SessionInfo:
        with self._write() as s:
            row = session_row(s, session_id, lock=True)
            setattr(row, column, jsonable(value))
            row.updated_at = utcnow()
            s.flush()
            return record(SessionInfo, row)

    def delete_session(self, session_id: str) -> bool:
        """Delete a founder's conversation on request (PIPL): messages, handoffs and their notes; drafts
        written from it go too, and reviewed answers from it are masked again."""
        with self._write() as s:
            forget_session_curated(s, session_id, mask_pii)
            result = s.execute(
                delete(SessionRow)
                .where(SessionRow.id == session_id)
                .execution_options(synchronize_session=False)
            )
            return rowcount(result) > 0

    def purge(self, older_than_days: int) -> int:
        """Delete sessions idle longer than the retention period, with everything in them.

        0 days purges every session idle at all (updated before now)."""
        if older_than_days < 0:
            raise ValueError("older_than_days must be >= 0")
        cutoff = utcnow() - timedelta(days=older_than_days)
        with self._write() as s:
            for sid in s.scalars(select(SessionRow.id).where(SessionRow.updated_at < cutoff)).all():
                forget_session_curated(s, sid, mask_pii)
            result = s.execute(
                delete(SessionRow)
                .where(SessionRow.updated_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            s.execute(
                delete(ProcessedUpdate)
                .where(ProcessedUpdate.processed_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            s.execute(
                delete(InboundRow)
                .where(InboundRow.claimed_at < cutoff)
                .execution_options(synchronize_session=False)
            )
            purged = rowcount(result)
        self.purge_shared()
        return purged

    # -- messages and deliveries ------------------------------------------------------------------

    def add_message(
        self, session_id: str, role: str, text: str, payload: Any = None, delivery: str | None = None
    ) -> MessageInfo:
        with self._write() as s:
            return insert_message(s, session_row(s, session_id, lock=True), role, text, payload, delivery)

    def record_answer(
        self, session_id: str, text: str, payload: Any, *, profile: Any, state: Mapping[str, Any]
    ) -> MessageInfo:
        """The end of a turn in one transaction: the assistant's message, the profile and the memory."""
        with self._write() as s:
            row = session_row(s, session_id, lock=True)
            row.profile, row.state = jsonable(profile), jsonable(state)
            return insert_message(s, row, "assistant", text, payload, None)

    def messages(self, session_id: str, after_id: int = 0, limit: int = 200) -> list[MessageInfo]:
        """Messages with id > after_id, oldest first: poll with the last id you have."""
        stmt = (
            select(MessageRow)
            .where(MessageRow.session_id == session_id, MessageRow.id > after_id)
            .order_by(MessageRow.id)
            .limit(max(1, min(limit, 1000)))
        )
        with self._read() as s:
            return [record(MessageInfo, row) for row in s.scalars(stmt)]

    def pending_deliveries(self, channel: str, limit: int = 100) -> list[tuple[MessageInfo, SessionInfo]]:
        """Messages waiting to be pushed through a connector, oldest first, with their session."""
        stmt = (
            select(MessageRow, SessionRow)
            .join(SessionRow, MessageRow.session_id == SessionRow.id)
            .where(MessageRow.delivery == "pending", SessionRow.channel == channel)
            .order_by(MessageRow.id)
            .limit(limit)
        )
        with self._read() as s:
            return [(record(MessageInfo, m), record(SessionInfo, sess)) for m, sess in s.execute(stmt)]

    def mark_delivery(
        self, message_id: int, ok: bool, error: str | None = None, *, max_attempts: int = 5
    ) -> MessageInfo:
        """Record a delivery attempt. A failure stays pending (retried) until max_attempts, then failed."""
        with self._write() as s:
            row = s.get(MessageRow, message_id, with_for_update=True)
            if row is None:
                raise NotFound("消息", message_id)
            row.delivery_attempts += 1
            if ok:
                row.delivery, row.delivery_error = "delivered", None
            else:
                row.delivery_error = (error or "unknown error")[:2000]
                row.delivery = "failed" if row.delivery_attempts >= max_attempts else "pending"
            s.flush()
            return record(MessageInfo, row)

    # -- Telegram update dedupe -------------------------------------------------------------------

    def mark_update_processed(self, update_id: int) -> bool:
        """True the first time an update id is seen, False for a redelivery (atomic across workers)."""
        try:
            with self._write() as s:
                s.add(ProcessedUpdate(update_id=update_id, processed_at=utcnow()))
        except IntegrityError:
            return False
        return True


@cache
def script_head() -> str | None:
    """The one head revision of the migration scripts, read from their `revision` and `down_revision`
    lines; None when that reading is not certain (then Alembic itself decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        fields = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(fields["revision"])
            down = ast.literal_eval(fields.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None
