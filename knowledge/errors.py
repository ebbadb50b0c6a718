"""The error tree. Every error a user can cause says what went wrong and what to do.

RongchuangError
├── IngestError      a file that cannot be ingested (file, page or field, reason, what to do)
├── ConfigError      a setting that cannot work
└── IndexNotReady    searching before anything was ingested
"""

from __future__ import annotations


class RongchuangError(Exception):
    """Base of every error this project raises on purpose."""


class IngestError(RongchuangError):
    def __init__(
        self, path: str, reason: str, hint: str = "", *, page: int | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.hint = hint
        self.page = page
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.page is not None:
            where += f" 第{self.page}页"
        if self.field:
            where += f" 字段 {self.field}"
        text = f"{where}：{self.reason}"
        if self.hint:
            text += f"。{self.hint}"
        return text


class ConfigError(RongchuangError):
    pass


class IndexNotReady(RongchuangError):
    def __init__(self, data_dir: str) -> None:
        super().__init__(f"知识库索引还没有建立（{data_dir}）。请先运行：rongchuang ingest")
