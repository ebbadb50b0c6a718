"""Knowledge uploads: save the file and answer at once; a background thread of this process parses
it (in a child process with size, depth and time limits), ingests it and reports progress or the
refusal on the job the admin page polls. A refused file is deleted and nothing indexed is touched.

One worker thread: uploads are ingested one after another, and always in the process that owns the
Chroma directory (Chroma is not safe across processes on one path). On shutdown the running parser
is killed and the thread is not waited for long: an interrupted ingest resumes on the next run.
"""

from __future__ import annotations

import logging
import queue
import re
import secrets
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from knowledge import child
from knowledge.chunk import chunk
from knowledge.errors import IngestError
from knowledge.index import KnowledgeIndex, Progress
from knowledge.sources import SUPPORTED_SUFFIXES, load_file

log = logging.getLogger("rongchuang.web")
KEEP_JOBS = 200
COPY_CHUNK = 1024 * 1024
STOP_WAIT_S = 5.0  # at shutdown, how long to wait for an ingest between two batches


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
        self._queue: queue.Queue[tuple[Job, Path] | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        # A daemon thread, not a pool: interpreter exit must not wait for a long ingest.
        self._thread = threading.Thread(target=self._work, name="ingest", daemon=True)
        self._thread.start()

    def accept(self, stream: BinaryIO, filename: str | None, max_bytes: int) -> Job:
        """Save one upload and queue it. Raises IngestError (wrong type, empty) or UploadTooLarge;
        everything that needs parsing is checked by the job."""
        name = safe_name(filename)
        incoming = self.root / ".incoming" / secrets.token_hex(8)
        incoming.mkdir(parents=True)
        staged = incoming / name
        try:
            _copy_limited(stream, staged, max_bytes)
            quick_check(staged, name)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        return self._submit(staged, name)

    def _submit(self, staged: Path, name: str) -> Job:
        job = Job(id="j_" + secrets.token_hex(6), filename=name)
        with self._lock:
            self._jobs[job.id] = job
            for old in list(self._jobs)[:-KEEP_JOBS]:
                del self._jobs[old]
        self._queue.put((job, staged))
        return job

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            job, staged = item
            try:
                if self._stopping.is_set():
                    job.status, job.error = (
                        "failed",
                        f"{job.filename}：服务正在停止，没有导入。请稍后重新上传。",
                    )
                    continue
                path = self._checked(job, staged)
                if path is not None:
                    self._run(job, path)
            finally:
                shutil.rmtree(staged.parent, ignore_errors=True)

    def _checked(self, job: Job, staged: Path) -> Path | None:
        """Parse now (child process, limits); a refused file is deleted and reported on the job."""
        job.status = "running"
        try:
            check(staged, job.filename)
        except IngestError as exc:
            job.status = "failed"
            job.error = (
                f"{job.filename}：服务正在停止，没有导入。请稍后重新上传。"
                if self._stopping.is_set()
                else str(exc)
            )
            return None
        final = self.root / job.filename
        staged.replace(final)  # only now may it replace an earlier upload of the same name
        return final

    def _run(self, job: Job, path: Path) -> None:
        job.status = "running"
        try:
            report = self.index.ingest([path], prune=False, progress=JobProgress(job))
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
        """Stop at once: kill the running parser, refuse queued jobs, wait briefly for the thread."""
        self._stopping.set()
        child.stop_all()
        self._queue.put(None)
        self._thread.join(timeout=STOP_WAIT_S)


def _copy_limited(stream: BinaryIO, dest: Path, max_bytes: int) -> None:
    total = 0
    with dest.open("wb") as out:
        while block := stream.read(COPY_CHUNK):
            total += len(block)
            if total > max_bytes:
                raise UploadTooLarge
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
