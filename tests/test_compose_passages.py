"""Which retrieved passages the extractive composer quotes besides the top one."""

from __future__ import annotations

from assistant.compose import ComposeRequest, ExtractiveComposer, _choose_passages, _weights
from knowledge.types import DocMeta, Hit, Passage


def hit(doc_id: str, text: str, score: float) -> Hit:
    meta = DocMeta(doc_id=doc_id, kind="fund", title=doc_id)
    return Hit(
        passage=Passage(
            passage_id=f"{doc_id}#0", doc_id=doc_id, seq=0, section="一、是什么", text=text, meta=meta
        ),
        score=score,
    )


QUESTION = "交子金控会不会单独设一个服务科创企业的机构？"
TOP = hit("jiaozi", "川府发〔2026〕8号提出支持交子金控设立科创专营机构，提升新兴产业金融服务能力。", 1.0)
ON_TOPIC = hit("plan", "创新市属金融企业机构设置，支持交子金控设立科创专营机构。", 0.9)
ONE_WORD = hit("promo", "办理地点：所在园区企业服务中心（示例），或创业服务窗口（示例）。", 0.9)


def test_a_passage_sharing_one_common_word_is_not_quoted():
    chosen = _choose_passages([TOP, ONE_WORD, ON_TOPIC], _weights(QUESTION))
    assert [h.passage.doc_id for h in chosen] == ["jiaozi", "plan"]


def test_the_answer_cites_only_on_topic_passages():
    req = ComposeRequest(
        question=QUESTION, query=QUESTION, lang="zh", hits=[TOP, ONE_WORD, ON_TOPIC], confidence=0.9
    )
    composed = ExtractiveComposer().compose(req)
    assert {c.doc_id for c in composed.citations} == {"jiaozi", "plan"}
    assert "办理地点" not in composed.answer
