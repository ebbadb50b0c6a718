"""Founder words → policy words ("老板" → 企业家, "技术副总" → 科技副总), from dict/synonyms.txt.

BM25 and the answer's coverage check match words, and founders rarely use the policy's. The table
only widens: the founder's own words are always kept, and the dense search never sees the additions.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_extra: list[Path] = []


def use_extra(path: Path | None) -> None:
    """Staff's own synonyms.txt (RONGCHUANG_DICT_DIR), read after the bundled one."""
    _extra[:] = [path] if path else []
    table.cache_clear()


@cache
def table() -> dict[str, tuple[str, ...]]:
    texts = [(resources.files("knowledge") / "dict" / "synonyms.txt").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in _extra]
    out: dict[str, tuple[str, ...]] = {}
    for line in "\n".join(texts).splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, _, policy = line.strip().partition(" ")
        out[word] = out.get(word, ()) + tuple(w for w in policy.strip().split("|") if w)
    return out


def additions(text: str) -> list[str]:
    """Policy words for the founder words in `text`, each once, in table order."""
    seen: dict[str, None] = {}
    for word, policy in table().items():
        if word in text:
            for w in policy:
                if w not in text:
                    seen.setdefault(w)
    return list(seen)


def widen(query: str) -> str:
    """The query with the policy words appended: "老板上课" → "老板上课 企业家 负责人 培训"."""
    extra = additions(query)
    return f"{query} {' '.join(extra)}" if extra else query


def alternatives(term: str) -> tuple[str, ...]:
    """Policy words that stand for a query term: those of every founder word the term is part of."""
    return tuple(w for word, policy in table().items() if term in word or word in term for w in policy)
