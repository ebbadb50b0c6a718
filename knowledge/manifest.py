"""The ingest manifest: which files are in the index (by content hash), their passages, the index
generation, the embedding cache keyed by passage hash, and prepared search snapshots.

Embedded mode: one SQLite file beside the Chroma directory. Scale-out mode: tables prefixed `kb_` in
the shared database (PostgreSQL), so every worker reads the same manifest and generation.

A file's row is written last, after its passages are in Chroma, so a crash at any point leaves the
file "not ingested" and the next run redoes it; the embedding cache is committed batch by batch,
so the redo embeds nothing that was already embedded.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    cast,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from .types import Passage

LOCK_KEY = 0x52434B42  # "RCKB": PostgreSQL advisory lock held by the one process ingesting
_READ = "rc_manifest_read"


def _tables(prefix: str) -> tuple[MetaData, dict[str, Table]]:
    md = MetaData()
    t = {
        "files": Table(
            f"{prefix}files",
            md,
            Column("source", Text, primary_key=True),
            Column("content_hash", Text, nullable=False),
            Column("doc_ids", Text, nullable=False),
            Column("ingested_at", Text, nullable=False),
        ),
        "passages": Table(
            f"{prefix}passages",
            md,
            Column("passage_id", Text, primary_key=True),
            Column("source", Text, nullable=False),
            Column("doc_id", Text, nullable=False),
            Column("seq", Integer, nullable=False),
            Column("body", Text, nullable=False),
        ),
        "embed_cache": Table(
            f"{prefix}embed_cache",
            md,
            Column("key", Text, primary_key=True),
            Column("vector", LargeBinary, nullable=False),
        ),
        "state": Table(
            f"{prefix}state", md, Column("k", Text, primary_key=True), Column("v", Text, nullable=False)
        ),
        # Metadata an admin confirmed for an uploaded document, and the file hash it was confirmed for.
        "reviews": Table(
            f"{prefix}reviews",
            md,
            Column("doc_id", Text, primary_key=True),
            Column("content_hash", Text, nullable=False),
            Column("title", Text, nullable=False),
            Column("doc_number", Text),
            Column("issuer", Text),
            Column("reviewed_by", Text, nullable=False),
            Column("reviewed_at", Text, nullable=False),
        ),
        "snapshots": Table(
            f"{prefix}snapshots",
            md,
            Column("gen", Integer, primary_key=True, autoincrement=False),
            Column("data", LargeBinary, nullable=False),
        ),
    }
    # Same names as the SQLite schema this replaced, so an existing data directory keeps its index.
    Index(f"{prefix}passages_source", t["passages"].c.source)
    Index(f"{prefix}passages_doc_id", t["passages"].c.doc_id)
    return md, t


class Manifest:
    """`Manifest(path)` for a local SQLite file; `Manifest.shared(url)` for the shared database."""

    def __init__(self, path: Path | None = None, *, url: str = "", prefix: str = "") -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{path}"
        self.engine = _engine(url)
        self.shared = self.engine.dialect.name != "sqlite" or bool(prefix)
        self._md, self._t = _tables(prefix)
        self._lock = threading.RLock()
        with self._begin() as conn:
            if conn.dialect.name == "postgresql":  # two workers creating the tables at once
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY + 1})")
            self._md.create_all(conn)
            self.id = self._state(conn, "id") or self._init_id(conn)

    @classmethod
    def shared_db(cls, url: str) -> Manifest:
        return cls(url=url, prefix="kb_")

    def close(self) -> None:
        self.engine.dispose()

    # transactions ----------------------------------------------------------------------------
    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self._lock, self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _reading(self, consistent: bool = False) -> Iterator[Connection]:
        options: dict[str, Any] = {_READ: True}
        if consistent and self.engine.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        with self.engine.connect() as conn, conn.execution_options(**options).begin():
            yield conn

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held for a whole ingest: of several workers sharing the index, one writes at a time."""
        if self.engine.dialect.name != "postgresql":
            with self._lock:
                yield
            return
        with self._lock, self.engine.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({LOCK_KEY})")
            conn.commit()
            try:
                yield
            finally:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                conn.commit()

    def _state(self, conn: Connection, key: str) -> str | None:
        st = self._t["state"]
        return conn.scalar(select(st.c.v).where(st.c.k == key))

    def _init_id(self, conn: Connection) -> str:
        value = uuid.uuid4().hex[:12]
        conn.execute(self._t["state"].insert().values(k="id", v=value))
        return value

    # files -----------------------------------------------------------------------------------
    def file_hash(self, source: str) -> str | None:
        f = self._t["files"]
        with self._reading() as conn:
            return conn.scalar(select(f.c.content_hash).where(f.c.source == source))

    def sources(self) -> list[str]:
        f = self._t["files"]
        with self._reading() as conn:
            return list(conn.scalars(select(f.c.source).order_by(f.c.source)))

    def owner_of(self, doc_id: str) -> str | None:
        p = self._t["passages"]
        with self._reading() as conn:
            return conn.scalar(select(p.c.source).where(p.c.doc_id == doc_id).limit(1))

    def record_file(self, source: str, content_hash: str, passages: list[Passage], now: str) -> None:
        """Replace a file's passages and mark it ingested, in one transaction."""
        p, f = self._t["passages"], self._t["files"]
        doc_ids = sorted({x.doc_id for x in passages})
        ids = [x.passage_id for x in passages]
        with self._begin() as conn:
            conn.execute(delete(p).where(p.c.source == source))
            for i in range(0, len(ids), 500):  # the same id may still belong to another file's row
                conn.execute(delete(p).where(p.c.passage_id.in_(ids[i : i + 500])))
            if passages:
                conn.execute(
                    p.insert(),
                    [
                        {
                            "passage_id": x.passage_id,
                            "source": source,
                            "doc_id": x.doc_id,
                            "seq": x.seq,
                            "body": x.model_dump_json(),
                        }
                        for x in passages
                    ],
                )
            conn.execute(delete(f).where(f.c.source == source))
            conn.execute(
                f.insert().values(
                    source=source, content_hash=content_hash, doc_ids=json.dumps(doc_ids), ingested_at=now
                )
            )
            self._bump_generation(conn)

    def forget_file(self, source: str) -> None:
        p, f = self._t["passages"], self._t["files"]
        with self._begin() as conn:
            conn.execute(delete(p).where(p.c.source == source))
            conn.execute(delete(f).where(f.c.source == source))
            self._bump_generation(conn)

    def forget_doc(self, doc_id: str) -> list[str]:
        """Remove one document's passages; returns the ids removed."""
        p = self._t["passages"]
        with self._begin() as conn:
            ids = list(conn.scalars(select(p.c.passage_id).where(p.c.doc_id == doc_id)))
            conn.execute(delete(p).where(p.c.doc_id == doc_id))
            self._bump_generation(conn)
            return ids

    # passages --------------------------------------------------------------------------------
    def passages(self) -> list[Passage]:
        return self.passages_at()[1]

    def passages_at(self) -> tuple[int, list[Passage]]:
        """The generation and its passages, read in one consistent snapshot."""
        p = self._t["passages"]
        with self._reading(consistent=True) as conn:
            gen = int(self._state(conn, "generation") or 0)
            rows = conn.scalars(select(p.c.body).order_by(p.c.doc_id, p.c.seq))
            return gen, [Passage.model_validate_json(r) for r in rows]

    def passages_of_source(self, source: str) -> list[Passage]:
        p = self._t["passages"]
        with self._reading() as conn:
            rows = conn.scalars(select(p.c.body).where(p.c.source == source).order_by(p.c.doc_id, p.c.seq))
            return [Passage.model_validate_json(r) for r in rows]

    # reviews of uploaded documents -----------------------------------------------------------
    REVIEW_COLUMNS = ("doc_id", "content_hash", "title", "doc_number", "issuer", "reviewed_by", "reviewed_at")

    def review(self, doc_id: str) -> dict | None:
        """The metadata an admin confirmed for `doc_id`, and the file hash it was confirmed for."""
        r = self._t["reviews"]
        with self._reading() as conn:
            row = conn.execute(
                select(*(r.c[c] for c in self.REVIEW_COLUMNS)).where(r.c.doc_id == doc_id)
            ).first()
        return dict(zip(self.REVIEW_COLUMNS, row, strict=True)) if row else None

    def record_review(
        self,
        doc_id: str,
        content_hash: str,
        title: str,
        doc_number: str | None,
        issuer: str | None,
        by: str,
        at: str,
    ) -> None:
        r = self._t["reviews"]
        values = dict(
            zip(self.REVIEW_COLUMNS, (doc_id, content_hash, title, doc_number, issuer, by, at), strict=True)
        )
        with self._begin() as conn:
            conn.execute(delete(r).where(r.c.doc_id == doc_id))
            conn.execute(r.insert().values(**values))

    def passage_ids_of(self, source: str) -> list[str]:
        p = self._t["passages"]
        with self._reading() as conn:
            return list(conn.scalars(select(p.c.passage_id).where(p.c.source == source)))

    def count(self) -> int:
        with self._reading() as conn:
            return int(conn.scalar(select(func.count()).select_from(self._t["passages"])) or 0)

    def generation(self) -> int:
        with self._reading() as conn:
            return int(self._state(conn, "generation") or 0)

    def _bump_generation(self, conn: Connection) -> None:
        st = self._t["state"]
        # Row lock on PostgreSQL: concurrent bumps serialise, none is lost.
        done = conn.execute(
            update(st).where(st.c.k == "generation").values(v=cast(cast(st.c.v, Integer) + 1, Text))
        )
        if done.rowcount == 0:
            conn.execute(st.insert().values(k="generation", v="1"))

    # prepared snapshots ----------------------------------------------------------------------
    def snapshot(self, gen: int) -> bytes | None:
        s = self._t["snapshots"]
        with self._reading() as conn:
            return conn.scalar(select(s.c.data).where(s.c.gen == gen))

    def save_snapshot(self, gen: int, data: bytes) -> None:
        """Keep the newest snapshot only; a worker that loses the race to store it just moves on."""
        s = self._t["snapshots"]
        try:
            with self._begin() as conn:
                conn.execute(delete(s).where(s.c.gen < gen))
                conn.execute(s.insert().values(gen=gen, data=data))
        except IntegrityError:
            pass

    # embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        c = self._t["embed_cache"]
        keys = list(keys)
        out: dict[str, np.ndarray] = {}
        with self._reading() as conn:
            for i in range(0, len(keys), 500):
                for key, blob in conn.execute(
                    select(c.c.key, c.c.vector).where(c.c.key.in_(keys[i : i + 500]))
                ):
                    out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def all_vectors(self) -> dict[str, np.ndarray]:
        """The whole embedding cache (to seed another index's cache with the same embedder)."""
        c = self._t["embed_cache"]
        with self._reading() as conn:
            return {
                k: np.frombuffer(b, dtype=np.float32) for k, b in conn.execute(select(c.c.key, c.c.vector))
            }

    def cache_vectors(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        c = self._t["embed_cache"]
        with self._begin() as conn:
            keys = list(items)
            for i in range(0, len(keys), 500):
                conn.execute(delete(c).where(c.c.key.in_(keys[i : i + 500])))
            conn.execute(
                c.insert(),
                [{"key": k, "vector": np.asarray(v, dtype=np.float32).tobytes()} for k, v in items.items()],
            )


def _engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cur = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the lock up front (a deferred BEGIN that upgrades fails at once with SQLITE_BUSY).
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ) else "BEGIN IMMEDIATE")
