"""Ingest progress: the callbacks an ingest makes, and plain lines for logs and output that is not a
terminal.

A ticker thread writes one line every few seconds while an ingest runs (files read, passages
indexed, rate, time left), so `make run > out.txt` shows it is alive even while one file is slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

EVERY_SECONDS = 5.0


class Progress:
    """Ingest progress callbacks: a rich bar on a terminal (connectors/progress.py), lines elsewhere.

    Kept free of heavy imports, so a command can show progress while the index modules load."""

    def phase(self, text: str) -> None: ...

    def reading(self, files: int) -> None: ...

    def file_read(self, source: str) -> None: ...

    def start(self, files: int, passages: int) -> None: ...

    def file_done(self, source: str) -> None: ...

    def passages_done(self, n: int) -> None: ...


def duration(seconds: float) -> str:
    """Chinese, coarse on purpose: "约 40 秒", "约 3 分 10 秒"."""
    s = max(0, round(seconds / 5) * 5 if seconds > 60 else round(seconds))
    if s < 60:
        return f"{max(s, 1)} 秒"
    m, s = divmod(s, 60)
    return f"{m} 分 {s} 秒" if s else f"{m} 分"


class LineProgress(Progress):
    """Use as a context manager around `KnowledgeIndex.ingest(..., progress=...)`."""

    def __init__(self, emit: Callable[[str], None], every: float = EVERY_SECONDS) -> None:
        self.emit, self.every = emit, every
        self.reading_total = self.read = 0
        self.files = self.passages = self.done_files = self.done_passages = 0
        self.started_at: float | None = None
        self._phase: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LineProgress:
        self._thread = threading.Thread(target=self._tick, name="ingest-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            if line := self.line():
                self.emit(line)

    def phase(self, text: str) -> None:
        """Say what runs now between counted steps (loading models …); repeated with the time taken."""
        with self._lock:
            self._phase = (text, time.monotonic())
            self.files = self.done_files = 0  # counting is over: the phase speaks now

    # callbacks ---------------------------------------------------------------------------------
    def reading(self, files: int) -> None:
        with self._lock:
            self.reading_total = files

    def file_read(self, source: str) -> None:
        with self._lock:
            self.read += 1

    def start(self, files: int, passages: int) -> None:
        with self._lock:
            self.files, self.passages, self.started_at = files, passages, time.monotonic()
            self._phase = None if files else self._phase
        if files:
            self.emit(f"建立知识库索引：{files} 个文件要处理，共 {passages} 段。")

    def file_done(self, source: str) -> None:
        with self._lock:
            self.done_files += 1

    def passages_done(self, n: int) -> None:
        with self._lock:
            self.done_passages += n

    # the line ----------------------------------------------------------------------------------
    def line(self) -> str | None:
        """What is happening now, or None when there is nothing to say."""
        with self._lock:
            if self.started_at is None and self.reading_total and self.read < self.reading_total:
                return f"正在读取和切分文件：{self.read}/{self.reading_total}"
            if self.started_at is None or not self.files or self.done_files >= self.files:
                if self._phase is None:
                    return None
                text, since = self._phase
                return f"{text}…（已 {duration(time.monotonic() - since)}）"
            elapsed = time.monotonic() - self.started_at
            done, total = self.done_passages, self.passages
            head = f"索引进度：文件 {self.done_files}/{self.files}，段落 {done}/{total}（{100 * done // max(total, 1)}%）"
            if done == 0 or elapsed < 1:
                return head + "，正在加载嵌入模型…"
            rate = done / elapsed
            left = (total - done) / rate
            return f"{head}，每秒 {rate:.1f} 段，预计还要 {duration(left)}"
