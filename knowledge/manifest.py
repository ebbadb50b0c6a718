"""The ingest manifest: which files are in the index (by content hash), their passages, and the
embedding cache keyed by passage hash. One SQLite file beside the Chroma directory.

A file's row is written last, after its passages are in Chroma, so a crash at any point leaves the
file "not ingested" and the next run redoes it; the embedding cache is committed batch by batch,
so the redo embeds nothing that was already embedded.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .types import Passage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
  source TEXT PRIMARY KEY, content_hash TEXT NOT NULL, doc_ids TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passages (
  passage_id TEXT PRIMARY KEY, source TEXT NOT NULL, doc_id TEXT NOT NULL, seq INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_source ON passages(source);
CREATE TABLE IF NOT EXISTS embed_cache (
  key TEXT PRIMARY KEY, vector BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS state (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reviews (
  doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT NOT NULL, doc_number TEXT,
  issuer TEXT, reviewed_by TEXT NOT NULL, reviewed_at TEXT NOT NULL
);
"""


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # files -----------------------------------------------------------------------------------
    def file_hash(self, source: str) -> str | None:
        row = self._db.execute("SELECT content_hash FROM files WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def sources(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT source FROM files ORDER BY source")]

    def owner_of(self, doc_id: str) -> str | None:
        row = self._db.execute("SELECT source FROM passages WHERE doc_id=? LIMIT 1", (doc_id,)).fetchone()
        return row[0] if row else None

    def record_file(self, source: str, content_hash: str, passages: list[Passage], now: str) -> None:
        """Replace a file's passages and mark it ingested, in one transaction."""
        doc_ids = sorted({p.doc_id for p in passages})
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM passages WHERE source=?", (source,))
                self._db.executemany(
                    "INSERT OR REPLACE INTO passages VALUES (?,?,?,?,?)",
                    [(p.passage_id, source, p.doc_id, p.seq, p.model_dump_json()) for p in passages],
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO files VALUES (?,?,?,?)",
                    (source, content_hash, json.dumps(doc_ids), now),
                )
                self._bump_generation()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def forget_file(self, source: str) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM passages WHERE source=?", (source,))
            self._db.execute("DELETE FROM files WHERE source=?", (source,))
            self._bump_generation()
            self._db.execute("COMMIT")

    def forget_doc(self, doc_id: str) -> list[str]:
        """Remove one document's passages; returns the ids removed."""
        with self._lock:
            ids = [
                r[0] for r in self._db.execute("SELECT passage_id FROM passages WHERE doc_id=?", (doc_id,))
            ]
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM passages WHERE doc_id=?", (doc_id,))
            self._bump_generation()
            self._db.execute("COMMIT")
            return ids

    # passages --------------------------------------------------------------------------------
    def passages(self) -> list[Passage]:
        rows = self._db.execute("SELECT body FROM passages ORDER BY doc_id, seq")
        return [Passage.model_validate_json(r[0]) for r in rows]

    def passages_of_source(self, source: str) -> list[Passage]:
        rows = self._db.execute("SELECT body FROM passages WHERE source=? ORDER BY doc_id, seq", (source,))
        return [Passage.model_validate_json(r[0]) for r in rows]

    # reviews of uploaded documents -----------------------------------------------------------
    def review(self, doc_id: str) -> dict | None:
        """The metadata an admin confirmed for `doc_id`, and the file hash it was confirmed for."""
        cols = ("doc_id", "content_hash", "title", "doc_number", "issuer", "reviewed_by", "reviewed_at")
        row = self._db.execute(f"SELECT {','.join(cols)} FROM reviews WHERE doc_id=?", (doc_id,)).fetchone()
        return dict(zip(cols, row, strict=True)) if row else None

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
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO reviews VALUES (?,?,?,?,?,?,?)",
                (doc_id, content_hash, title, doc_number, issuer, by, at),
            )

    def passage_ids_of(self, source: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT passage_id FROM passages WHERE source=?", (source,))]

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM passages").fetchone()[0]

    def generation(self) -> int:
        row = self._db.execute("SELECT v FROM state WHERE k='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump_generation(self) -> None:
        self._db.execute(
            "INSERT INTO state VALUES ('generation', '1') "
            "ON CONFLICT(k) DO UPDATE SET v = CAST(v AS INTEGER) + 1"
        )

    # embedding cache -------------------------------------------------------------------------
    def cached_vectors(self, keys: Iterable[str]) -> dict[str, np.ndarray]:
        keys = list(keys)
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            marks = ",".join("?" * len(part))
            for key, blob in self._db.execute(
                f"SELECT key, vector FROM embed_cache WHERE key IN ({marks})", part
            ):
                out[key] = np.frombuffer(blob, dtype=np.float32)
        return out

    def cache_vectors(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO embed_cache VALUES (?,?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )
            self._db.execute("COMMIT")
