"""Retrieval quality on founder-style questions, the small version of `make bench`'s run
(bundled KB plus 20 law files as distractors here; bench uses 100+)."""

from __future__ import annotations

from eval.retrieval import evaluate, load_cases


def test_retrieval_set_is_big_and_paraphrased():
    cases = load_cases()
    assert len(cases) >= 40
    assert len({c.question for c in cases}) == len(cases)


def test_hybrid_retrieval_quality(kb_index):
    result = evaluate(kb_index, load_cases(), "hybrid")
    assert result["hit@5"] >= 0.95, result
    assert result["mrr"] >= 0.85, result


def test_hybrid_beats_each_retriever_alone(kb_index):
    cases = load_cases()
    hybrid = evaluate(kb_index, cases, "hybrid")
    for mode in ("dense", "bm25"):
        assert hybrid["mrr"] >= evaluate(kb_index, cases, mode)["mrr"], mode
