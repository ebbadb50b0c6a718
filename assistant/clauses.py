"""Where in a message a word is said: denied ("不是做AI的"), not yet done ("还没注册"), planned
("想在高新区注册"), said of someone else, or corrected later ("不是三个人，是五个人")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from . import lexicon as lx
from .vocabulary import Hit


def clause_before(text: str, pos: int) -> str:
    """The part of the clause that precedes `pos` (a negation never crosses a comma)."""
    head = text[:pos]
    ends = (head.rfind(sep) + len(sep) for sep in lx.CLAUSE_SEPARATORS if sep in head)
    return head[max(ends, default=0) :]


def negated(text: str, pos: int) -> bool:
    clause = clause_before(text, pos)
    negations = list(lx.NEGATION.finditer(clause))
    if not negations:
        return False
    gap = clause[negations[-1].end() :]
    return len(gap) <= (16 if re.search("[a-z]", gap) else 4)


def not_done(text: str, pos: int) -> bool:
    """ "还没注册公司": the words just before `pos` say it has not happened ("有没有" is a question)."""
    clause = clause_before(text, pos)
    found = list(lx.NOT_DONE.finditer(clause))
    return bool(found) and len(clause) - found[-1].end() <= 2


def intending(text: str, pos: int) -> bool:
    """True when the words before `pos` express a plan or a question, not a fact ("想在高新区注册")."""
    return bool(lx.INTENDING.search(clause_before(text, pos)[-8:]))


def stated(text: str, hit: Hit) -> bool:
    """Not denied ("不是做AI的") and not about someone else ("我朋友在高新区")."""
    return not negated(text, hit.start) and not lx.THIRD_PARTY.search(clause_before(text, hit.start))


def choose(text: str, hits: list[Hit], cue: re.Pattern[str] | None = None) -> Hit | None:
    """Pick the mention that states the fact: after a correction marker, else cued, else the first."""
    live = [h for h in hits if stated(text, h)]
    if not live:
        return None
    marks = [m.end() for m in lx.CORRECTION.finditer(text)]
    after = [h for h in live if marks and h.start >= marks[-1]]
    if after:
        return after[0]
    if cue is not None:
        cued = [h for h in live if cue.search(text[max(0, h.start - 4) : h.start])]
        if cued:
            return head(text, cued[0], live)
    return head(text, live[0], live)


HEAD_GAP = 4  # Han characters between two mentions of one compound ("农业植保无人机")


def head(text: str, hit: Hit, live: list[Hit]) -> Hit:
    """The head of the compound a mention starts: a Chinese compound ends on what the thing is, so
    "做农业植保无人机" makes drones (for farms), not farming."""
    for h in sorted(live, key=lambda x: x.start):
        between = text[hit.end : h.start]
        if (
            h.start >= hit.end
            and len(between) <= HEAD_GAP
            and all("\u4e00" <= c <= "\u9fff" for c in between)
        ):
            hit = h
    return hit


def pick_value(
    text: str, hits: list[Hit], current: str | None, cue: re.Pattern[str] | None = None
) -> str | None:
    chosen = choose(text, hits, cue)
    if chosen is not None:
        return chosen.value
    # The founder denied what we had ("我们不是做AI的") and said nothing new: forget it.
    if current is not None and any(h.value == current for h in hits):
        return None
    return current


Keep = Callable[[str, re.Match[str]], bool]


def latest(text: str, rules, current: bool | None, keep: Keep | None = None, extra=()) -> bool | None:
    """The value of the last statement: "没有发明专利，但有实用新型专利" ends on True."""
    found = [(m.start(), v) for p, v in rules for m in p.finditer(text) if keep is None or keep(text, m)]
    found += extra
    return max(found, key=lambda e: e[0])[1] if found else current


def mask(text: str, hits: Iterable[Hit]) -> str:
    # Keep positions: "电子科技大学" must not read as 电子信息, "四川农业大学" not as 现代农业.
    for h in hits:
        text = text[: h.start] + "_" * (h.end - h.start) + text[h.end :]
    return text
