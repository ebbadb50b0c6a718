"""Normalise what a founder typed, once per turn, before anything reads it.

Four steps, each recorded as a `Change` so logs and evals can see what was touched:

1. width: full-width Latin letters and digits (and the ideographic space) become ASCII; Chinese
   punctuation stays Chinese.
2. script: 繁體 → 简体 with OpenCC (`t2s`).
3. latin: Latin words to the policy's words, from `knowledge/dict/latin.txt` (staff edit it).
4. typo: a 3–6 character window that sounds exactly like a domain term (toneless pinyin, every reading
   of each typed character) and differs from it in a character or two is repaired: 专精特薪 → 专精特新.

Precision matters more than recall, so a repair also needs the window to be whole jieba tokens (不切开
"然后骨干" to find 后股) and not a word of its own in jieba's dictionary or the domain vocabulary.
The domain vocabulary is data: `knowledge/dict/domain.txt`, the catalog's parks, tracks, funds, guide
topics and keywords, and any `aliases` they carry.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from knowledge import cachefiles

ChangeKind = Literal["width", "script", "latin", "typo"]
_HAN = re.compile(r"[\u4e00-\u9fff]+")
# Two-character windows are left alone: on 47,000 official sentences every two-character repair was
# false (往上是 → 上市, 学费过高 → 国高, 中失能 → 中试); three to six characters made none.
MIN_WINDOW, MAX_WINDOW = 3, 6
_ONLY_HAN = re.compile(rf"[\u4e00-\u9fff]{{{MIN_WINDOW},{MAX_WINDOW}}}")
_WIDE = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
    **{ord(c): ord(h) for c, h in zip("＠＃＄％＆＊＋－／＜＝＞＾＿｜～", "@#$%&*+-/<=>^_|~", strict=True)},
    0x3000: ord(" "),
}
_WIDE_RUN = re.compile("[" + "".join(map(chr, _WIDE)) + "]+")


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.before}→{self.after}"


@dataclass(frozen=True)
class Normalized:
    """The text understanding and search read, the text the founder typed, and what changed."""

    text: str
    original: str
    changes: tuple[Change, ...] = ()

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def notes(self) -> list[str]:
        """For Reply.notes and the eval. Width changes are counted, not quoted: a full-width run is
        often a phone or ID number, and notes travel further than the transcript."""
        notes = [f"normalized {c}" for c in self.changes if c.kind != "width"]
        if wide := sum(len(c.before) for c in self.changes if c.kind == "width"):
            notes.append(f"normalized width: {wide} characters")
        return notes


# --- data ---------------------------------------------------------------------------------------


def _dict_lines(name: str) -> list[str]:
    path = resources.files("knowledge") / "dict" / name
    if not path.is_file():
        return []
    lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln and not ln.startswith("#")]


@cache
def latin_table() -> dict[str, str]:
    """`knowledge/dict/latin.txt`: Latin word (lower case) → policy word."""
    out: dict[str, str] = {}
    for line in _dict_lines("latin.txt"):
        word, sep, policy = line.partition("\t")
        if sep and word.strip() and policy.strip():
            out[word.strip().lower()] = policy.strip()
    return out


def _latin_key(word: str) -> str:
    """ "Seed-Round", "seed  round", "seed_round" and "seedround" are one entry."""
    return re.sub(r"[\s_-]+", "", word.lower())


def domain_terms() -> list[str]:
    """The first column of `knowledge/dict/domain.txt` (jieba's user dictionary)."""
    return [line.split()[0] for line in _dict_lines("domain.txt")]


def catalog_terms(catalog) -> list[str]:
    """Names a founder may mistype: parks, tracks, funds, guide topics and keywords, and aliases."""
    out: list[str] = []
    for park in catalog.parks.values():
        out += [park.name.replace("示例·", ""), *park.tracks, *getattr(park, "aliases", [])]
    for fund in catalog.funds.values():
        out += [fund.name.replace("示例·", ""), *fund.tracks, *getattr(fund, "aliases", [])]
    for guide in catalog.guides.values():
        out += [guide.topic, *guide.keywords, *getattr(guide, "aliases", [])]
    return out


# --- pinyin -------------------------------------------------------------------------------------


# pypinyin loads its phrase dictionary (0.3 s) on any import, so both tables are prepared files
# (knowledge.cachefiles), built with pypinyin once per data directory and version of pypinyin.


@lru_cache(maxsize=8192)
def _readings(ch: str) -> frozenset[str]:
    """Every toneless reading of one character: a typo can come from any of them."""
    raw = _reading_table().get(ord(ch))
    return frozenset(raw.split(",")) if raw else frozenset()


@cache
def _reading_table() -> dict[int, str]:
    """Code point → its toneless readings, comma-separated (a string each is quick to load)."""
    name = f"pinyin-readings-{cachefiles.key(_pypinyin_stamp())}.marshal"
    table = cachefiles.load(name)
    if not isinstance(table, dict):
        from pypinyin.contrib.tone_convert import to_normal
        from pypinyin.pinyin_dict import pinyin_dict

        table = {
            cp: ",".join(sorted({to_normal(p) for p in raw.split(",")})) for cp, raw in pinyin_dict.items()
        }
        cachefiles.save(name, table)
    return table


def _terms_pinyin(terms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """How each term is read (phrase-aware), as an IME user would type it."""
    terms = sorted(set(terms))
    name = f"pinyin-terms-{cachefiles.key(_pypinyin_stamp(), *terms)}.marshal"
    table = cachefiles.load(name)
    if not isinstance(table, dict):
        from pypinyin import Style, lazy_pinyin

        table = {t: tuple(lazy_pinyin(t, style=Style.NORMAL, errors="ignore")) for t in terms}
        cachefiles.save(name, table)
    return table


@cache
def _pypinyin_stamp() -> str:
    """Which pypinyin data the tables were built from, read without importing pypinyin."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or spec.origin is None:
        return ""
    folder = Path(spec.origin).parent
    stats = [(folder / n).stat() for n in ("pinyin_dict.json", "phrases_dict.json")]
    return ";".join(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)


# --- the normaliser -----------------------------------------------------------------------------


@dataclass
class Normalizer:
    """Built once from the vocabulary; `__call__` is the per-turn step (well under 1 ms per 200 chars)."""

    vocabulary: Iterable[str] = ()
    latin: dict[str, str] = field(default_factory=latin_table)

    def __post_init__(self) -> None:
        import opencc

        from knowledge.tokenize import _jieba

        self._cc = opencc.OpenCC("t2s")
        self._jieba = _jieba()
        self.vocabulary = frozenset(w for w in self.vocabulary if w)
        self._trie = self._build_trie(self.vocabulary)
        self._heads: dict[str, list[dict]] = {}  # character → the trie nodes its readings start
        self._compact = {_latin_key(w): p for w, p in self.latin.items()}
        words = sorted(self.latin, key=len, reverse=True)
        alts = "|".join(r"[\s_-]*".join(map(re.escape, re.split(r"[\s_-]+", w))) for w in words)
        # whole words, and not part of a hyphened compound ("invest-then-equity")
        self._latin_re = re.compile(
            rf"(?=[A-Za-z])(?<![A-Za-z0-9-])(?:{alts})(?:s|es)?(?![A-Za-z0-9]|-[A-Za-z])", re.I
        )

    @classmethod
    def for_catalog(cls, catalog=None, extra: Iterable[str] = ()) -> Normalizer:
        terms = domain_terms() + (catalog_terms(catalog) if catalog is not None else []) + list(extra)
        return cls(vocabulary=terms)

    @staticmethod
    def _build_trie(terms: Iterable[str]) -> dict:
        """Syllables → node; a node's "" key holds the terms that end there (several: ambiguous)."""
        root: dict = {}
        terms = [t for t in terms if _ONLY_HAN.fullmatch(t)]
        readings = _terms_pinyin(terms)
        for term in terms:
            node = root
            for syl in readings[term]:
                node = node.setdefault(syl, {})
            node.setdefault("", set()).add(term)
        return root

    def __call__(self, text: str) -> Normalized:
        changes: list[Change] = []
        out = self._width(text, changes)
        out = self._script(out, changes)
        out = self._latin(out, changes)
        out = self._typos(out, changes)
        return Normalized(text=out, original=text, changes=tuple(changes))

    # steps -------------------------------------------------------------------------------------
    def _width(self, text: str, changes: list[Change]) -> str:
        def one(m: re.Match[str]) -> str:
            half = m.group().translate(_WIDE)
            changes.append(Change("width", m.group(), half))
            return half

        return _WIDE_RUN.sub(one, text)

    def _script(self, text: str, changes: list[Change]) -> str:
        if text.isascii():
            return text
        simple = self._cc.convert(text)
        if simple == text:
            return text
        found = _diff("script", text, simple)
        # t2s also rewrites a few simplified characters (破坏土地 → 破坯土地): convert only a message
        # that holds a character 简体 never uses (outside GB2312), and then all of it.
        if not any(is_traditional(ch) for c in found for ch in c.before):
            return text
        changes += found
        return simple

    def _latin(self, text: str, changes: list[Change]) -> str:
        if not self.latin or not re.search("[A-Za-z]", text):
            return text
        english = _mostly_latin(text)

        def one(m: re.Match[str]) -> str:
            policy = self._policy_word(m.group())
            if not policy or _beside(text, m, policy):  # "GPU算力" stays, never "算力算力"
                return m.group()
            after = f"{m.group()}（{policy}）" if english else policy
            changes.append(Change("latin", m.group(), after))
            return after

        out = self._latin_re.sub(one, text)
        # "我们是 startup 公司" → "我们是初创企业公司": the spaces only separated two scripts
        return re.sub(r"(?<=[\u4e00-\u9fff]) +(?=[\u4e00-\u9fff])", "", out) if out != text else out

    def _policy_word(self, found: str) -> str | None:
        key = _latin_key(found)
        for k in (key, key[:-1], key[:-2]):  # as typed, or without the plural s / es
            if k in self._compact:
                return self._compact[k]
        return None

    def _typos(self, text: str, changes: list[Change]) -> str:
        if not self._trie:
            return text
        repairs: list[tuple[int, int, str]] = []
        for run in _HAN.finditer(text):
            repairs += self._run_repairs(run.group(), run.start())
        if not repairs:
            return text
        bounds = self._token_bounds(text)
        out, last = [], 0
        for start, end, term in repairs:
            if start in bounds and end in bounds and start >= last:
                out += [text[last:start], term]
                changes.append(Change("typo", text[start:end], term))
                last = end
        return "".join(out) + text[last:] if out else text

    def _run_repairs(self, run: str, offset: int) -> list[tuple[int, int, str]]:
        heads = [self._heads.get(ch) for ch in run]
        for k, ch in enumerate(run):
            if heads[k] is None:
                heads[k] = self._heads[ch] = [self._trie[s] for s in _readings(ch) if s in self._trie]
        found, i = [], 0
        while i <= len(run) - MIN_WINDOW:
            head = heads[i]
            hit = self._longest(run, head, i) if head else None  # most positions stop here
            if hit:
                found.append((offset + i, offset + i + len(hit[0]), hit[1]))
                i += len(hit[0])
            else:
                i += 1
        return found

    def _longest(self, run: str, frontier: list[dict], i: int) -> tuple[str, str] | None:
        """The longest window from i that sounds like exactly one domain term and is a typo of it."""
        best = None
        for j in range(i + 1, min(len(run), i + MAX_WINDOW)):
            frontier = [n[s] for n in frontier for s in _readings(run[j]) if s in n]
            if not frontier:
                break
            if j + 1 - i < MIN_WINDOW:
                continue
            terms = {t for n in frontier for t in n.get("", ())}
            if len(terms) == 1 and self._is_typo(run[i : j + 1], term := terms.pop()):
                best = (run[i : j + 1], term)
        return best

    def _is_typo(self, window: str, term: str) -> bool:
        if window == term or window in self.vocabulary or self._jieba.dt.FREQ.get(window, 0) > 0:
            return False
        differ = sum(a != b for a, b in zip(window, term, strict=True))
        return differ <= max(1, len(term) // 3)

    def _token_bounds(self, text: str) -> set[int]:
        bounds, pos = {0}, 0
        for tok in self._jieba.lcut(text, HMM=False):
            pos += len(tok)
            bounds.add(pos)
        return bounds


def _beside(text: str, m: re.Match[str], word: str) -> bool:
    before, after = text[: m.start()].rstrip(), text[m.end() :].lstrip()
    return before.endswith(word) or after.startswith(word)


def is_traditional(ch: str) -> bool:
    """A Han character that 简体 text never uses (outside GB2312)."""
    if not _HAN.fullmatch(ch):
        return False
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return True
    return False


def _mostly_latin(text: str) -> bool:
    """An English message keeps its words (the reply is framed in English); see understand."""
    han = sum(len(run) for run in _HAN.findall(text))
    words = [w for w in re.findall(r"[A-Za-z]+", text) if not w.isupper()]
    return len(words) * 2 > han


def _diff(kind: ChangeKind, before: str, after: str) -> list[Change]:
    """Runs of changed characters (OpenCC keeps the length; if not, the whole text is one change)."""
    if len(before) != len(after):
        return [Change(kind, before, after)]
    out, i = [], 0
    while i < len(before):
        if before[i] == after[i]:
            i += 1
            continue
        j = i
        while j < len(before) and before[j] != after[j]:
            j += 1
        out.append(Change(kind, before[i:j], after[i:j]))
        i = j
    return out


@cache
def default_normalizer() -> Normalizer:
    """The bundled vocabulary (domain.txt and the bundled catalog), for callers without an Assistant."""
    from assistant.settings import bundled_kb
    from knowledge.catalog import Catalog

    return Normalizer.for_catalog(Catalog.load(bundled_kb()))


def prepare(catalog=None) -> None:
    """Build the prepared pinyin tables for this vocabulary now (at ingest), not at the next start."""
    Normalizer.for_catalog(catalog)
    _reading_table()


def normalize(text: str, normalizer: Normalizer | None = None) -> Normalized:
    """What the engine calls once per turn: the normalised text and every change made."""
    return (normalizer or default_normalizer())(text)


__all__ = [
    "Change",
    "Normalized",
    "Normalizer",
    "default_normalizer",
    "is_traditional",
    "latin_table",
    "normalize",
    "prepare",
]
