"""Which retrieved passages the extractive composer quotes besides the top one."""

from __future__ import annotations

from assistant.compose import (
    ComposeRequest,
    ExtractiveComposer,
    _choose_passages,
    _weights,
    best_sentences,
    wanted_facts,
)
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


PARK = hit(
    "park-ai",
    "示例·人工智能产业园服务中心帮入驻企业申领算力券，并对接在蓉智算设施。"
    "园区为入驻企业提供算力调度、模型评测和数据标注等公共服务（示例）。"
    "入驻企业在使用算力券之后，园区再按实际算力支出给予补贴，每家企业每年最高30万元（示例）。"
    "园区每月举办一次算力供需对接会（示例）。",
    1.0,
)


def test_an_amount_question_quotes_the_amount():
    question = "人工智能产业园的算力补贴一年最多能拿多少？"
    picked = best_sentences(PARK, _weights(question), limit=2, wants=wanted_facts(question))
    assert any("30万元" in s for s in picked)
    assert not any(
        "30万元" in s for s in best_sentences(PARK, _weights(question), limit=2)
    )  # words alone miss it


def test_who_issued_and_document_number_quote_those_lines():
    meta = DocMeta(doc_id="plan", kind="policy", title="行动方案", issuer="四川省人民政府")
    text = "四川省人民政府\n关于印发《成都市激发产业创新活力专项行动方案》的通知\n川府发〔2026〕8号\n各有关单位：\n现将方案印发给你们。"
    h = Hit(
        passage=Passage(passage_id="plan#0", doc_id="plan", seq=0, section="", text=text, meta=meta), score=1
    )
    question = "成都激发产业创新活力的那个方案是哪个部门发的？文号多少？"
    picked = best_sentences(h, _weights(question), limit=3, wants=wanted_facts(question))
    assert "四川省人民政府" in picked and "川府发〔2026〕8号" in picked
    assert wanted_facts("算力券怎么申请？") == []
