"""Reading the dictionary files of knowledge/dict/ (and staff's RONGCHUANG_DICT_DIR): tables and
lists, each problem a DictionaryError that names the file and line. `lexicon.py` builds the
vocabulary from what this reads; the file formats are described there and in the README."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.errors import ConfigError

# synonyms.txt (query widening) and domain.txt (the tokenizer's words) are read by knowledge/.
TABLES = ("tracks.tsv", "needs.tsv", "wants.tsv", "districts.tsv", "universities.tsv", "topics.tsv")
LISTS = ("words.txt", "intents.txt", "profile.txt")
STOP = "-"
_COLUMNS = re.compile(r"\t+| {2,}")
_HEAD = re.compile(r"\[([a-z_]+)(?: ([^\]\s]+))?\]")
_SLOT = re.compile(r"\{([a-z_]+)\}")


class DictionaryError(ConfigError):
    """A dictionary entry that cannot work; says which file and line, and what to do."""

    def __init__(self, path: Path | str, line: int | None, reason: str, hint: str = "") -> None:
        where = f"{path} 第{line}行" if line else str(path)
        super().__init__(f"词表 {where}：{reason}。" + (hint or "请按文件开头的说明修改后重试。"))


def bundled_dir() -> Path:
    return Path(str(resources.files("knowledge") / "dict"))


@dataclass
class _Entry:
    text: str
    path: Path
    line: int


@dataclass
class _Table:
    variants: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    stops: list[str] = field(default_factory=list)


def _norm(word: str) -> str:
    return unicodedata.normalize("NFKC", word).lower()


def _lines(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DictionaryError(path, None, "文件不是 UTF-8 编码", "请另存为 UTF-8 后重试。") from exc
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield n, line


def _split_variants(path: Path, n: int, cell: str) -> list[str]:
    words = [w.strip() for w in cell.split("|")]
    if not all(words):
        raise DictionaryError(path, n, "有空的说法", "请在两个 | 之间写上说法，或删去多余的 |。")
    return words


def _read_table(path: Path, table: _Table, labelled: bool) -> None:
    ncols = 3 if labelled else 2
    shape = "代码<制表符>名称<制表符>说法|说法" if labelled else "标准名<制表符>说法|说法"
    for n, line in _lines(path):
        cells = _COLUMNS.split(line, maxsplit=ncols - 1)
        if cells[0] == STOP and len(cells) >= 2:
            table.stops += [_norm(w) for w in _split_variants(path, n, cells[-1])]
            continue
        if len(cells) != ncols:
            raise DictionaryError(
                path, n, f"应为“{shape}”，这一行有 {len(cells)} 列", "请在列之间用制表符隔开。"
            )
        key, words = cells[0], [_norm(w) for w in _split_variants(path, n, cells[-1])]
        if labelled:
            if table.labels.setdefault(key, cells[1]) != cells[1]:
                raise DictionaryError(path, n, f"“{key}”的名称和前面写的“{table.labels[key]}”不一致")
        table.variants.setdefault(key, []).extend(words)


def _read_lists(path: Path, lists: dict[str, list[_Entry]], heads: dict[str, _Entry]) -> None:
    current: list[_Entry] | None = None
    for n, line in _lines(path):
        if head := _HEAD.fullmatch(line):
            name = " ".join(g for g in head.groups() if g)
            heads.setdefault(name, _Entry(line, path, n))
            current = lists.setdefault(name, [])
        elif current is None:
            raise DictionaryError(path, n, "这一行不在任何 [表名] 下面", "请把它移到对应的 [表名] 后面。")
        else:
            current.append(_Entry(line, path, n))


class Source:
    """The dictionary files of the bundled directory and, optionally, a staff directory."""

    def __init__(self, dirs: list[Path]) -> None:
        self.tables = {name.removesuffix(".tsv"): _Table() for name in TABLES}
        self.lists: dict[str, dict[str, list[_Entry]]] = {name: {} for name in LISTS}
        self.heads: dict[str, _Entry] = {}
        self.used: set[tuple[str, str]] = set()
        self.synonyms: Path | None = None
        for d in dirs:
            if not d.is_dir():
                raise DictionaryError(d, None, "词表目录不存在", "请检查 RONGCHUANG_DICT_DIR 的路径。")
            # Only dictionary-looking files: a README or a database beside them is none of ours.
            for path in sorted(
                p for p in d.glob("*.t[sx][vt]") if p.is_file() and not p.name.startswith(".")
            ):
                self._read(path)

    def _read(self, path: Path) -> None:
        if path.name in TABLES:
            labelled = path.name in ("needs.tsv", "wants.tsv")
            _read_table(path, self.tables[path.stem], labelled)
        elif path.name in LISTS:
            _read_lists(path, self.lists[path.name], self.heads)
        elif path.parent == bundled_dir():
            pass  # synonyms.txt and domain.txt: read by knowledge/
        elif path.name == "synonyms.txt":
            self.synonyms = path  # staff's query-widening words, handed to knowledge.synonyms
        else:
            known = "、".join((*TABLES, *LISTS, "synonyms.txt"))
            raise DictionaryError(path, None, "不认识这个词表文件", f"请把文件改名为其中之一：{known}。")

    def entries(self, file: str, name: str) -> list[_Entry]:
        if name not in self.lists[file]:
            raise DictionaryError(bundled_dir() / file, None, f"缺少 [{name}] 表")
        self.used.add((file, name))
        return self.lists[file][name]

    def family(self, file: str, name: str) -> list[str]:
        """Params of "[name param]" lists, in file order ("[focus 办理流程]" → "办理流程")."""
        return [k.split(" ", 1)[1] for k in self.lists[file] if k.startswith(name + " ")]

    def words(self, name: str) -> tuple[str, ...]:
        found = self.entries("words.txt", name)
        return tuple(_norm(w) for e in found for w in _split_variants(e.path, e.line, e.text))

    def _fill(self, e: Any, slots: dict[str, str], m: re.Match[str]) -> str:
        return self._slot(e, m.group(1), slots)

    def pattern(self, file: str, name: str, flags: int = 0, **slots: str) -> re.Pattern[str]:
        parts = []
        for e in self.entries(file, name):
            part = _SLOT.sub(partial(self._fill, e, slots), e.text)
            try:
                if re.compile(part, flags).fullmatch(""):
                    raise DictionaryError(e.path, e.line, "这一行能匹配空句子，会让每句话都命中")
            except re.error as exc:
                raise DictionaryError(
                    e.path, e.line, f"匹配规则写错了（{exc}）", "请找技术同事检查。"
                ) from exc
            parts.append(part)
        if not parts:
            raise DictionaryError(bundled_dir() / file, None, f"[{name}] 表是空的")
        return re.compile("|".join(parts), flags)

    def _slot(self, e: _Entry, name: str, slots: dict[str, str]) -> str:
        if name in slots:
            return slots[name]
        for file in LISTS:
            if name in self.lists[file]:
                self.used.add((file, name))
                return "|".join(x.text for x in self.lists[file][name])
        raise DictionaryError(e.path, e.line, f"引用了不存在的表 {{{name}}}")

    def check_used(self) -> None:
        for file, lists in self.lists.items():
            for name in lists:
                if (file, name) not in self.used:
                    head = self.heads[name]
                    raise DictionaryError(head.path, head.line, f"不认识的表名 [{name}]", "请检查拼写。")
