"""Ingest progress as plain lines (for `make run > out.txt`), and the CLI choosing lines off a terminal."""

from __future__ import annotations

import io
import re
import threading

from rich.console import Console

from connectors.progress import RichProgress, ingest_progress
from knowledge.progress import LineProgress, duration


def test_lines_say_what_runs_files_passages_rate_and_time_left() -> None:
    p = LineProgress(lambda _line: None)
    assert p.line() is None  # nothing started, nothing to say
    p.phase("正在加载嵌入模型")
    assert p.line().startswith("正在加载嵌入模型…（已 ")
    p.reading(34)
    for _ in range(12):
        p.file_read("x")
    assert p.line() == "正在读取和切分文件：12/34"
    for _ in range(22):
        p.file_read("x")
    p.start(34, 362)
    p.started_at -= 10  # as if embedding had run for 10 s
    p.passages_done(100)
    line = p.line()
    assert line.startswith("索引进度：文件 0/34，段落 100/362（27%），每秒 10.0 段，预计还要 ")
    assert re.search(r"预计还要 2\d 秒$", line), line  # 262 left at 10 per second
    for _ in range(34):
        p.file_done("x")
    assert p.line() is None  # done: the summary follows
    p.phase("正在加载分词、检索和嵌入模型")
    assert p.line().startswith("正在加载分词、检索和嵌入模型…")


def test_the_ticker_writes_lines_while_nothing_calls_back() -> None:
    lines: list[str] = []
    seen = threading.Event()

    def emit(line: str) -> None:
        lines.append(line)
        seen.set()

    with LineProgress(emit, every=0.01) as p:
        p.phase("正在加载嵌入模型")
        assert seen.wait(30), "no line from the ticker"
    assert lines[0].startswith("正在加载嵌入模型…")


def test_off_a_terminal_the_cli_prints_lines_not_a_bar() -> None:
    assert isinstance(ingest_progress(Console(file=io.StringIO())), LineProgress)
    assert isinstance(ingest_progress(Console(file=io.StringIO(), force_terminal=True)), RichProgress)
    buf = io.StringIO()
    long = "索引进度：" + "文" * 200
    ingest_progress(Console(file=buf, width=80)).emit(long)
    assert buf.getvalue() == long + "\n", "one line, never wrapped at 80 columns"


def test_duration_reads_plainly() -> None:
    assert [duration(s) for s in (0.2, 40, 75, 200, 3600)] == [
        "1 秒",
        "40 秒",
        "1 分 15 秒",
        "3 分 20 秒",
        "60 分",
    ]
