"""The naive LangChain baseline: our E5 behind LangChain's Embeddings, 500/50 chunks, a cached index."""

from __future__ import annotations

from assistant.settings import bundled_kb
from eval.metrics import groundedness
from eval.naive import E5Embeddings, NaivePipeline, split_documents
from eval.retrieval import Case

FILES = [
    "guides/compute-voucher.yaml",
    "guides/innovation-voucher.yaml",
    "policies/chengdu-innovation-action-plan-2026.md",
]


def files():
    return [bundled_kb() / f for f in FILES]


def test_chunks_are_at_most_500_characters():
    chunks = split_documents(files())
    assert chunks and max(len(c.page_content) for c in chunks) <= 500
    assert {c.metadata["doc_id"] for c in chunks} == {
        "guide-compute-voucher",
        "guide-innovation-voucher",
        "chengdu-innovation-action-plan-2026",
    }


def test_embeddings_wrap_our_embedder(embedder):
    e = E5Embeddings(embedder)
    assert len(e.embed_query("算力券")) == len(e.embed_documents(["算力券"])[0]) == 384


def test_pipeline_answers_with_cited_chunks_and_caches_its_index(tmp_path, embedder):
    naive = NaivePipeline(tmp_path / "naive", embedder)
    n = naive.build(files())
    calls = embedder.calls
    assert NaivePipeline(tmp_path / "naive", embedder).build(files()) == n
    assert embedder.calls == calls  # nothing re-embedded: the index is cached
    reply = naive.respond(None, "算力券怎么申请？")
    assert len(reply.citations) == 5 and reply.answer.count("[") >= 5
    assert all(v.ok for v in groundedness(reply))  # its answer is the passages, so trivially grounded
    cases = [
        Case("x", "个人开发者能不能用算力券？", "", "", ["个人开发者"]),
        Case("y", "政府资金先投后股是怎么投的？", "chengdu-innovation-action-plan-2026", "（八）", []),
    ]
    result = naive.evaluate(cases)
    assert result["n"] == 2 and result["hit@5"] == 1.0
