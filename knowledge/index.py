"""KnowledgeIndex: passages in Chroma (dense, cosine) and BM25 (jieba tokens), kept in step by a
manifest of content hashes so ingest is incremental and survives being killed at any moment.

Embedded mode: one process owns a data directory (Chroma is not safe across processes on one path).
Scale-out mode: `chroma_url` points at a Chroma server (`chroma run`) and `manifest_url` at the shared
database, so several workers read one index; each notices a new generation within FRESH_SECONDS and
loads the snapshot another worker prepared (see prepared.py) instead of rebuilding it.
"""

from __future__ import annotations

import hashlib
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import cachefiles, pipeline, prepared, tokenize
from .embed import Embedder
from .errors import ConfigError, IngestError
from .manifest import Manifest
from .prepared import Snapshot
from .progress import Progress
from .screen import ExampleClassifier, rules, screen
from .sources import SUPPORTED_SUFFIXES
from .types import DocMeta, Passage

EMBED_BATCH = 16  # small batches: a kill loses at most one batch of embedding work
WRITE_BATCH = 512  # passages per Chroma write
PIPELINE = 4  # bump when cleaning, chunking or the screen changes, so unchanged files are cut again
CHUNK_CHARS = 220  # bench, 100 law distractors: hybrid equal to 450, dense MRR 0.83 vs 0.79
FAR_FUTURE = 99991231
FRESH_SECONDS = 1.0  # another process's ingest is seen by searches within this


@dataclass
class IngestReport:
    ingested: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    passages: int = 0
    embedded: int = 0  # passages the embedder actually ran on (cache misses)
    chars: int = 0
    flagged: list[Flagged] = field(default_factory=list)  # documents with passages left out of answers


@dataclass
class Flagged:
    """A document the ingest screen found instructions, payment requests, links or accounts in."""

    source: str
    doc_id: str
    title: str
    passages: int  # how many of its passages are left out of answers
    reasons: list[str]

    def describe(self) -> str:
        return f"《{self.title}》（{self.doc_id}）：{self.passages} 段含{flag_names(self.reasons)}，不会出现在回答里"


FLAG_NAMES = {
    "override": "要求忽略规则的指令",
    "system": "冒充系统或管理员的通知",
    "roleplay": "角色扮演指令",
    "reader": "指使回答者的话",
    "instruction": "指令",
    "payment": "缴费或转账要求",
    "credential": "索要密码或证件号",
    "url": "非政府网站链接",
    "account": "银行账号",
}


def flag_names(reasons: list[str]) -> str:
    return "、".join(FLAG_NAMES.get(r, r) for r in reasons)


@dataclass
class DocInfo:
    meta: DocMeta
    passages: int
    flagged: int = 0  # passages the ingest screen left out of answers
    reasons: list[str] = field(default_factory=list)


def file_hash(path: Path) -> str:
    h = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + ".meta.yaml")
    if sidecar.exists():  # metadata edits count as a change of the document
        h.update(sidecar.read_bytes())
    return h.hexdigest()


def expand(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not f.name.endswith(".meta.yaml")
                and not f.name.startswith((".", "README"))
            )
        elif p.exists():
            out.append(p)
        else:
            raise IngestError(str(p), "文件或目录不存在", "请检查路径")
    return out


def _day(d: date | None, default: int) -> int:
    return int(d.strftime("%Y%m%d")) if d else default


def chroma_metadata(p: Passage) -> dict:
    m = p.meta
    return {
        "doc_id": p.doc_id,
        "kind": m.kind,
        "region": m.region,
        "source": m.source,
        "sample": m.sample,
        "valid_to": _day(m.effective_to, FAR_FUTURE),
        "superseded": bool(m.superseded_by),
        "flagged": bool(p.flags),
    }


