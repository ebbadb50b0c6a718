"""Prepared files: written atomically, read back, and a missing or damaged one is just absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import cachefiles


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cachefiles, "_folder", [])
    cachefiles.use(tmp_path / "prepared")
    cachefiles.use(tmp_path / "other")  # the first index's directory wins
    return tmp_path / "prepared"


def test_saved_values_read_back(folder: Path) -> None:
    cachefiles.save("t.marshal", {"专精特新": ("zhuan", "jing", "te", "xin")})
    assert cachefiles.load("t.marshal") == {"专精特新": ("zhuan", "jing", "te", "xin")}
    assert [p.name for p in folder.iterdir()] == ["t.marshal"]  # no temporary file left


def test_missing_or_damaged_files_are_none(folder: Path) -> None:
    assert cachefiles.load("nothing") is None
    folder.mkdir()
    (folder / "bad").write_bytes(b"\xff\x00")
    assert cachefiles.load("bad") is None


def test_without_a_folder_nothing_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cachefiles, "_folder", [])
    cachefiles.save("x", 1)
    assert cachefiles.load("x") is None and cachefiles.folder() is None


def test_keys_change_with_any_part() -> None:
    assert cachefiles.key("a", "b") != cachefiles.key("ab")
    assert cachefiles.key("a", b"b") == cachefiles.key("a", "b")
