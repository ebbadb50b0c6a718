"""What the knowledge base covers: other places, personal matters and where to send them, care.

All words are data: knowledge/dict/places.txt (places outside Chengdu) and knowledge/dict/scope.toml
(personal, family and legal referrals, the care search). Code only matches.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from knowledge.errors import ConfigError

from .asking import plain, word_pattern


def _read(name: str) -> str:
    return resources.files("knowledge").joinpath(f"dict/{name}").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def place_words() -> tuple[str, ...]:
    """Places outside Chengdu (knowledge/dict/places.txt), lower case."""
    return tuple(
        w.strip().lower()
        for line in _read("places.txt").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for w in line.split("|")
        if w.strip()
    )


@lru_cache(maxsize=1)
def _places() -> re.Pattern[str]:
    return re.compile(word_pattern(place_words()))


@dataclass(frozen=True)
class Referral:
    name: str
    words: re.Pattern[str]
    where: str
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    referrals: list[Referral]
    default: str  # where to go when no class fits
    care: str  # the search quoted to a founder in distress
    home: re.Pattern[str]  # words that say the question is about Chengdu
    personal: re.Pattern[str]  # words that always mean a personal matter


_NEVER = re.compile(r"(?!x)x")


def _words(words: list[str]) -> re.Pattern[str]:
    pattern = word_pattern([w.lower() for w in words])
    return re.compile(pattern) if pattern else _NEVER


@lru_cache(maxsize=1)
def _scope() -> Scope:
    try:
        data = tomllib.loads(_read("scope.toml"))
        refs = [
            Referral(r["name"], _words(r["words"]), r["where"], tuple(r.get("examples", ())))
            for r in data.get("referral", [])
        ]
        return Scope(
            refs,
            data["default"]["where"],
            data["care"]["query"],
            _words(data["home"]["words"]),
            _words(data.get("personal", {}).get("words", [])),
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"knowledge/dict/scope.toml 格式不对：{exc}。请对照文件开头的说明修改。") from exc


def other_places(text: str) -> list[str]:
    """Places outside Chengdu the message names, in order ("上海和成都哪个…" → ["上海"])."""
    return list(dict.fromkeys(m.group() for m in _places().finditer(plain(text))))


def names_home(text: str) -> bool:
    return bool(_scope().home.search(plain(text)))


def referral(text: str, nearest: str | None = None) -> str:
    """Where a personal, family or legal matter should go: the first class whose words it uses, else
    the class whose example sentences the message reads most like (`nearest`, by the turn's vector)."""
    refs = _scope().referrals
    t = plain(text)
    found = next((r for r in refs if r.words.search(t)), None)
    found = found or next((r for r in refs if r.name == nearest), None)
    return found.where if found else _scope().default


def names_personal(text: str) -> bool:
    """Words that always mean a personal matter (scope.toml [personal]): 个税, 房贷…"""
    return bool(_scope().personal.search(plain(text)))


def referral_examples() -> list[tuple[str, str]]:
    """(class name, example sentence) for every referral class that has examples."""
    return [(r.name, x) for r in _scope().referrals for x in r.examples]


def care_query() -> str:
    return _scope().care
