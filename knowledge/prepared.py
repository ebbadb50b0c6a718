"""Prepared search snapshots: the passages of one index generation, their BM25 index and token
counts, written once (at ingest, or by the first reader) and loaded from files at every start.

A snapshot is a directory (`bm25/` in bm25s's own format, `passages.json`, `df.json`). Workers that
share an index also share the snapshot: it is packed into one tar blob kept in the manifest, and
each worker unpacks it into its own data directory, so no worker rebuilds what another has built.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from . import tokenize
from .types import Passage

_PASSAGES = TypeAdapter(list[Passage])
KEEP = 2  # snapshot directories kept per data directory


@dataclass(frozen=True)
class Snapshot:
    """Everything read from the manifest at one generation, with the BM25 index over it."""

    passages: list[Passage] = field(default_factory=list)
    gen: int = -1
    bm25: Any = None  # bm25s.BM25, which ships no types
    by_id: dict[str, Passage] = field(default_factory=dict)
    by_doc: dict[str, list[Passage]] = field(default_factory=dict)
    df: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, passages: list[Passage], gen: int, bm25: Any, df: Counter[str]) -> Snapshot:
        by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            if not p.flags:  # whole sections are quoted from by_doc: a flagged passage never is
                by_doc.setdefault(p.doc_id, []).append(p)
        return cls(passages, gen, bm25, {p.passage_id: p for p in passages}, by_doc, df)


def bm25_text(p: Passage) -> str:
    # Title and heading trail count: "算力券申领指南 > 谁可以申请" is what founders ask about.
    return f"{p.meta.title} {p.section} {p.text}"


def build(passages: list[Passage], gen: int) -> Snapshot:
    import bm25s

    corpus = [tokenize.tokens(bm25_text(p)) or ["∅"] for p in passages]
    retriever = None
    if corpus:
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
    return Snapshot.of(passages, gen, retriever, Counter(t for toks in corpus for t in set(toks)))


def save(snap: Snapshot, folder: Path) -> None:
    """Write `snap` to `folder` atomically: a reader sees the whole directory or none of it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        if snap.bm25 is not None:
            snap.bm25.save(str(tmp / "bm25"), show_progress=False)
        (tmp / "passages.json").write_bytes(_PASSAGES.dump_json(snap.passages))
        (tmp / "df.json").write_text(json.dumps(snap.df, ensure_ascii=False), encoding="utf-8")
        (tmp / "gen").write_text(str(snap.gen))
        try:
            tmp.rename(folder)
        except OSError:  # another thread or worker wrote the same snapshot first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune(folder.parent, keep=folder.name)


def load(folder: Path) -> Snapshot | None:
    """The snapshot in `folder`, or None when there is none (or it cannot be read)."""
    if not (folder / "gen").is_file():
        return None
    try:
        import bm25s

        passages = _PASSAGES.validate_json((folder / "passages.json").read_bytes())
        bm25 = bm25s.BM25.load(str(folder / "bm25")) if (folder / "bm25").is_dir() else None
        df = Counter(json.loads((folder / "df.json").read_text(encoding="utf-8")))
        return Snapshot.of(passages, int((folder / "gen").read_text()), bm25, df)
    except (OSError, ValueError):
        return None


def pack(folder: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(folder, arcname=".")
    return buf.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
            tar.extractall(tmp, filter="data")  # "data": no links, devices or paths outside tmp
        try:
            tmp.rename(folder)
        except OSError:
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _prune(root: Path, keep: str) -> None:
    dirs = sorted(
        (d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name != keep),
        key=lambda d: d.stat().st_mtime,
    )
    for d in dirs[: max(0, len(dirs) - (KEEP - 1))]:
        shutil.rmtree(d, ignore_errors=True)