class KnowledgeIndex:
    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder,
        *,
        client=None,
        chunk_chars: int = CHUNK_CHARS,
        chroma_url: str = "",
        manifest_url: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.embedder = embedder
        self.chunk_chars = chunk_chars
        root = self.data_dir / "index"
        self.manifest = (
            Manifest.shared_db(manifest_url) if manifest_url else Manifest(root / "manifest.sqlite3")
        )
        self.client = client or (http_client(chroma_url) if chroma_url else _local_client(root / "chroma"))
        self._prepared = root / "prepared"
        cachefiles.use(self._prepared)  # jieba's dictionary, the vocabulary's pinyin
        tokenize.preload()
        name = "passages-" + re.sub(r"[^a-zA-Z0-9._-]", "-", embedder.name)[:60].strip("-._")
        self.collection = self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        self._lock = threading.RLock()
        self._snap_lock = threading.Lock()
        self._classifier: ExampleClassifier | None = None
        self._snap = Snapshot()  # replaced whole, never changed: readers need no lock
        self._checked_at = float("-inf")  # when the manifest generation was last read

    # ingest ----------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path],
        *,
        rebuild: bool = False,
        progress: Progress | None = None,
        prune: bool = True,
        pending: bool = False,
    ) -> IngestReport:
        """Bring the index in line with `paths`. Files that fail are skipped and reported; what was
        already indexed for them stays. With `prune`, indexed files under a given directory that no
        longer exist are removed. With `pending` (uploads), a document is cited as 待审核 until an
        admin confirms its metadata (`confirm`). Every passage is screened (knowledge/screen.py);
        the report names the documents with flagged passages."""
        progress = progress or Progress()
        paths = [Path(p).resolve() for p in paths]
        report = IngestReport()
        with self._lock, self.manifest.exclusive():
            try:
                if rebuild:
                    self._drop_all()
                files = expand(paths)
                if prune:
                    self._prune(paths, {str(f) for f in files}, report)
                progress.reading(len(files))
                todo = self._load_changed(files, report, progress, pending)
                progress.start(len(todo), sum(len(ps) for _, _, ps in todo))
                batch: list[tuple[str, str, list[Passage], np.ndarray]] = []
                for source, digest, passages in todo:
                    vectors = self._vectors(passages, report, progress)
                    self._screen(source, passages, vectors, report)
                    batch.append((source, digest, passages, vectors))
                    if sum(len(b[2]) for b in batch) >= WRITE_BATCH:
                        self._write(batch, report, progress)
                        batch = []
                self._write(batch, report, progress)
            finally:
                self._stale()
            self._fresh()  # prepare the snapshot now, so no start or other worker has to build it
        return report

    def _load_changed(
        self, files: list[Path], report: IngestReport, progress: Progress, pending: bool = False
    ) -> list[tuple[str, str, list[Passage]]]:
        todo = []
        for f in files:
            progress.file_read(str(f))
            source = str(f)
            try:
                raw = file_hash(f)
                digest = f"{raw}:{PIPELINE}:{self.chunk_chars}"  # re-chunk when chunking changes
                if self.manifest.file_hash(source) == digest:
                    report.unchanged.append(source)
                    continue
                passages = pipeline.file_passages(f, self.chunk_chars)
                if pending:
                    passages = [self._reviewed(p, raw) for p in passages]
                self._check_owner(source, passages)
            except IngestError as exc:
                report.skipped.append((source, str(exc)))
                continue
            todo.append((source, digest, passages))
        return todo

    def _check_owner(self, source: str, passages: list[Passage]) -> None:
        for doc_id in {p.doc_id for p in passages}:
            owner = self.manifest.owner_of(doc_id)
            if owner and owner != source:
                raise IngestError(
                    source,
                    f"doc_id “{doc_id}” 已被 {owner} 使用",
                    "请在文件头部给它换一个 doc_id",
                    field="doc_id",
                )

    def _write(
        self,
        batch: list[tuple[str, str, list[Passage], np.ndarray]],
        report: IngestReport,
        progress: Progress,
    ) -> None:
        """Put several files' passages into Chroma in one call (each Chroma write syncs to disk),
        then mark each file ingested. A kill in between leaves the files unmarked: the next run
        rewrites the same ids, so nothing is duplicated."""
        if not batch:
            return
        sources = [b[0] for b in batch]
        ids = [p.passage_id for b in batch for p in b[2]]
        where: Any = {"source": {"$in": sources}}  # chromadb's Where wants a list of any scalar
        old = self.collection.get(where=where, include=[])["ids"]
        stale = set(old) - set(ids)
        if stale:
            self.collection.delete(ids=sorted(stale))
        passages = [p for b in batch for p in b[2]]
        self.collection.upsert(
            ids=ids,
            embeddings=np.concatenate([b[3] for b in batch]),
            documents=[p.text for p in passages],
            metadatas=[chroma_metadata(p) for p in passages],
        )
        now = datetime.now(UTC).isoformat()
        for source, digest, file_passages, _ in batch:
            self.manifest.record_file(source, digest, file_passages, now)
            report.ingested.append(source)
            report.passages += len(file_passages)
            report.chars += sum(len(p.text) for p in file_passages)
            progress.file_done(source)

    def _cache_key(self, p: Passage) -> str:
        return hashlib.sha256(f"{self.embedder.name}\n{p.embed_text()}".encode()).hexdigest()

    def _vectors(self, passages: list[Passage], report: IngestReport, progress: Progress) -> np.ndarray:
        keys = [self._cache_key(p) for p in passages]
        have = self.manifest.cached_vectors(set(keys))
        missing = [i for i, k in enumerate(keys) if k not in have]
        progress.passages_done(len(passages) - len(missing))
        for start in range(0, len(missing), EMBED_BATCH):
            batch = missing[start : start + EMBED_BATCH]
            vecs = self.embedder.embed_passages([passages[i].embed_text() for i in batch])
            fresh = {keys[i]: v for i, v in zip(batch, vecs, strict=True)}
            self.manifest.cache_vectors(fresh)  # committed now: a kill after this re-embeds nothing here
            have.update(fresh)
            report.embedded += len(batch)
            progress.passages_done(len(batch))
        return np.stack([have[k] for k in keys])

    # the screen and the review -----------------------------------------------------------------
    def _screen(
        self, source: str, passages: list[Passage], vectors: np.ndarray, report: IngestReport
    ) -> None:
        """Flag the passages that give orders, ask for money or credentials, or carry links and
        account numbers; name their documents in the report."""
        # Title and heading trail too: they are shown with every citation.
        found = screen([p.embed_text() for p in passages], vectors, self.classifier())
        per_doc: dict[str, Flagged] = {}
        for p, flags in zip(passages, found, strict=True):
            p.flags = flags
            if not flags:
                continue
            doc = per_doc.setdefault(p.doc_id, Flagged(source, p.doc_id, p.meta.title, 0, []))
            doc.passages += 1
            doc.reasons += [f for f in flags if f not in doc.reasons]
        report.flagged += per_doc.values()

    def classifier(self) -> ExampleClassifier | None:
        """The screen's e5 examples, embedded once (cached in the manifest like passages). Its
        thresholds were measured on e5 vectors: another embedder gets the patterns only."""
        if not self.embedder.name.startswith("e5"):
            return None
        if self._classifier is None:
            texts, labels = rules().example_texts()
            keys = [hashlib.sha256(f"{self.embedder.name}\nscreen\n{t}".encode()).hexdigest() for t in texts]
            have = self.manifest.cached_vectors(set(keys))
            missing = [i for i, k in enumerate(keys) if k not in have]
            if missing:
                fresh = self.embedder.embed_passages([texts[i] for i in missing])
                have.update({keys[i]: v for i, v in zip(missing, fresh, strict=True)})
                self.manifest.cache_vectors({keys[i]: have[keys[i]] for i in missing})
            self._classifier = ExampleClassifier(np.stack([have[k] for k in keys]), labels)
        return self._classifier

    def _reviewed(self, p: Passage, raw_hash: str) -> Passage:
        """An upload's passage: pending, unless an admin confirmed this very file's metadata."""
        review = self.manifest.review(p.doc_id)
        if review and review["content_hash"] == raw_hash:
            fields = {k: review[k] for k in ("title", "doc_number", "issuer")}
            return p.model_copy(update={"meta": p.meta.model_copy(update={**fields, "review": "confirmed"})})
        return p.model_copy(update={"meta": p.meta.model_copy(update={"review": "pending"})})

    def confirm(
        self, doc_id: str, *, title: str, doc_number: str | None, issuer: str | None, by: str
    ) -> DocInfo:
        """An admin checked an upload's title, 文号 and issuer: it is cited as official from now on.
        Raises KeyError when there is no such document."""
        with self._lock:
            source = self.manifest.owner_of(doc_id)
            if source is None:
                raise KeyError(doc_id)
            path = Path(source)
            raw = file_hash(path) if path.exists() else ""
            self.manifest.record_review(
                doc_id, raw, title, doc_number, issuer, by, datetime.now(UTC).isoformat()
            )
            update = {"title": title, "doc_number": doc_number, "issuer": issuer, "review": "confirmed"}
            passages = [
                p.model_copy(update={"meta": p.meta.model_copy(update=update)}) if p.doc_id == doc_id else p
                for p in self.manifest.passages_of_source(source)
            ]
            report, progress = IngestReport(), Progress()
            vectors = self._vectors(passages, report, progress)  # the title is part of what is embedded
            self._write(
                [(source, self.manifest.file_hash(source) or "", passages, vectors)], report, progress
            )
            self._stale()
        return next(d for d in self.documents() if d.meta.doc_id == doc_id)

    def _prune(self, roots: list[Path], present: set[str], report: IngestReport) -> None:
        dirs = [str(r) + "/" for r in roots if r.is_dir()]
        for source in self.manifest.sources():
            if source not in present and any(source.startswith(d) for d in dirs):
                self._remove_source(source)
                report.removed.append(source)

    def _remove_source(self, source: str) -> None:
        self.collection.delete(where={"source": source})
        self.manifest.forget_file(source)

    def _drop_all(self) -> None:
        # Manifest first: a kill after this leaves files unmarked, so the next run re-adds them.
        for source in self.manifest.sources():
            self.manifest.forget_file(source)
        name = self.collection.name
        self.client.delete_collection(name)
        self.collection = self.client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def remove_doc(self, doc_id: str) -> int:
        """Remove one document (all its passages). Returns how many passages went."""
        with self._lock:
            source = self.manifest.owner_of(doc_id)
            if source is None:
                return 0
            ids = self.manifest.forget_doc(doc_id)
            self.collection.delete(ids=ids)
            if not self.manifest.passage_ids_of(source):
                self.manifest.forget_file(source)
            self._stale()
            return len(ids)

    # reading ---------------------------------------------------------------------------------
    def documents(self) -> list[DocInfo]:
        docs: dict[str, DocInfo] = {}
        for p in self.passages():
            info = docs.setdefault(p.doc_id, DocInfo(meta=p.meta, passages=0))
            info.passages += 1
            if p.flags:
                info.flagged += 1
                info.reasons += [f for f in p.flags if f not in info.reasons]
        return sorted(docs.values(), key=lambda d: (d.meta.kind, d.meta.doc_id))

    def passages(self) -> list[Passage]:
        return self._fresh().passages

    def passage(self, passage_id: str) -> Passage | None:
        return self._fresh().by_id.get(passage_id)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self._fresh().by_doc.get(doc_id, [])

    def count(self) -> int:
        return self.manifest.count()

    def _stale(self) -> None:
        """This process changed the index: look at the manifest on the next read."""
        self._checked_at = float("-inf")

    def _fresh(self) -> Snapshot:
        """Passages and BM25, reloaded when the manifest changed since the last look.

        One answer reads passages dozens of times, so the manifest is looked at most every
        FRESH_SECONDS: another process's ingest shows up within that, this process's at once."""
        now = time.monotonic()
        if now - self._checked_at >= FRESH_SECONDS:
            gen = self.manifest.generation()
            if gen != self._snap.gen:
                with self._snap_lock:  # not the ingest lock: answers must not wait for an ingest
                    if gen != self._snap.gen:
                        self._snap = self._snapshot(gen)
            self._checked_at = now
        return self._snap

    def _snapshot(self, gen: int) -> Snapshot:
        """Generation `gen` from prepared files: this directory's, else the one another worker
        published in the shared manifest, else built here (and then published)."""
        folder = self._prepared / f"{self.manifest.id}-{gen}"
        if (snap := prepared.load(folder)) is not None:
            return snap
        if self.manifest.shared and (blob := self.manifest.snapshot(gen)) is not None:
            prepared.unpack(blob, folder)
            if (snap := prepared.load(folder)) is not None:
                return snap
        gen, passages = self.manifest.passages_at()  # may be newer than `gen`: label it truly
        snap = prepared.build(passages, gen)
        folder = self._prepared / f"{self.manifest.id}-{gen}"
        prepared.save(snap, folder)
        if self.manifest.shared and folder.is_dir():
            self.manifest.save_snapshot(gen, prepared.pack(folder))
        return snap

    def idf(self, token: str) -> float:
        """How specific a token is in this corpus; unseen tokens are the most specific."""
        snap = self._fresh()
        n, df = len(snap.passages), snap.df.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def bm25_scores(self, query: str) -> tuple[list[Passage], np.ndarray]:
        snap = self._fresh()
        toks = tokenize.tokens(query)
        if snap.bm25 is None or not toks:
            return snap.passages, np.zeros(len(snap.passages), dtype=np.float32)
        return snap.passages, np.asarray(snap.bm25.get_scores(toks), dtype=np.float32)

    def dense(self, query: str, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(passage_id, cosine similarity) best first."""
        total = len(self._fresh().passages)
        if total == 0:
            return []
        vec = self.embedder.embed_query(query)
        res = self.collection.query(
            query_embeddings=[vec],
            n_results=min(n, total),
            where=where or None,
            include=["distances"],
        )
        distances = res["distances"] or [[]]  # asked for, so always there
        return [(pid, 1.0 - float(d)) for pid, d in zip(res["ids"][0], distances[0], strict=True)]


CHROMA_WAIT = 30.0  # seconds to wait for a Chroma server that is still starting


def _local_client(path: Path):
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))


def http_client(url: str, wait: float = CHROMA_WAIT):
    """A client of the Chroma server at `url` (e.g. http://127.0.0.1:8100), waiting for it to answer."""
    from urllib.parse import urlsplit

    import chromadb
    from chromadb.config import Settings

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RONGCHUANG_CHROMA_URL 应是 http://主机:端口 的形式，现在是 {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    deadline = time.monotonic() + wait
    while True:
        try:
            return chromadb.HttpClient(
                host=parts.hostname,
                port=port,
                ssl=parts.scheme == "https",
                settings=Settings(anonymized_telemetry=False),
            )
        except Exception as exc:  # connection refused while the server starts; chromadb wraps it
            if time.monotonic() > deadline:
                raise ConfigError(
                    f"连不上 Chroma 服务 {url}（{type(exc).__name__}）。请先在这台机器上运行 "
                    f"chroma run --path var/chroma-server --host 127.0.0.1 --port {port}，"
                    "或检查 RONGCHUANG_CHROMA_URL。"
                ) from exc
            time.sleep(0.25)


ProgressFactory = Callable[[], Progress]
