"""Knowledge uploads: save the file and answer at once; a background thread of this worker parses it
(in a child process with size, depth and time limits), ingests it and reports progress or the
refusal on the job the admin page polls. A refused file is deleted and nothing indexed is touched.

Jobs and their progress are rows in the database, so any worker can report them. One ingest thread
per worker; across workers the index's own lock lets one ingest write at a time. On shutdown the
running parser is killed and the thread is not waited for long: an interrupted ingest resumes on
the next run.
"""

from __future__ import annotations

import logging
import queue
import re
import secrets
import shutil
import threading
from pathlib import Path
from typing import BinaryIO

from assistant.store import JobInfo, Store
from knowledge import child
from knowledge.errors import IngestError, UploadTooLarge
from knowledge.index import KnowledgeIndex, Progress
from knowledge.pipeline import file_passages
from knowledge.sources import SUPPORTED_SUFFIXES

log = logging.getLogger("rongchuang.web")
COPY_CHUNK = 1024 * 1024
STOP_WAIT_S = 5.0  # at shutdown, how long to wait for an ingest between two batches
STOPPING = "{name}：服务正在停止，没有导入。请稍后重新上传。"


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
        self._queue: queue.Queue[tuple[str, str, Path] | None] = queue.Queue()
        self._stopping = threading.Event()
        # A daemon thread, not a pool: interpreter exit must not wait for a long ingest.
        self._thread = threading.Thread(target=self._work, name="ingest", daemon=True)
        self._thread.start()

    def accept(self, stream: BinaryIO, filename: str | None, max_bytes: int) -> JobInfo:
        """Save one upload and queue it. Raises IngestError (wrong type, empty) or UploadTooLarge;
        everything that needs parsing is checked by the job."""
        name = safe_name(filename)
        incoming = self.root / ".incoming" / secrets.token_hex(8)
        incoming.mkdir(parents=True)
        staged = incoming / name
        try:
            _copy_limited(stream, staged, max_bytes, name)
            quick_check(staged, name)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        job = self.store.create_job("j_" + secrets.token_hex(6), name)
        self._queue.put((job.id, name, staged))
        return job

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            job_id, name, staged = item
            try:
                if self._stopping.is_set():
                    self.store.update_job(job_id, status="failed", error=STOPPING.format(name=name))
                    continue
                path = self._checked(job_id, name, staged)
                if path is not None:
                    self._run(job_id, name, path)
            except Exception:  # never kill the worker thread
                log.exception("upload job %s failed", job_id)
            finally:
                shutil.rmtree(staged.parent, ignore_errors=True)

    def _checked(self, job_id: str, name: str, staged: Path) -> Path | None:
        """Parse now (child process, limits); a refused file is deleted and reported on the job."""
        self.store.update_job(job_id, status="running")
        try:
            check(staged, name, self.index.chunk_chars)
        except IngestError as exc:
            error = STOPPING.format(name=name) if self._stopping.is_set() else str(exc)
            self.store.update_job(job_id, status="failed", error=error)
            return None
        final = self.root / name
        staged.replace(final)  # only now may it replace an earlier upload of the same name
        return final

    def _run(self, job_id: str, name: str, path: Path) -> None:
        try:
            report = self.index.ingest(
                [path], prune=False, progress=JobProgress(self.store, job_id), pending=True
            )
            if report.skipped:
                error = report.skipped[0][1].replace(str(path.resolve()), name)
                self.store.update_job(job_id, status="failed", error=error)
                if not self._indexed(path):
                    path.unlink(missing_ok=True)
                return
            docs = sorted(d.meta.doc_id for d in self.index.documents() if self._owns(d.meta.source, path))
            job = self.store.get_job(job_id)
            done = max(job.done_passages, job.passages) if job else report.passages
            flagged = [doc.describe() for doc in report.flagged]
            self.store.update_job(job_id, status="done", doc_ids=docs, done_passages=done, flagged=flagged)
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
        """Stop at once: kill the running parser, refuse queued jobs, wait briefly for the thread."""
        self._stopping.set()
        child.stop_all()
        self._queue.put(None)
        self._thread.join(timeout=STOP_WAIT_S)


def _copy_limited(stream: BinaryIO, dest: Path, max_bytes: int, name: str) -> None:
    total = 0
    with dest.open("wb") as out:
        while block := stream.read(COPY_CHUNK):
            total += len(block)
            if total > max_bytes:
                raise UploadTooLarge(name, max_bytes // (1024 * 1024))
            out.write(block)


def quick_check(path: Path, name: str) -> None:
    """What needs no parsing: a known type, not empty."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            name, f"不支持的文件类型“{suffix or '无扩展名'}”", f"支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}"
        )
    if path.stat().st_size == 0 or (path.stat().st_size <= 4096 and not path.read_bytes().strip()):
        raise IngestError(name, "文件是空的", "请确认文件已完整保存或下载后再导入")


def check(path: Path, name: str, chunk_chars: int) -> None:
    """Load and chunk now, exactly as ingest will, so a bad file is refused with the loader's own words."""
    try:
        file_passages(path, chunk_chars)
    except IngestError as exc:
        raise IngestError(name, exc.reason, exc.hint, page=exc.page, field=exc.field) from exc
    except Exception as exc:  # a loader crash on a hostile file is still the file's fault
        raise IngestError(name, f"无法读取这个文件（{type(exc).__name__}）", "请确认文件没有损坏") from exc
