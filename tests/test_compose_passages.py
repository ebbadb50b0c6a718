"""Which retrieved passages the extractive composer quotes besides the top one."""

from __future__ import annotations

from assistant.compose import ComposeRequest, ExtractiveComposer
from assistant.facts import wanted_facts
from assistant.passages import best_sentences, choose_passages, query_weights
from knowledge.types import DocMeta, Hit, Passage


def hit(doc_id: str, text: str, score: float, kind: str = "fund") -> Hit:
    meta = DocMeta(doc_id=doc_id, kind=kind, title=doc_id)
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
    chosen = choose_passages([TOP, ONE_WORD, ON_TOPIC], query_weights(QUESTION))
    assert [h.passage.doc_id for h in chosen] == ["jiaozi", "plan"]


IP_QUESTION = "我们的产品外观被别人抄了，该去哪里维权求助？"
IP_GUIDE = hit(
    "guide-ip", "外观设计被抄袭的，可以到知识产权一站式服务平台维权，也可以求助园区。", 1.0, "guide"
)
# 产品 and 别人: over half of what the IP guide shares with the question, under 0.8 of it
PROMO = "宣传视频或产品图片，以及别人评价产品的材料。"
PROMO_MATERIALS = hit("guide-promo", PROMO, 0.9, "guide")
PLAN_CLAUSE = hit("plan", PROMO, 0.9, "policy")


def test_another_guide_holding_less_of_the_question_is_a_rival_not_context():
    """The 宣传 guide shares 产品, 别人 with the question (more than half of what the IP guide shares):
    enough for a clause of another kind, not for a second guide that answers something else."""
    qtok = query_weights(IP_QUESTION)
    assert [h.passage.doc_id for h in choose_passages([IP_GUIDE, PROMO_MATERIALS], qtok)] == ["guide-ip"]
    assert [h.passage.doc_id for h in choose_passages([IP_GUIDE, PLAN_CLAUSE], qtok)] == ["guide-ip", "plan"]


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
    picked = best_sentences(PARK, query_weights(question), limit=2, wants=wanted_facts(question))
    assert any("30万元" in s for s in picked)
    assert not any(
        "30万元" in s for s in best_sentences(PARK, query_weights(question), limit=2)
    )  # words alone miss it


def test_who_issued_and_document_number_quote_those_lines():
    meta = DocMeta(doc_id="plan", kind="policy", title="行动方案", issuer="四川省人民政府")
    text = "四川省人民政府\n关于印发《成都市激发产业创新活力专项行动方案》的通知\n川府发〔2026〕8号\n各有关单位：\n现将方案印发给你们。"
    h = Hit(
        passage=Passage(passage_id="plan#0", doc_id="plan", seq=0, section="", text=text, meta=meta), score=1
    )
    question = "成都激发产业创新活力的那个方案是哪个部门发的？文号多少？"
    picked = best_sentences(h, query_weights(question), limit=3, wants=wanted_facts(question))
    assert "四川省人民政府" in picked and "川府发〔2026〕8号" in picked
    assert wanted_facts("算力券怎么申请？") == []


def _guide_hit(doc_id: str, section: str, text: str, score: float) -> Hit:
    meta = DocMeta(doc_id=doc_id, kind="guide", title=doc_id)
    passage = Passage(
        passage_id=f"{doc_id}#{section}", doc_id=doc_id, seq=0, section=section, text=text, meta=meta
    )
    return Hit(passage=passage, score=score)


FAQ = _guide_hit(
    "guide-ite",
    "六、常见问题",
    "六、常见问题\n问：先投后股的钱以后要还吗？\n答：先投阶段投入的是科技项目资金，形成的股权由专项接续基金承接；"
    "股权怎么退出以项目合同约定为准。\n问：先投后股和天使基金有什么不同？\n答：先投后股先以科技项目资金投入，适合早期团队。",
    0.9,
)
WHAT = _guide_hit(
    "fund-ite",
    "一、是什么",
    "一、是什么\n先投后股属于财政资金支持。先投后股以科技项目资金投入科创团队。",
    1.0,
)


def test_the_faq_answer_to_the_same_question_leads_and_stands_alone():
    question = "先投后股给的钱以后要还吗？"
    req = ComposeRequest(question=question, query=question, lang="zh", hits=[WHAT, FAQ], confidence=0.9)
    answer = ExtractiveComposer().compose(req).answer
    assert answer.startswith("先投阶段投入的是科技项目资金")  # the FAQ answer first, not the catalog line
    assert "适合早期团队" not in answer  # another question's answer in the same passage is not quoted


def test_a_sentence_two_passages_share_is_said_once():
    clause = "川府发〔2026〕8号提出为科技创新债券提供贴息、政策性融资担保等支持措施。"
    a = _guide_hit(
        "guide-bond", "一、这是什么", f"一、这是什么\n{clause}科技创新债券也常被简称为科创债。", 1.0
    )
    b = _guide_hit("fund-bond", "一、是什么", f"一、是什么\n科技创新债券属于债券融资。{clause}", 0.95)
    question = "发科创债有贴息吗？"
    req = ComposeRequest(question=question, query="科技创新债券 贴息", lang="zh", hits=[a, b], confidence=0.9)
    answer = ExtractiveComposer().compose(req).answer
    assert answer.count("提供贴息") == 1


def test_markers_are_renumbered_in_order_of_first_use():
    from assistant.citations import renumber
    from assistant.reply import Citation

    def cit(n):
        return Citation(
            n=n, doc_id=f"d{n}", title="t", section="s", kind="policy", sample=False, text="x", score=1.0
        )

    text, cites, new = renumber("甲。[3]\n乙。[1][3]\n丙。[2]", [cit(1), cit(2), cit(3)])
    assert text == "甲。[1]\n乙。[2][1]\n丙。[3]"
    assert [(c.n, c.doc_id) for c in cites] == [(1, "d3"), (2, "d1"), (3, "d2")]
    assert new == {3: 1, 1: 2, 2: 3}
