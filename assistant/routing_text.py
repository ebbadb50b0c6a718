"""Answer lines and cards for park and fund recommendations. Every line is sentences quoted from
the park's or fund's own passages, so routing answers are as grounded as policy answers."""

from __future__ import annotations

from knowledge.index import KnowledgeIndex
from knowledge.types import Hit

from .citations import CitationList
from .compose import body_sentences, mark_sample
from .reply import Profile, Recommendation
from .route import FundMatch, ParkMatch


def _hit(index: KnowledgeIndex, doc_id: str, needle: str) -> Hit | None:
    for p in index.passages_of(doc_id):
        if needle in p.section or needle in p.text:
            return Hit(passage=p, score=1.0)
    return None


def _said(hit: Hit, sentence: str) -> str:
    return mark_sample(sentence) if hit.passage.meta.sample else sentence


def park_lines(
    matches: list[ParkMatch], index: KnowledgeIndex, cites: CitationList, profile: Profile
) -> tuple[str, list[Recommendation]]:
    lines, cards = [], []
    for m in matches:
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
                    marker = cites.mark(item_hit)
                    parts.append(_said(item_hit, sents[0]) + marker)
                    nums.append(int(marker[1:-1]))
        if parts:
            lines.append("".join(parts))
        cards.append(
            Recommendation(
                id=m.park.id,
                name=m.park.name,
                reason="；".join(m.reasons),
                citations=sorted(set(nums)),
                sample=m.park.sample,
            )
        )
    return "\n".join(lines), cards


def fund_lines(
    matches: list[FundMatch], index: KnowledgeIndex, cites: CitationList
) -> tuple[str, list[Recommendation]]:
    lines, cards = [], []
    said: set[str] = set()  # two funds' pages often quote the same clause: say it once
    for m in matches:
        hit = _hit(index, m.fund.id, "是什么")
        nums = []
        if hit:
            sents = [s for s in body_sentences(hit)[:2] if s not in said]
            said.update(sents)
            if sents:
                marker = cites.mark(hit)
                lines.append("".join(_said(hit, s) + marker for s in sents))
                nums.append(int(marker[1:-1]))
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
