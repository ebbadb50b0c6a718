"""Answer lines and cards for park and fund recommendations. Every line is sentences quoted from
the park's or fund's own passages, so routing answers are as grounded as policy answers."""

from __future__ import annotations

from collections.abc import Callable

from knowledge.index import KnowledgeIndex
from knowledge.types import Hit

from .citations import CitationList
from .compose import Said, mark_sample
from .passages import body_sentences
from .reply import Profile, Recommendation
from .route import FundMatch, ParkMatch


def _hit(index: KnowledgeIndex, doc_id: str, needle: str) -> Hit | None:
    for p in index.passages_of(doc_id):
        if needle in p.section or needle in p.text:
            return Hit(passage=p, score=1.0)
    return None


Restated = Callable[[str], tuple[Hit, str] | None] | None


def _source(hit: Hit, sentence: str, restated: Restated) -> tuple[Hit, str]:
    """A card sentence that restates a policy clause ("川府发〔2026〕8号提出…") quotes the clause."""
    found = restated(sentence) if restated else None
    return found if found else (hit, sentence)


def _said(hit: Hit, sentence: str) -> str:
    return mark_sample(sentence) if hit.passage.meta.sample else sentence


def park_lines(
    matches: list[ParkMatch],
    index: KnowledgeIndex,
    cites: CitationList,
    profile: Profile,
    restated: Restated = None,
    said: Said | None = None,
) -> tuple[str, list[Recommendation]]:
    """Each park's lines: who it is for, and the policy items that meet the founder's needs; a sentence
    the answer above already says is not said again (the card still cites it)."""
    said = said if said is not None else Said()
    lines, cards = [], []
    already = {c.doc_id: c.n for c in reversed(cites.items())}  # the answer quotes this park already
    for m in matches:
        if m.park.id in already:  # its card, without saying its lines again
            cards.append(_park_card(m, [already[m.park.id]]))
            continue
        parts, nums = [], []
        overview = _hit(index, m.park.id, "园区概况")
        if overview:
            first = [s for s in body_sentences(overview) if m.park.name in s or "重点赛道" in s][:2]
            if first:
                marker = cites.mark(overview)
                parts.append("".join(_said(overview, s) + marker for s in first))
                nums.append(int(marker[1:-1]))
        for item in m.items[:2]:
            item_hit = _hit(index, m.park.id, item.title)
            if item_hit:
                sents = [s for s in body_sentences(item_hit) if item.title not in s][:1] or body_sentences(
                    item_hit
                )[:1]
                if sents:
                    src, text = _source(item_hit, sents[0], restated)
                    marker = cites.mark(src)
                    nums.append(int(marker[1:-1]))
                    if text not in said:
                        said.add(text)
                        parts.append(_said(src, text) + marker)
        if parts:
            lines.append("".join(parts))
        cards.append(_park_card(m, nums))
    return "\n".join(lines), cards


def _park_card(m: ParkMatch, nums: list[int]) -> Recommendation:
    return Recommendation(
        id=m.park.id,
        name=m.park.name,
        reason="；".join(m.reasons),
        citations=sorted(set(nums)),
        sample=m.park.sample,
    )


def fund_lines(
    matches: list[FundMatch],
    index: KnowledgeIndex,
    cites: CitationList,
    restated: Restated = None,
    said: Said | None = None,
) -> tuple[str, list[Recommendation]]:
    """Each fund's opening lines; what the answer above or another fund's page already says (two funds'
    pages often quote the same clause) is said once."""
    said = said if said is not None else Said()
    lines, cards = [], []
    for m in matches:
        hit = _hit(index, m.fund.id, "是什么")
        nums = []
        if hit:
            parts = []
            for s in body_sentences(hit)[:2]:
                src, text = _source(hit, s, restated)
                if text in said:
                    continue
                said.add(text)
                marker = cites.mark(src)
                parts.append(_said(src, text) + marker)
                nums.append(int(marker[1:-1]))
            if parts:
                lines.append("".join(parts))
        cards.append(
            Recommendation(
                id=m.fund.id,
                name=m.fund.name,
                reason="；".join(m.reasons),
                citations=nums,
                sample=m.fund.sample,
            )
        )
    return "\n".join(lines), cards
