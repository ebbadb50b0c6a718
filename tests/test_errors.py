"""The error tree in knowledge/errors.py's docstring is the whole tree (httpx's _exceptions.py)."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import knowledge.errors
from knowledge.errors import IngestError, RongchuangError, UploadTooLarge

PACKAGES = ("knowledge", "assistant", "connectors", "eval")


def _import_all() -> None:
    for name in PACKAGES:
        pkg = importlib.import_module(name)
        for mod in pkgutil.walk_packages(pkg.__path__, prefix=f"{name}."):
            if ".migrations." not in mod.name and not mod.name.endswith("__main__"):
                importlib.import_module(mod.name)


def _subclasses(cls: type) -> dict[str, type | None]:
    """Each subclass with its parent, in the tree RongchuangError roots."""
    out: dict[str, type | None] = {}
    for sub in cls.__subclasses__():
        if sub.__module__.split(".")[0] in PACKAGES:
            out[sub.__name__] = cls
            out.update(_subclasses(sub))
    return out


def _documented() -> dict[str, str | None]:
    """Class name → parent name, read from the box-drawing tree in the docstring."""
    doc = knowledge.errors.__doc__ or ""
    out: dict[str, str | None] = {}
    stack: list[str] = []
    for line in doc.splitlines():
        m = re.match(r"^([│ ]*)(?:[├└]── )?([A-Z]\w+)(?:\s|$)", line)
        if not m or not (m.group(2).endswith(("Error", "Found", "Conflict")) or "──" in line):
            continue
        depth = len(m.group(1)) // 4 + (1 if "──" in line else 0)
        del stack[depth:]
        out[m.group(2)] = stack[-1] if stack else None
        stack.append(m.group(2))
    return out


def test_every_error_class_is_in_the_docstring_under_its_parent():
    _import_all()
    real = {
        name: parent.__name__ if parent else None for name, parent in _subclasses(RongchuangError).items()
    }
    documented = _documented()
    assert documented.pop("RongchuangError") is None
    assert documented == real, "update the tree in knowledge/errors.py's docstring"
    assert len(real) >= 11  # the tree is found at all, not an empty match


def test_the_dead_error_is_gone():
    assert not hasattr(knowledge.errors, "IndexNotReady")


def test_upload_too_large_is_an_ingest_error_that_says_what_to_do():
    exc = UploadTooLarge("报告.pdf", 20)
    assert isinstance(exc, IngestError) and isinstance(exc, RongchuangError)
    assert "20 MB" in str(exc) and "报告.pdf" in str(exc) and "拆分" in str(exc)


def test_a_bad_setting_is_a_config_error_that_names_it(monkeypatch):
    from assistant.settings import Settings
    from knowledge.errors import ConfigError

    monkeypatch.setenv("RONGCHUANG_UPLOAD_MAX_MB", "twenty")
    with pytest.raises(ConfigError, match="RONGCHUANG_UPLOAD_MAX_MB") as exc:
        Settings()
    assert "twenty" in str(exc.value)
