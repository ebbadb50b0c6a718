"""Does a message ask something, and which part of a long story is the question?

Founders rarely type a question mark: "学校的成果能拿来创业不", "政府投不投这种早期项目", "咋办".
The asking words are data (knowledge/dict/asking.txt); the structural forms are exact rules here:
a clause-final 不 / 没 / 没有 / 嘛, a confirming 是…吧, and the A不A / A没A question (投不投, 有没有).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

# What one turn embeds and searches at most: the asking clause and what comes just before it. A long
# story costs about what a short question costs, and still finds its question (issue 12, point 4).
QUESTION_CHARS = 160

_CLAUSE = re.compile(r"[。！？!?；;\n]+|[，,]+|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
_SOME = re.compile(r"(?:[十百千万]|好)几|几(?=[十百千万])")
_TAIL = re.compile(r"(?:不|没|没有|没得|嘛|不嘛|不咯|不哦)[\s。.…~～]*$")
# "备案是网信办在管吧", "这个算首台套吧": a clause-final 吧 after 是 / 对 / 算 … asks to confirm
# ("我们走吧" does not).
_CONFIRM = re.compile(r"(?:是|对|算|该|要|能|会|可以)[^，,。！？!?]{0,24}吧[\s。.…~～]*$")


@lru_cache(maxsize=1)
def asking_words() -> frozenset[str]:
    text = resources.files("knowledge").joinpath("dict/asking.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def vague_words_longest_first() -> tuple[str, ...]:
    """The vague words, longest first, for taking them out of a message ("我们这种" before "我们")."""
    return tuple(sorted(vague_words(), key=len, reverse=True))


@lru_cache(maxsize=65536)
def is_asking_word(token: str) -> bool:
    """A word that only makes the sentence a question ("哪里", "多久", "怎么"): it says nothing about
    what is asked, so it must not count when we judge whether a passage covers the question."""
    t = token.lower()
    return t in asking_words() or any(w in t for w in asking_words() if len(w) >= 1 and not w.isascii())


@lru_cache(maxsize=1)
def _words() -> re.Pattern[str]:
    return re.compile(word_pattern(asking_words()))


def word_pattern(words) -> str:
    """An alternation of data words, longest first; Latin words match whole words only."""
    han = sorted((re.escape(w) for w in words if not w.isascii()), key=len, reverse=True)
    latin = sorted((re.escape(w) for w in words if w.isascii()), key=len, reverse=True)
    parts = []
    if han:
        parts.append("(?:" + "|".join(han) + ")")
    if latin:
        parts.append(r"(?<![a-z])(?:" + "|".join(latin) + r")(?![a-z])")
    return "|".join(parts)


def plain(text: str) -> str:
    """How data words are matched: NFKC (full width → half width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def clause_asks(clause: str) -> bool:
    c = plain(clause).strip()
    if not c:
        return False
    if "?" in c or "？" in clause:
        return True
    c = _SOME.sub("", c)  # "十几年", "好几个": how many, said, not asked
    return bool(_words().search(c) or _A_NOT_A.search(c) or _TAIL.search(c) or _CONFIRM.search(c))


def asks(text: str) -> bool:
    """True when any clause of the message asks something."""
    if "?" in plain(text):
        return True
    return any(clause_asks(c) for c in clauses(text))


def clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c and c.strip()]


def question_part(text: str, limit: int = QUESTION_CHARS) -> str:
    """The message itself when short; else from the last asking clause back, up to `limit` characters
    (the story's end, when no clause asks)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    spans = [(m.start(), m.end()) for m in re.finditer(r"[^。！？!?；;\n]+[。！？!?；;\n]*", text)]
    asking = [s for s in spans if clause_asks(text[s[0] : s[1]])]
    end = asking[-1][1] if asking else len(text)
    start = end
    for s, _e in reversed([sp for sp in spans if sp[1] <= end]):
        if end - s > limit and start < end:
            break
        start = s
    return text[max(start, end - limit) : end].strip()


def asking_sentence(text: str, short: int = 20) -> str:
    """The last sentence that asks ("什么样的设备才算首台套？"), with the one before it when it is short
    ("多久办一次？"); the whole text when none asks. What a question asks for (a time, an amount) is
    read here, not from the story: "干了十几年" does not ask how long."""
    spans = [m.group() for m in re.finditer(r"[^。！？!?；;\n]+[。！？!?；;\n]*", text.strip())]
    at = next((i for i in range(len(spans) - 1, -1, -1) if clause_asks(spans[i])), None)
    if at is None:
        return text.strip()
    start = at - 1 if at > 0 and len(spans[at]) < short else at
    return "".join(spans[start : at + 1]).strip()


@lru_cache(maxsize=1)
def vague_words() -> frozenset[str]:
    """Words that name no need or topic (knowledge/dict/vague.txt): a message of only these is vague."""
    text = resources.files("knowledge").joinpath("dict/vague.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#"))
