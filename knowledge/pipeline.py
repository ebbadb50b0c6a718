"""One file in, its passages out: the loader and the chunker as ingest runs them.

The upload check calls this too, so a file refused at upload is exactly a file ingest would skip.
"""

from __future__ import annotations

from pathlib import Path

from .chunk import chunk
from .errors import IngestError
from .sources import load_file
from .types import Passage


def file_passages(path: Path, chunk_chars: int) -> list[Passage]:
    """Load, clean and chunk one file. Raises IngestError when it yields no usable text."""
    passages = [p for doc in load_file(path) for p in chunk(doc, max_chars=chunk_chars)]
    if not passages:
        raise IngestError(str(path), "没有可用的文字内容", "请确认文件不是空白或纯图片")
    return passages
