"""The vocabulary `understand.py` and the engine match founder messages against, read from data.

Every word, variant and cue lives in knowledge/dict/ (README: "添加同义词、话题和园区别名"), where
service-center staff edit it; this module reads those files and builds the tables and patterns under
the names below. `load(extra)` rebuilds them with a staff directory's files (RONGCHUANG_DICT_DIR)
added to the bundled ones: same file names, entries appended.

Two kinds of file:
- tables (*.tsv): "canonical<TAB>variant|variant" (needs and wants: "code<TAB>label<TAB>variants"); a
  canonical may take several rows. Canonical "-" marks stop phrases, which match and mean nothing
  ("软件著作权" is IP, not a software track; "多少钱" asks a price, not for money). Variants are
  matched on NFKC-normalised, lower-cased text, longest first; Latin ones only as whole words.
- lists (*.txt): "[name]" or "[name param]" heads a list. Word lists (words.txt) are substrings, "a|b"
  on a line being two words. Pattern lists (intents.txt, profile.txt) are regular expressions, one
  alternative a line, joined with "|" in file order (the first alternative that matches at a position
  wins); "{name}" inserts another list or a fragment built here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from knowledge import synonyms
from knowledge.catalog import STAGE_NAMES
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
            for path in sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith(".")):
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

    def pattern(self, file: str, name: str, flags: int = 0, **slots: str) -> re.Pattern[str]:
        parts = []
        for e in self.entries(file, name):
            part = _SLOT.sub(lambda m, e=e: self._slot(e, m.group(1), slots), e.text)
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


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _flagged(src: Source, file: str, name: str) -> list[tuple[re.Pattern[str], bool]]:
    # "[first_time yes]" / "[first_time no]" lists, in file order.
    out = []
    for value in src.family(file, name):
        if value not in ("yes", "no"):
            raise DictionaryError(bundled_dir() / file, None, f"[{name} {value}] 只能是 yes 或 no")
        out.append((src.pattern(file, f"{name} {value}"), value == "yes"))
    return out


def _table(src: Source, name: str) -> dict[str, tuple[str, ...]]:
    return {k: tuple(vs) for k, vs in src.tables[name].variants.items()}


# --- the tables and patterns understand.py and the engine read ------------------------------------
# Declared here, built by load(); regular expressions run over normalised text (NFKC, lower case:
# "，" is ",", "？" is "?").
Table = dict[str, tuple[str, ...]]
Flagged = list[tuple[re.Pattern[str], bool]]
TRACKS: Table
NEEDS: Table
WANTS: Table
DISTRICTS: Table
UNIVERSITIES: Table
TOPICS: Table
TRACK_STOPS: tuple[str, ...]
NEED_STOPS: tuple[str, ...]
WANT_STOPS: tuple[str, ...]
UNIVERSITY_STOPS: tuple[str, ...]
TOPIC_STOPS: tuple[str, ...]
NEED_LABELS: dict[str, str]
WANT_LABELS: dict[str, str]
STAGE_LABELS = STAGE_NAMES  # one wording for stages, shared with the catalog pages
SMALLTALK: tuple[str, ...]
OTHER_CITIES: tuple[str, ...]
OTHER_CITIES_EN: tuple[str, ...]
STAGES: list[tuple[re.Pattern[str], str]]
FIRST_TIME: Flagged
HAS_IP: Flagged
HAS_REVENUE: Flagged
REGISTERED: Flagged
REGISTERED_FACTS: set[re.Pattern[str]]  # no plan words can turn these into a plan
# The engine's cues: substrings (tuples) and patterns.
NEXT_CUES: tuple[str, ...]
HOW_TO: tuple[str, ...]
MATERIALS: tuple[str, ...]
GENERIC_SUPPORT: tuple[str, ...]
CONDITIONS: tuple[str, ...]
ABOUT_CENTERS: tuple[str, ...]
THANKS: tuple[str, ...]
IDENTITY: tuple[str, ...]
FOCUS: tuple[tuple[tuple[str, ...], str], ...]  # cues → the guide section that answers them
# Patterns named after their list in intents.txt / profile.txt (upper case), e.g. COMPLAINT, NEGATION.
HANDOFF: re.Pattern[str]
COMPLAINT: re.Pattern[str]
IP_WORDS: re.Pattern[str]
IP_DISPUTE: re.Pattern[str]
PARK: re.Pattern[str]
FUND: re.Pattern[str]
RECOMMEND_ME: re.Pattern[str]
OUT_OF_SCOPE: re.Pattern[str]
CONTEXT_OK: re.Pattern[str]
BUSINESS: re.Pattern[str]
ELIGIBILITY: re.Pattern[str]
GENERAL_CONDITION: re.Pattern[str]
SENSITIVE: re.Pattern[str]
FOLLOWUP: re.Pattern[str]
FILLER: re.Pattern[str]
OTHER_CITY: re.Pattern[str]
HOME: re.Pattern[str]
PERSONAL: re.Pattern[str]
QUESTION: re.Pattern[str]
NEGATION: re.Pattern[str]
NOT_DONE: re.Pattern[str]
CORRECTION: re.Pattern[str]
INTENDING: re.Pattern[str]
DOING: re.Pattern[str]
LOCATED_AT: re.Pattern[str]
FIRST_PERSON: re.Pattern[str]
NOT_A_FACT: re.Pattern[str]
THIRD_PARTY: re.Pattern[str]
UNIVERSITY_CUE: re.Pattern[str]
NEED_DENIED_AFTER: re.Pattern[str]
ASKED_FOR: re.Pattern[str]
SHORT_OF: re.Pattern[str]
NOT_TEAM_BEFORE: re.Pattern[str]
HYPOTHETICAL: re.Pattern[str]
OTHER_CITY_BEFORE: re.Pattern[str]

_INTENTS = (
    "handoff complaint ip_words ip_dispute park fund recommend_me out_of_scope context_ok business "
    "eligibility general_condition sensitive followup filler other_city home personal"
).split()
_PROFILE = (
    "negation not_done correction intending doing located_at first_person not_a_fact third_party "
    "university_cue need_denied_after asked_for short_of not_team_before hypothetical"
).split()
_CUES = "next_cues how_to materials generic_support conditions about_centers thanks identity".split()

# Mechanisms, not vocabulary: scripts, clause punctuation and numerals.
HAN = re.compile(r"[\u4e00-\u9fff]")
WORDY = re.compile(r"[a-z0-9\u4e00-\u9fff]")
CLAUSE_SEPARATORS = (",", ";", "!", "?", "。", "\n", ". ")
CN_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
CN_UNITS = {"十": 10, "百": 100}
EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    )
} | {"twenty": 20, "thirty": 30, "a dozen": 12, "dozen": 12}
_EN_NUM = r"(?<![a-z])(?:\d{1,4}|a dozen|" + _alt(list(EN_NUMBERS)) + r")(?![a-z])"
TEAM = re.compile(
    r"(?P<solo>就我(?:自己)?一个人?|只有我(?:自己)?(?:一个人)?|我自己(?:一个人)?(?:创业|干|做|搞|单干)|单干"
    r"|独立创业|solo founder|just me(?![a-z])|by myself|on my own|one-person)"
    r"|(?P<n1>(?:\d{1,4}|[一二两三四五六七八九十百几]{1,4})[多来余]?)\s*(?:个|名|位)?\s*"
    r"(?:人|成员|员工|伙伴|小伙伴|合伙人|联合创始人|创始人|同事|号人)(?![才工民形均次口事力一])"
    rf"|team of (?P<n2>{_EN_NUM})|(?P<n3>{_EN_NUM})[- ](?:person|people|member|man)[- ]team"
    rf"|(?:we are|we're|there are) (?P<n4>{_EN_NUM})(?![a-z0-9])"
    rf"|(?P<n5>{_EN_NUM}) (?:people|persons|co-?founders|founders|members|engineers|employees|of us)(?![a-z])"
)


def _build(src: Source) -> dict:
    out: dict = {}
    for name in ("tracks", "needs", "wants", "districts", "universities", "topics"):
        out[name.upper()] = _table(src, name)
    for name, stops in (
        ("track", "tracks"),
        ("need", "needs"),
        ("want", "wants"),
        ("university", "universities"),
        ("topic", "topics"),
    ):
        out[f"{name.upper()}_STOPS"] = tuple(src.tables[stops].stops)
    out["NEED_LABELS"], out["WANT_LABELS"] = src.tables["needs"].labels, src.tables["wants"].labels
    for name in ("smalltalk", "other_cities", "other_cities_en", *_CUES):
        out[name.upper()] = src.words(name)
    out["FOCUS"] = tuple((src.words(f"focus {s}"), s) for s in src.family("words.txt", "focus"))
    for name in _INTENTS:
        out[name.upper()] = src.pattern("intents.txt", name)
    out["QUESTION"] = src.pattern("intents.txt", "question", re.I)
    for name in _PROFILE:
        out[name.upper()] = src.pattern("profile.txt", name)
    out["STAGES"] = [
        (src.pattern("profile.txt", f"stage {s}"), s) for s in src.family("profile.txt", "stage")
    ]
    if unknown := {s for _, s in out["STAGES"]} - set(STAGE_NAMES):
        raise DictionaryError(bundled_dir() / "profile.txt", None, f"不认识的阶段 {sorted(unknown)}")
    for name in ("first_time", "has_ip", "has_revenue"):
        out[name.upper()] = _flagged(src, "profile.txt", name)
    # Places: "在高新区注册" is here, "在北京注册" and "西安高新区" are not.
    here = [v for vs in out["DISTRICTS"].values() for v in vs] + list(src.words("chengdu"))
    city, city_en = _alt(out["OTHER_CITIES"]), _alt(out["OTHER_CITIES_EN"])
    out["OTHER_CITY_BEFORE"] = re.compile(f"(?:{city})$")
    slots = {"here": _alt(here), "city": city, "city_en": city_en}
    reg = {
        k: src.pattern("profile.txt", f"registered {k}", **slots)
        for k in ("here", "done", "elsewhere", "not_yet")
    }
    out["REGISTERED"] = [
        (reg["here"], True),
        (reg["done"], True),
        (reg["elsewhere"], False),
        (reg["not_yet"], False),
    ]
    out["REGISTERED_FACTS"] = {reg["done"], reg["not_yet"]}
    src.check_used()
    return out


def load(extra: Path | str | None = None) -> None:
    """(Re)build every table from the bundled dictionary plus `extra`'s files; a malformed entry
    raises DictionaryError naming its file and line, and leaves the tables as they were."""
    dirs = [bundled_dir(), *([Path(extra)] if extra else [])]
    src = Source(dirs)
    globals().update(_build(src))
    synonyms.use_extra(src.synonyms)


load()
