"""Ingest progress for the command line: a rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from knowledge.progress import LineProgress
from knowledge.progress import Progress as IngestProgress


def ingest_progress(console: Console) -> RichProgress | LineProgress:
    """A bar draws nothing when output goes to a file or a pipe (`make run > out.txt`): print lines."""
    if console.is_terminal:
        return RichProgress(console)
    return LineProgress(lambda line: console.print(line, soft_wrap=True, markup=False, highlight=False))


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
        self._reading: TaskID | None = None
        self._files: TaskID | None = None
        self._passages: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.__exit__(*exc)

    def phase(self, text: str) -> None:
        self._bar.console.print(f"{text}…")

    def reading(self, files: int) -> None:
        if files:
            self._reading = self._bar.add_task("读取", total=files)

    def file_read(self, source: str) -> None:
        if self._reading is not None:
            self._bar.advance(self._reading)

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
