"""Retrieval quality on founder-style questions: hit@1, hit@5 and MRR.

A result counts as a hit when it comes from the expected document and sits under the expected
section, or when its text contains one of the evidence phrases word for word (our guides quote the
policy clause they rest on; a passage that quotes the answer answers the question)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.index import KnowledgeIndex
from knowledge.search import Mode, search
from knowledge.types import Hit


@dataclass
class Case:
    id: str
    question: str
    doc_id: str
    section: str
    evidence: list[str]


def load_cases(path: Path | None = None) -> list[Case]:
    text = (
        path.read_text(encoding="utf-8")
        if path
        else (resources.files("eval") / "retrieval.jsonl").read_text(encoding="utf-8")
    )
    return [Case(**json.loads(line)) for line in text.splitlines() if line.strip()]


def is_hit(case: Case, hit: Hit, evidence_only: bool = False) -> bool:
    p = hit.passage
    if any(e in p.text for e in case.evidence):
        return True
    if evidence_only:  # the naive baseline has no sections: compare like with like
        return False
    return p.doc_id == case.doc_id and bool(case.section) and case.section in p.section


def rank_of(case: Case, hits: list[Hit], evidence_only: bool = False) -> int | None:
    return next((i for i, h in enumerate(hits, 1) if is_hit(case, h, evidence_only)), None)


def summarize_ranks(ranks: list[int | None]) -> dict[str, float]:
    """hit@1, hit@5 and MRR from the 1-based rank of the first hit per question (None: no hit)."""
    n = len(ranks) or 1
    return {
        "hit@1": sum(r == 1 for r in ranks) / n,
        "hit@5": sum(r is not None and r <= 5 for r in ranks) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def evaluate(
    index: KnowledgeIndex, cases: list[Case], mode: Mode = "hybrid", k: int = 5, evidence_only: bool = False
) -> dict:
    ranks = [rank_of(c, search(index, c.question, k=k, mode=mode), evidence_only) for c in cases]
    return {
        "n": len(cases),
        **summarize_ranks(ranks),
        "misses": [c.id for c, r in zip(cases, ranks, strict=True) if r is None],
    }
