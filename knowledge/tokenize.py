"""Chinese tokens for BM25: jieba with our domain dictionary, stopwords and punctuation removed."""

from __future__ import annotations

import hashlib
import logging
import re
import struct
import sys
import threading
import time
from functools import cache
from importlib import resources

from . import cachefiles, freqtable

_STOP = set(
    "的 了 吗 呢 吧 啊 呀 么 和 与 及 或 是 在 有 我 我们 你 你们 他 她 它 这 那 这个 那个 什么 怎么 怎样 如何 "
    "哪些 哪里 哪个 能 能不能 可以 可不可以 会 要 想 请问 一下 一个 就 都 也 还 又 把 被 给 对 对于 为 为了 "
    "等 等等 及其 其 之 以 于 从 向 由 并 并且 而 而且 但 但是 如果 因为 所以 吗？ 多少 有没有 是不是 该 "
    "a an the of to and or in on for is are what how do does can i we you my our".split()
)
_TOKEN = re.compile(r"[\w\u4e00-\u9fff]+")
_lock = threading.Lock()
_extra_words: set[str] = set()


_load_lock = threading.Lock()
SETTLE_AFTER = 3.0  # seconds from a long-running process's start to moving the words into a dict
_unsettled: list[str] = []  # the dict's prepared file, while the table answers


def preload() -> None:
    """Start loading the dictionary in a background thread: it then overlaps with loading the
    embedder (C code that releases the GIL) instead of following it."""
    threading.Thread(target=_jieba, name="jieba-load", daemon=True).start()


def _jieba():
    with _load_lock:  # one load, however many threads ask at once
        return _load_jieba()


def _import_jieba():
    """jieba 0.42's `_compat` imports pkg_resources (0.3 s, the largest part of importing jieba)
    only to open its own data files, and opens the same files by path when that import fails."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    block = "pkg_resources" not in sys.modules  # nothing else on our paths imports it
    if block:
        sys.modules["pkg_resources"] = None  # makes `import pkg_resources` raise ImportError
    try:
        import jieba
    finally:
        if block and sys.modules.get("pkg_resources", False) is None:
            del sys.modules["pkg_resources"]
    return jieba


@cache
def _load_jieba():
    jieba = _import_jieba()
    jieba.setLogLevel(logging.WARNING)
    domain = resources.files("knowledge") / "dict" / "domain.txt"
    words = domain.read_bytes() if domain.is_file() else b""
    name = f"jieba-{hashlib.sha256(words + jieba.__version__.encode()).hexdigest()[:16]}"
    if (table := _table(f"{name}.freq")) is not None:
        jieba.dt.FREQ, jieba.dt.total = table, table.total
        jieba.dt.initialized = True
        _unsettled.append(f"{name}.cache")
        return jieba
    prepared = cachefiles.load(f"{name}.cache")
    if isinstance(prepared, tuple) and len(prepared) == 2:
        jieba.dt.FREQ, jieba.dt.total = prepared
        jieba.dt.initialized = True
    else:
        if words:
            with resources.as_file(domain) as p:
                jieba.load_userdict(str(p))
        jieba.initialize()
        cachefiles.save(f"{name}.cache", (jieba.dt.FREQ, jieba.dt.total))
    if cachefiles.folder() is not None:
        cachefiles.write(f"{name}.freq", freqtable.pack(jieba.dt.FREQ, jieba.dt.total))
    return jieba


def _table(name: str) -> freqtable.FreqTable | None:
    data = cachefiles.read(name)
    try:
        return None if data is None else freqtable.FreqTable(data)
    except (ValueError, struct.error):
        return None


def settle(after: float = SETTLE_AFTER) -> None:
    """For processes that answer many questions (serve, the bots, chat): `after` seconds from now,
    move the prepared table's words into a dict, whose lookups are about twice as fast per turn.
    A one-question `ask` keeps the table and never pays the 0.2–0.5 s the dict takes to load."""
    if _unsettled:
        name = _unsettled.pop()
        threading.Thread(target=_settle, args=(name, after), name="jieba-dict", daemon=True).start()


def _settle(name: str, after: float) -> None:
    time.sleep(after)
    prepared = cachefiles.load(name)
    tokenizer = _jieba().dt
    table = tokenizer.FREQ
    if not (isinstance(prepared, tuple) and len(prepared) == 2 and isinstance(table, freqtable.FreqTable)):
        return  # the table keeps answering: the same words, a little slower
    freq = prepared[0]
    with _lock:  # no add_word between reading what was added and the swap
        freq.update(table.added)
        tokenizer.FREQ = freq


def add_words(words: list[str]) -> None:
    """Teach the tokenizer names (parks, funds) so they stay one token."""
    jb = _jieba()
    with _lock:
        for w in words:
            if w and w not in _extra_words:
                jb.add_word(w, freq=2000)
                _extra_words.add(w)
                _cut.clear()  # a text cut before may cut differently now


# The same texts (a turn's question, the sentences of the passages it retrieves) are cut again and
# again; cutting is most of what a turn costs besides the embedding. Cleared when words are added.
_cut: dict[str, tuple[str, ...]] = {}
_CUT_MAX = 8192


def tokens(text: str) -> list[str]:
    if (done := _cut.get(text)) is not None:
        return list(done)
    jb = _jieba()
    out = []
    for tok in jb.lcut_for_search(text.lower()):
        tok = tok.strip()
        if tok and tok not in _STOP and _TOKEN.fullmatch(tok):
            out.append(tok)
            if len(tok) >= 5:  # long names hide their parts: 成都市未来产业天使基金 → 天使基金
                out += [w for w in jb.lcut(tok, cut_all=True) if len(w) >= 4 and w != tok]
    if len(_cut) >= _CUT_MAX:
        _cut.clear()
    _cut[text] = tuple(out)
    return out
