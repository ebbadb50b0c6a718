"""Founder words widen the BM25 query and the coverage check with the policy's words."""

from __future__ import annotations

from assistant.compose import retrieval_confidence
from knowledge.synonyms import additions, alternatives, table, widen
from knowledge.types import DocMeta, Hit, Passage


def test_table_loads_and_only_widens():
    assert table()["老板"] == ("企业家", "负责人")
    assert widen("政府会组织企业老板上课吗？").startswith("政府会组织企业老板上课吗？ ")  # own words kept
    assert set(additions("老板想上课")) == {"企业家", "负责人", "培训"}
    assert additions("算力券怎么申请？") == [] and widen("算力券怎么申请？") == "算力券怎么申请？"
    assert additions("我们的专利和知识产权") == []  # the policy word is already there
    assert alternatives("副总") == ("科技副总",)


def test_a_passage_in_policy_words_covers_a_question_in_founder_words(monkeypatch):
    import assistant.compose as compose

    meta = DocMeta(doc_id="plan", kind="policy", title="行动方案")
    text = "推动中小企业经营管理领军人才培养，开展企业家培训。"
    passage = Passage(passage_id="plan#6", doc_id="plan", seq=6, section="（六）", text=text, meta=meta)
    hit = Hit(passage=passage, score=1.0, extra={"cosine": 0.86})
    question = "政府会组织企业老板上经营管理方面的课吗？"
    with_words = retrieval_confidence([hit], question)
    monkeypatch.setattr(compose, "alternatives", lambda term: ())
    assert with_words > retrieval_confidence([hit], question)  # 老板 is covered by 企业家
