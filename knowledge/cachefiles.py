"""Prepared files beside the index: tables that are slow to build and quick to read (jieba's
dictionary with our words, the pinyin of the vocabulary), each named by a hash of what it was built
from, so a changed input makes a new file instead of a stale read.

They live in the prepared directory of the first index the process opens (`use`); a process that
opens none builds what it needs each time, as before. A file that cannot be read or written only
costs a rebuild.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

_folder: list[Path] = []


def use(folder: Path) -> None:
    """Keep prepared files in `folder` (the first call wins: one process, one data directory)."""
    if not _folder:
        _folder.append(Path(folder))


def folder() -> Path | None:
    return _folder[0] if _folder else None


def key(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
        h.update(b"\0")
    return h.hexdigest()[:16]


def load(name: str) -> Any | None:
    """The value saved under `name`, or None (no prepared directory, no such file, unreadable)."""
    data = read(name)
    try:
        return None if data is None else marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None


def save(name: str, value: Any) -> None:
    """Write `value` (built-in types only) under `name`, atomically."""
    if _folder:
        write(name, marshal.dumps(value))


def read(name: str) -> bytes | None:
    if not _folder:
        return None
    try:
        return (_folder[0] / name).read_bytes()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    if not _folder:
        return
    path = _folder[0] / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:  # a read-only data directory only costs the next start a rebuild
        pass
