"""The matchers built from lexicon's tables: a Lexicon (variants to canonical values, longest
first) per table, rebuilt when staff's dictionary directory changes or the catalog teaches names.

Other modules read them as attributes of this module (`vocabulary.topics`), never bound by name:
`use_dictionary` and `add_topic_terms` replace them.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import lexicon as lx


@lru_cache(maxsize=1024)
def norm(text: str) -> str:
    # Cached: NFKC is the slowest step, and one message passes through several functions.
    return unicodedata.normalize("NFKC", text).lower()


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z" or "0" <= ch <= "9"


def _trie_pattern(node: dict, root: bool = False) -> str:
    # A trie keeps the regex fast (one branch per first character) and, with each node's children
    # tried before its own end, the longest variant wins. Latin variants must be whole words ("ai" must
    # not fire inside "said"), with an optional plural.
    alts = []
    for ch in sorted(k for k in node if k):
        # The word-start guard sits after the first character so that every top-level branch starts
        # with a literal, which lets the regex engine skip positions by first character.
        guard = r"(?<![a-z0-9].)" if root and _is_latin(ch) else ""
        alts.append(re.escape(ch) + guard + _trie_pattern(node[ch]))
    if "" in node:
        alts.append(r"(?:s|es)?(?![a-z])" if _is_latin(node[""][-1]) else "")
    return alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"


def compile_words(words: Iterable[str]) -> re.Pattern[str]:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = word
    return re.compile(_trie_pattern(trie, root=True))


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    value: str


class Lexicon:
    """Variants to canonical values, longest match first; stop phrases (value "") swallow look-alikes."""

    def __init__(self, table: Mapping[str, Iterable[str]], stops: Iterable[str] = ()):
        self.canon = {v.lower(): k for k, vs in table.items() for v in vs}
        for stop in stops:
            self.canon.setdefault(stop.lower(), "")
        self.pattern = compile_words(self.canon)

    def _value(self, matched: str) -> str:
        for key in (matched, matched.removesuffix("s"), matched.removesuffix("es")):
            if key in self.canon:
                return self.canon[key]
        return ""

    def hits(self, text: str) -> list[Hit]:
        found = ((m, self._value(m.group())) for m in self.pattern.finditer(text))
        return [Hit(m.start(), m.end(), value) for m, value in found if value]


_topics_lock = threading.Lock()
_dictionary: Path | None = None
tracks: Lexicon
needs: Lexicon
wants: Lexicon
districts: Lexicon
universities: Lexicon
smalltalk: re.Pattern[str]
topics: Lexicon


def _build_lexicons() -> None:
    global tracks, needs, wants, districts, universities, smalltalk, topics
    tracks = Lexicon(lx.TRACKS, lx.TRACK_STOPS)
    needs = Lexicon(lx.NEEDS, lx.NEED_STOPS)
    wants = Lexicon(lx.WANTS, lx.WANT_STOPS)
    districts = Lexicon(lx.DISTRICTS)
    universities = Lexicon(lx.UNIVERSITIES, lx.UNIVERSITY_STOPS)
    smalltalk = compile_words(lx.SMALLTALK)
    topics = Lexicon(lx.TOPICS, lx.TOPIC_STOPS)


_build_lexicons()


def use_dictionary(extra: Path | str | None) -> None:
    """The bundled vocabulary plus staff's dictionary directory (RONGCHUANG_DICT_DIR). Changing it
    forgets topics taught with add_topic_terms: teach them again after."""
    global _dictionary
    extra = Path(extra) if extra else None
    if extra != _dictionary:
        with _topics_lock:
            lx.load(extra)
            _build_lexicons()
            _dictionary = extra


def add_topic_terms(variants: Mapping[str, Iterable[str]]) -> None:
    """Teach more topics (park and fund names from the catalog): canonical name → variants."""
    global topics
    with _topics_lock:
        table: dict[str, list[str]] = {}
        for variant, canonical in topics.canon.items():
            if canonical:
                table.setdefault(canonical, []).append(variant)
        for canonical, names in variants.items():
            table.setdefault(canonical, []).extend([canonical, *names])
        topics = Lexicon(table, lx.TOPIC_STOPS)
