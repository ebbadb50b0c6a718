"""Knowledge uploads: check the file at once (a bad one gets the loader's error and is deleted), then
ingest it in a background thread of this process, with progress the admin page polls.

One worker thread: uploads are ingested one after another, and always in the process that owns the
Chroma directory (Chroma is not safe across processes on one path).
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from knowledge.chunk import chunk
from knowledge.errors import IngestError
from knowledge.index import KnowledgeIndex, Progress
from knowledge.sources import load_file

log = logging.getLogger("rongchuang.web")
KEEP_JOBS = 200
COPY_CHUNK = 1024 * 1024


@dataclass
class Job:
    id: str
    filename: str
    status: str = "queued"
    files: int = 0
    passages: int = 0
    done_passages: int = 0
    error: str | None = None
    doc_ids: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # the ingest screen's findings, one line a document


class JobProgress(Progress):
    def __init__(self, job: Job) -> None:
        self.job = job

    def start(self, files: int, passages: int) -> None:
        self.job.files, self.job.passages = files, passages

    def passages_done(self, n: int) -> None:
        self.job.done_passages += n


class UploadTooLarge(Exception):
    pass


def safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^\w.\-（）()]+", "_", name).lstrip("._")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem[:100] or "upload"
    return f"{stem}.{suffix[:10]}" if suffix else stem


class Uploads:
    def __init__(self, index: KnowledgeIndex, root: Path) -> None:
        self.index = index
        self.root = Path(root)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def accept(self, stream: BinaryIO, filename: str | None, max_bytes: int) -> Job:
        """Save, check and queue one upload. Raises IngestError (bad file) or UploadTooLarge."""
        name = safe_name(filename)
        incoming = self.root / ".incoming" / secrets.token_hex(8)
        incoming.mkdir(parents=True)
        try:
            staged = incoming / name
            _copy_limited(stream, staged, max_bytes)
            check(staged, name)
            final = self.root / name
            staged.replace(final)  # only now may it replace an earlier upload of the same name
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        return self._submit(final, name)

    def _submit(self, path: Path, name: str) -> Job:
        job = Job(id="j_" + secrets.token_hex(6), filename=name)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEEP_JOBS]:
                del self._jobs[old]
        self._pool.submit(self._run, job, path)
        return job

    def _run(self, job: Job, path: Path) -> None:
        job.status = "running"
        try:
            report = self.index.ingest([path], prune=False, progress=JobProgress(job), pending=True)
        except Exception as exc:  # anything else: report it on the job, never kill the worker
            log.exception("ingest of %s failed", job.filename)
            job.status, job.error = (
                "failed",
                f"{job.filename}：导入失败（{type(exc).__name__}），请检查文件后重试。",
            )
            return
        if report.skipped:
            job.status, job.error = "failed", report.skipped[0][1].replace(str(path.resolve()), job.filename)
            if not self._indexed(path):
                path.unlink(missing_ok=True)
            return
        job.doc_ids = sorted(d.meta.doc_id for d in self.index.documents() if self._owns(d.meta.source, path))
        job.done_passages = max(job.done_passages, job.passages)
        job.flagged = [doc.describe() for doc in report.flagged]
        job.status = "done"
        log.info("uploaded %s ingested: %d passages", job.filename, report.passages)

    def _indexed(self, path: Path) -> bool:
        return any(self._owns(d.meta.source, path) for d in self.index.documents())

    @staticmethod
    def _owns(source: str, path: Path) -> bool:
        return bool(source) and Path(source).resolve() == path.resolve()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def is_upload(self, source: str) -> bool:
        return bool(source) and Path(source).resolve().parent == self.root.resolve()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _copy_limited(stream: BinaryIO, dest: Path, max_bytes: int) -> None:
    total = 0
    with dest.open("wb") as out:
        while block := stream.read(COPY_CHUNK):
            total += len(block)
            if total > max_bytes:
                raise UploadTooLarge
            out.write(block)


def check(path: Path, name: str) -> None:
    """Load and chunk now, so a bad file is refused with the loader's own words."""
    try:
        docs = load_file(path)
        if not any(chunk(d) for d in docs):
            raise IngestError(str(path), "没有可用的文字内容", "请确认文件不是空白或纯图片")
    except IngestError as exc:
        raise IngestError(name, exc.reason, exc.hint, page=exc.page, field=exc.field) from exc
    except Exception as exc:  # a loader crash on a hostile file is still the file's fault
        raise IngestError(name, f"无法读取这个文件（{type(exc).__name__}）", "请确认文件没有损坏") from exc
