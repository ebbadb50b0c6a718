"""A rich progress bar for long ingests: files, passages and an ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from knowledge.index import Progress as IngestProgress


class RichProgress(IngestProgress):
    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._files: TaskID | None = None
        self._passages: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)

    def start(self, files: int, passages: int) -> None:
        if files:
            self._files = self._bar.add_task("文件", total=files)
            self._passages = self._bar.add_task("段落", total=passages)

    def file_done(self, source: str) -> None:
        if self._files is not None:
            self._bar.advance(self._files)

    def passages_done(self, n: int) -> None:
        if self._passages is not None:
            self._bar.advance(self._passages, n)
