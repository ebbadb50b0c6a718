"""Knowledge uploads: check the file at once (a bad one gets the loader's error and is deleted), then
ingest it in a background thread of the worker that received it, with progress the admin page polls.

Jobs and their progress are rows in the database, so any worker can report them. One ingest thread
per worker; across workers the index's own lock lets one ingest write at a time.
"""

from __future__ import annotations

import logging
import re
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from assistant.store import JobInfo, Store
from knowledge.errors import IngestError, UploadTooLarge
from knowledge.index import KnowledgeIndex, Progress
from knowledge.pipeline import file_passages

log = logging.getLogger("rongchuang.web")
COPY_CHUNK = 1024 * 1024


class JobProgress(Progress):
    def __init__(self, store: Store, job_id: str) -> None:
        self.store = store
        self.job_id = job_id

    def start(self, files: int, passages: int) -> None:
        self.store.update_job(self.job_id, files=files, passages=passages)

    def passages_done(self, n: int) -> None:
        if n:
            self.store.add_job_progress(self.job_id, n)


def safe_name(filename: str | None) -> str:
    name = Path((filename or "").replace("\\", "/")).name
    name = re.sub(r"[^\w.\-（）()]+", "_", name).lstrip("._")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem[:100] or "upload"
    return f"{stem}.{suffix[:10]}" if suffix else stem


class Uploads:
    def __init__(self, index: KnowledgeIndex, root: Path, store: Store) -> None:
        self.index = index
        self.root = Path(root)
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")

    def accept(self, stream: BinaryIO, filename: str | None, max_bytes: int) -> JobInfo:
        """Save, check and queue one upload. Raises IngestError (bad file) or UploadTooLarge."""
        name = safe_name(filename)
        incoming = self.root / ".incoming" / secrets.token_hex(8)
        incoming.mkdir(parents=True)
        try:
            staged = incoming / name
            _copy_limited(stream, staged, max_bytes, name)
            check(staged, name, self.index.chunk_chars)
            final = self.root / name
            staged.replace(final)  # only now may it replace an earlier upload of the same name
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        return self._submit(final, name)

    def _submit(self, path: Path, name: str) -> JobInfo:
        job = self.store.create_job("j_" + secrets.token_hex(6), name)
        self._pool.submit(self._run, job.id, name, path)
        return job

    def _run(self, job_id: str, name: str, path: Path) -> None:
        try:
            self.store.update_job(job_id, status="running")
            report = self.index.ingest([path], prune=False, progress=JobProgress(self.store, job_id))
            if report.skipped:
                error = report.skipped[0][1].replace(str(path.resolve()), name)
                self.store.update_job(job_id, status="failed", error=error)
                if not self._indexed(path):
                    path.unlink(missing_ok=True)
                return
            docs = sorted(d.meta.doc_id for d in self.index.documents() if self._owns(d.meta.source, path))
            job = self.store.get_job(job_id)
            done = max(job.done_passages, job.passages) if job else report.passages
            self.store.update_job(job_id, status="done", doc_ids=docs, done_passages=done)
            log.info("uploaded %s ingested: %d passages", name, report.passages)
        except Exception as exc:  # anything else: report it on the job, never kill the worker
            log.exception("ingest of %s failed", name)
            error = f"{name}：导入失败（{type(exc).__name__}），请检查文件后重试。"
            try:
                self.store.update_job(job_id, status="failed", error=error)
            except Exception:
                log.exception("could not record the failure of job %s", job_id)

    def _indexed(self, path: Path) -> bool:
        return any(self._owns(d.meta.source, path) for d in self.index.documents())

    @staticmethod
    def _owns(source: str, path: Path) -> bool:
        return bool(source) and Path(source).resolve() == path.resolve()

    def get(self, job_id: str) -> JobInfo | None:
        return self.store.get_job(job_id)

    def is_upload(self, source: str) -> bool:
        return bool(source) and Path(source).resolve().parent == self.root.resolve()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _copy_limited(stream: BinaryIO, dest: Path, max_bytes: int, name: str) -> None:
    total = 0
    with dest.open("wb") as out:
        while block := stream.read(COPY_CHUNK):
            total += len(block)
            if total > max_bytes:
                raise UploadTooLarge(name, max_bytes // (1024 * 1024))
            out.write(block)


def check(path: Path, name: str, chunk_chars: int) -> None:
    """Load and chunk now, exactly as ingest will, so a bad file is refused with the loader's own words."""
    try:
        file_passages(path, chunk_chars)
    except IngestError as exc:
        raise IngestError(name, exc.reason, exc.hint, page=exc.page, field=exc.field) from exc
    except Exception as exc:  # a loader crash on a hostile file is still the file's fault
        raise IngestError(name, f"无法读取这个文件（{type(exc).__name__}）", "请确认文件没有损坏") from exc
