"""The facts a question asks for (knowledge/dict/facts.toml): an amount, a date, how long, how often,
a number, a 文号, a phone number; and whether an answer or a sentence states the one asked."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from knowledge.errors import ConfigError
from knowledge.sentences import split_sentences
from knowledge.tokenize import tokens
from knowledge.types import Hit

from .asking import is_asking_word
from .grounding import CN_AMOUNT, DATE, DOC_NUMBER

# What a question asks for, and how a sentence that holds it looks: the fact patterns of the LLM
# grounding check, plus money with digits ("30万元", "20%") and durations ("10个工作日内").
_CN = "零一二两三四五六七八九十百千"
_AMOUNT = re.compile(
    rf"{CN_AMOUNT.pattern}|\d+(?:\.\d+)?\s*(?:万|亿|千)?(?:元|倍)|\d+(?:\.\d+)?\s*%|(?:\d|[一二三四五六七八九])折|免[费收租]|减半"
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
PHONE = re.compile(r"(?<!\d)(?:\d{3,4}-\d{3,4}-\d{3,4}|\d{3,4}-?\d{7,8}|1\d{10})(?!\d)|示例电话")
_DURATION = re.compile(rf"(?:\d+|[{_CN}]+)个?(?:工作日|日|天|周|月|年)(?:内|以内)?")
_COUNT = re.compile(rf"(?:\d+|[{_CN}]+)(?:家|个|项|名|人|所|批)")
# "每季度组织一次", "每月举办一次", "一年两次": how often; "每年最高50万元" is a yearly cap, not that.
_FREQUENCY = re.compile(
    r"每(?:年|个?月|季度|半年|周|两年)[^，。；;]{0,12}?(?:[一二两三四几\d]+(?:次|批|届|期)|举办|组织|召开|开展|发布)"
    r"|一年[一二两三四几\d]+次"
)
_HOLDS = {
    "amount": _AMOUNT,
    "frequency": _FREQUENCY,
    "date": DATE,
    "duration": _DURATION,
    "count": _COUNT,
    "doc_number": DOC_NUMBER,
    "contact": PHONE,
}


@dataclass(frozen=True)
class Fact:
    """A kind of fact a question asks for (knowledge/dict/facts.toml) and how a sentence holds it."""

    name: str
    asks: re.Pattern[str]
    label: str
    holds: re.Pattern[str]
    covers: tuple[str, ...] = ()
    label_en: str = ""


@lru_cache(maxsize=1)
def facts() -> tuple[Fact, ...]:
    raw = resources.files("knowledge").joinpath("dict/facts.toml").read_text(encoding="utf-8")
    try:
        table = tomllib.loads(raw)["fact"]
        return tuple(
            Fact(
                f["name"],
                _asks_pattern(f),
                f["label"],
                _HOLDS.get(f["name"]) or re.compile("|".join(re.escape(w) for w in f["holds"])),
                tuple(f.get("covers", ())),
                f.get("label_en", f["label"]),
            )
            for f in table
        )
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"knowledge/dict/facts.toml 格式不对：{exc}。请对照文件开头的说明修改。") from exc


def _alt(words: list[str]) -> str:
    return "|".join(re.escape(w.lower()) for w in words)


def _asks_pattern(f: dict) -> re.Pattern[str]:
    """The fact's ways of asking, and a thing it is of (`of`: 奖金, 利息) followed in the same clause by
    a quantity question (`how`: 多少, 好多, 几个点): "奖金有多少", "利息大概几个点", "奖励有好多"."""
    alts = [_alt(f["asks"])]
    if f.get("of") and f.get("how"):
        alts.append(f"(?:{_alt(f['of'])})[^，。！？,.!?；;\\s]{{0,6}}?(?:{_alt(f['how'])})")
    return re.compile("|".join(alts))


WHICH = re.compile(r"哪几[个家项名所批种类]?|哪些")  # asks which, not where or how many
_ISSUER_ASKED = re.compile(r"哪个部门|哪个单位|谁发|谁印发|发文单位|发文机关|who issued")


def asked_facts(question: str) -> list[Fact]:
    """The kinds of fact a question asks for ("多久到账" → time), in the order of facts.toml."""
    q = WHICH.sub("", question.lower())  # "哪几个学校" asks which, not how many
    asked = [f for f in facts() if f.asks.search(q)]
    covered = {c for f in asked for c in f.covers}
    return [f for f in asked if f.name not in covered]


def states(answer: str, fact: Fact, question: str) -> bool:
    """A sentence of the answer holds the fact and is about what was asked (shares a content word
    with the question): "15个工作日内安排诊断" does not say how long 算力券's money takes."""
    content = {
        w for w in tokens(question) if len(w) >= 2 and not is_asking_word(w) and not fact.asks.search(w)
    }
    content = {w for w in content if _HAN.search(w)}  # an English word never occurs in a Chinese clause
    for sentence in split_sentences(answer):
        if fact.holds.search(sentence) and (not content or any(w in sentence.lower() for w in content)):
            return True
    return False


def wanted_facts(question: str) -> list[re.Pattern[str] | str]:
    """How a sentence holding the asked-for fact looks: "一年最多能拿多少" wants an amount, "文号多少" a
    文号, "哪个部门发的" the issuer (a string, filled in per passage)."""
    q = question.lower()
    wants: list[re.Pattern[str] | str] = [f.holds for f in asked_facts(q) if f.name != "contact"]
    if _ISSUER_ASKED.search(q):
        wants.append("issuer")
    return wants


def holds(sentence: str, want: re.Pattern[str] | str, hit: Hit) -> bool:
    if want == "issuer":
        issuer = hit.passage.meta.issuer
        return bool(issuer and issuer in sentence)
    return bool(want.search(sentence))  # type: ignore[union-attr]
