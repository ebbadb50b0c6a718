"""Numbered citations: hits become `Citation`s, numbered in order of first use in the answer."""

from __future__ import annotations

import re
from datetime import date

from knowledge.types import Hit, Passage

from .phrases import Phrases
from .reply import Citation

HOME_REGIONS = {"成都", "四川", "national"}


class CitationList:
    """Hands out [n] markers; the same passage always gets the same number."""

    def __init__(self, today: date | None = None) -> None:
        self._by_pid: dict[str, Citation] = {}
        self.docs: dict[str, Passage] = {}  # a passage of each cited document, for the caveats
        self.today = today or date.today()

    def mark(self, hit: Hit) -> str:
        p = hit.passage
        cit = self._by_pid.get(p.passage_id)
        if cit is None:
            cit = to_citation(p, len(self._by_pid) + 1, hit.score, self.today)
            self._by_pid[p.passage_id] = cit
            self.docs.setdefault(p.doc_id, p)
        return f"[{cit.n}]"

    def has(self, hit: Hit) -> bool:
        return hit.passage.passage_id in self._by_pid

    def items(self) -> list[Citation]:
        return sorted(self._by_pid.values(), key=lambda c: c.n)

    def passage_ids(self) -> list[str]:
        return list(self._by_pid)

    def __len__(self) -> int:
        return len(self._by_pid)


_MARK = re.compile(r"\[(\d+)\]")


def renumber(answer: str, citations: list[Citation]) -> tuple[str, list[Citation], dict[int, int]]:
    """Markers 1..k in order of first use in the answer (a clause inserted before the sample it backs
    was marked last), the citations in that order, and the old → new numbers."""
    order = list(dict.fromkeys(int(n) for n in _MARK.findall(answer)))
    order += [c.n for c in citations if c.n not in order]
    new = {old: i + 1 for i, old in enumerate(order)}
    if all(k == v for k, v in new.items()):
        return answer, citations, new
    text = _MARK.sub(lambda m: f"[{new.get(int(m[1]), int(m[1]))}]", answer)
    cites = sorted((c.model_copy(update={"n": new[c.n]}) for c in citations), key=lambda c: c.n)
    return text, cites, new


def to_citation(p: Passage, n: int, score: float, today: date) -> Citation:
    m = p.meta
    expired = m.expired_on(today)
    return Citation(
        n=n,
        doc_id=p.doc_id,
        title=m.title,
        doc_number=None if m.pending else m.doc_number,  # an unconfirmed 文号 is not shown as official
        section=p.section,
        kind=m.kind,
        sample=m.sample,
        text=p.text,
        score=round(min(max(score, 0.0), 1.0), 4),
        region=m.region,
        expired=expired,
        pending=m.pending,
    )


def caveats(cits: list[Citation], metas: dict[str, Passage], ph: Phrases) -> list[str]:
    """Sample, expired, superseded and other-region warnings for what the answer cites."""
    notes: list[str] = []
    seen: set[str] = set()
    for c in cits:
        if c.doc_id in seen:
            continue
        seen.add(c.doc_id)
        meta = metas[c.doc_id].meta
        if meta.superseded_by:
            notes.append(ph.get("superseded_note", title=f"《{c.title}》"))
        elif c.expired and meta.effective_to:
            notes.append(ph.get("expired_note", title=f"《{c.title}》", date=str(meta.effective_to)))
        if c.region not in HOME_REGIONS:
            notes.append(ph.get("region_note", title=f"《{c.title}》", region=_region_name(c.region)))
        if c.pending:
            notes.append(ph.get("pending_note", title=f"《{c.title}》"))
    if any(c.sample for c in cits):
        notes.append(ph.get("sample_note"))
    return notes


def _region_name(region: str) -> str:
    if region.endswith(("市", "省", "区", "县")):
        return region
    return region + (
        "省"
        if region
        in {
            "江西",
            "广东",
            "浙江",
            "江苏",
            "湖北",
            "湖南",
            "河南",
            "河北",
            "山东",
            "福建",
            "安徽",
            "陕西",
            "云南",
            "贵州",
            "甘肃",
            "山西",
            "辽宁",
            "吉林",
            "黑龙江",
            "海南",
            "青海",
            "台湾",
        }
        else "市"
    )
