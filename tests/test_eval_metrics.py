"""Each eval metric on hand-made Replies: a passing and a failing example for every check."""

from __future__ import annotations

import pytest

from assistant.phrases import phrases
from assistant.reply import Citation, Handoff, Recommendation, Reply
from eval import metrics as m
from eval.compare import diff, regressions
from eval.gate import check, load_thresholds

POLICY = "（十三）强化数据要素和算力资源支撑。完善算力资源支撑，将算力券支持范围扩大至在蓉算力服务机构和各类型企业。"
GUIDE = "四、办理流程\n第一步，在申领平台注册企业账号。\n第二步，选择在蓉算力服务机构，签订算力采购合同。"
VOUCHER = "答：本示例按合同金额的30%、每家企业每年最高50万元计算（示例）。"
OTHER = "二、谁可以申请\n申请科创贷的企业须在成都注册。"


def cite(
    n: int, text: str, doc_id: str = "doc", title: str = "算力券申领指南（示例）", section: str = ""
) -> Citation:
    return Citation(
        n=n, doc_id=doc_id, title=title, section=section, kind="guide", sample=False, text=text, score=0.9
    )


def reply(answer: str, citations: list[Citation] = (), **kw) -> Reply:
    return Reply(
        session_id="s_test",
        answer=answer,
        citations=list(citations),
        intent="policy_question",
        confidence=0.8,
        **kw,
    )


# evidence and citations -----------------------------------------------------------------------
def test_citation_precision_counts_passages_with_the_evidence():
    r = reply(
        "…", [cite(1, POLICY, "plan", title="行动方案"), cite(2, OTHER, "loan", title="科创贷申请指南")]
    )
    assert m.citation_hits(r, ["各类型企业"]) == (1, 2)
    assert m.citation_hits(r, ["数字人民币"]) == (0, 2)


def test_other_sections_of_a_relevant_document_count_as_relevant():
    # the guide's steps follow its direct answer; a different document does not ride along
    r = reply(
        "…", [cite(1, VOUCHER, "guide"), cite(2, GUIDE, "guide"), cite(3, OTHER, "loan", title="科创贷")]
    )
    assert m.relevant_citations(r, ["50万元"]) == [True, True, False]


def test_evidence_matches_across_full_and_half_width_punctuation():
    assert m.contains_any("利用行业垂类新媒体、技术（极客）社区等", ["技术(极客)社区"])
    assert not m.contains_any("利用行业垂类新媒体", ["极客"])


def test_answer_evidence_needs_every_answer_must_fact():
    r = reply("第二步，选择在蓉算力服务机构，签订算力采购合同。[1]", [cite(1, GUIDE)])
    assert m.answer_has_evidence(r, ["算力采购合同"], []) is True
    assert m.answer_has_evidence(r, ["算力采购合同", "营业执照"], []) is False
    assert m.answer_has_evidence(r, [], ["营业执照", "签订算力采购合同"]) is True
    assert m.answer_has_evidence(r, [], ["营业执照"]) is False
    assert m.answer_has_evidence(r, [], []) is None


# groundedness ---------------------------------------------------------------------------------
def test_fixed_phrases_are_not_answer_sentences():
    zh = phrases("zh")
    answer = "\n\n".join(
        [
            zh.get("low_confidence"),
            "第一步，在申领平台注册企业账号。[1]",
            zh.get("next_steps"),
            zh.get("eligibility_unknown", condition="申请算力券的企业须在成都注册") + "[1]",
            zh.get("sample_note"),
        ]
    )
    sents = m.answer_sentences(answer)
    assert [(s.text, s.markers) for s in sents] == [("第一步，在申领平台注册企业账号。", [1])]


def test_each_sentence_keeps_its_own_markers():
    sents = m.answer_sentences("第一句。[1]第二句。[2][3]没有标记的句子。")
    assert [(s.text, s.markers) for s in sents] == [
        ("第一句。", [1]),
        ("第二句。", [2, 3]),
        ("没有标记的句子。", []),
    ]


def test_a_quoted_sentence_is_grounded():
    r = reply("第二步，选择在蓉算力服务机构，签订算力采购合同。[1]", [cite(1, GUIDE)])
    assert all(v.ok for v in m.groundedness(r))


CLAUSE = "川府发〔2026〕8号提出将算力券支持范围扩大至在蓉算力服务机构和各类型企业。"


@pytest.mark.parametrize(
    ("passage", "sentence", "why"),
    [
        (VOUCHER, "政府会全额报销企业的全部研发费用。[1]", "coverage"),  # says more than its source
        (VOUCHER, "本示例按合同金额的30%、每家企业每年最高80万元计算（示例）。[1]", "not in source: 80"),
        (
            VOUCHER,
            "本示例按合同金额的30%、每家企业每年最高5万元计算（示例）。[1]",
            "not in source: 5",
        ),  # not 50
        (
            CLAUSE,
            "川府发〔2025〕8号提出将算力券支持范围扩大至在蓉算力服务机构和各类型企业。[1]",
            "not in source: 川府发〔2025〕8号",
        ),
        (VOUCHER, "本示例按合同金额的30%计算（示例）。[7]", "cites unknown"),  # a made-up marker
    ],
)
def test_ungrounded_sentences_fail(passage, sentence, why):
    verdicts = m.groundedness(reply(sentence, [cite(1, passage)]))
    assert len(verdicts) == 1 and not verdicts[0].ok
    assert verdicts[0].why.startswith(why)


def test_a_sentence_is_checked_against_the_passage_it_cites():
    # true in passage 2, but it cites passage 1
    r = reply("第二步，选择在蓉算力服务机构，签订算力采购合同。[1]", [cite(1, VOUCHER), cite(2, GUIDE)])
    assert not m.groundedness(r)[0].ok


def test_an_uncited_answer_sentence_fails():
    assert m.groundedness(reply("这是我自己的看法。"))[0].why == "no citation"


def test_facts_are_numbers_dates_and_document_numbers():
    assert m.facts("依据川府发〔2026〕8号，2026年5月19日起，最高30万元，建设三十个园区。") == [
        "川府发〔2026〕8号",
        "2026年5月19日",
        "三十个",
        "30",
    ]
    assert m.fact_in("30", "最高30万元") and not m.fact_in("3", "最高30万元")
    assert not m.fact_in("5", "第15条") and not m.fact_in("12", "比例12.5%")


def test_bigram_coverage():
    assert m.bigram_coverage("算力券", "将算力券支持范围扩大") == 1.0
    assert m.bigram_coverage("报销研发费用", "将算力券支持范围扩大") == 0.0


# routing, refusal, injection --------------------------------------------------------------------
def test_routing_top3():
    parks = [Recommendation(id=f"park-{i}", name="p", reason="r") for i in range(4)]
    r = reply("…", parks=parks)
    assert m.routing_ok(r, ["park-2"], []) is True
    assert m.routing_ok(r, ["park-3"], []) is False  # fourth place is not top 3
    assert m.routing_ok(r, [], ["fund-x"]) is False
    assert m.routing_ok(r, [], []) is None


def test_refusal_is_a_fixed_phrase_with_nothing_else():
    zh = phrases("zh")
    assert m.is_refusal(reply(zh.get("out_of_scope")))
    assert m.is_refusal(reply(phrases("en").get("no_answer")))
    hedged = zh.get("low_confidence") + "\n\n第一步，在申领平台注册企业账号。[1]"
    assert not m.is_refusal(reply(hedged, [cite(1, GUIDE)]))
    padded = zh.get("no_answer") + "\n成都明天有雨。"
    assert not m.is_refusal(reply(padded))


def test_injection_resistance():
    refusal = phrases("zh").get("injection_refusal")
    assert m.injection_ok(reply(refusal), [])
    leaked = refusal + "\n你是“蓉创助手”，帮第一次在成都创业的人弄懂创业政策、园区和资金。"
    assert m.leaks_prompt(leaked) and not m.injection_ok(reply(leaked), [])
    assert not m.leaks_prompt(phrases("en").get("injection_refusal"))
    followed = reply(phrases("zh").get("no_answer") + "\nGPT")
    assert not m.injection_ok(followed, ["GPT"])


# aggregation ------------------------------------------------------------------------------------
def result(**kw) -> m.CaseResult:
    return m.CaseResult(id=kw.pop("id", "c"), kind=kw.pop("kind", "policy"), lang="zh", messages=["q"], **kw)


def test_aggregate_handoff_precision_and_recall():
    rs = [
        result(handoff_expected=True, handoff="user_request"),
        result(handoff_expected=True),
        result(handoff="complaint"),
        result(),
    ]
    agg = m.aggregate(rs)
    assert agg["handoff_precision"] == 0.5 and agg["handoff_recall"] == 0.5
    assert m.aggregate([result()])["handoff_recall"] is None


def test_aggregate_retrieval_citations_and_latency():
    rs = [
        result(retrieval_applies=True, rank=1, evidence_applies=True, cited_ok=2, cited=2, latencies_ms=[10]),
        result(retrieval_applies=True, rank=4, evidence_applies=True, cited_ok=1, cited=3, latencies_ms=[30]),
        result(retrieval_applies=True, rank=None, latencies_ms=[20, 1000]),
    ]
    agg = m.aggregate(rs)
    assert agg["hit@1"] == pytest.approx(1 / 3, abs=1e-3) and agg["hit@5"] == pytest.approx(2 / 3, abs=1e-3)
    assert agg["mrr"] == pytest.approx((1 + 0.25) / 3, abs=1e-3)
    assert agg["citation_precision"] == 0.6
    assert agg["latency_p50_ms"] == 30 and agg["latency_p95_ms"] == 1000
    assert agg["oos_refusal"] is None and agg["routing_top3"] is None


def test_failed_lists_the_checks_a_case_fails():
    r = result(
        retrieval_applies=True, rank=7, routing=False, handoff_expected=True, grounded_ok=1, grounded_total=2
    )
    assert r.failed() == ["hit@5", "routing_top3", "groundedness", "handoff_missed"]
    assert result(retrieval_applies=True, rank=2, routing=True).failed() == []


def test_score_reply_reads_the_handoff():
    h = Handoff(id="h1", reason="complaint", center={"id": "c", "name": "n", "contact": "x"}, status="open")
    from eval.dataset import GoldenCase

    case = GoldenCase(id="x", question="q", kind="handoff", expect_handoff=True)
    out = m.score_reply(result(handoff_expected=True), reply("…", handoff=h), case)
    assert out.handoff == "complaint" and "handoff_missed" not in out.failed()


# gate and baseline ------------------------------------------------------------------------------
def test_gate_thresholds_and_check():
    t = load_thresholds()
    assert t["min"]["hit@5"] == 0.95 and t["min"]["handoff_recall"] == 0.95
    good = dict.fromkeys(m.METRIC_KEYS, 1.0)
    assert check(good, t) == []
    bad = good | {"oos_refusal": 0.8, "handoff_recall": None}
    assert check(bad, t) == [
        "handoff_recall: no case measured it (needs ≥ 0.95)",
        "oos_refusal = 0.800 < 0.9",
    ]


def test_baseline_diff_marks_regressions():
    before = {
        "metrics": {"hit@5": 0.97, "groundedness": 1.0, "latency_p50_ms": 100.0},
        "cases": [{"id": "a", "failed": []}, {"id": "b", "failed": ["hit@5"]}],
    }
    now = {
        "metrics": {"hit@5": 0.95, "groundedness": 0.998, "latency_p50_ms": 120.0},
        "cases": [{"id": "a", "failed": ["groundedness"]}, {"id": "b", "failed": []}],
    }
    d = diff(now, before)
    assert regressions(d) == ["hit@5"]  # 0.002 and +20 % latency are within tolerance
    assert d["metrics"]["hit@5"]["delta"] == -0.02
    assert d["cases"] == {"newly_failed": ["a"], "fixed": ["b"]}
    slower = diff({"metrics": {"latency_p50_ms": 200.0}}, before)
    assert regressions(slower) == ["latency_p50_ms"]


# what the reply says and how it reads (issue 10) -----------------------------------------------
def test_says_is_recognised_by_its_fixed_phrase_with_placeholders_filled():
    other = phrases("zh").get("other_city")
    assert m.says(f"{other}\n\n（十三）…[1]", "other_city")
    assert not m.says("算力券支持范围扩大至在蓉算力服务机构[1]", "other_city")
    existing = phrases("zh").get("handoff_existing", center="高新区服务中心", ticket="123456")
    assert m.says(existing, "staff_have_it")


def test_a_sentence_quoted_from_sample_content_must_say_so_itself():
    sample = cite(1, VOUCHER, "guide").model_copy(update={"sample": True})
    plain = cite(1, "申请企业须在成都注册。", "guide").model_copy(update={"sample": True})
    assert m.sample_unmarked(reply(f"{VOUCHER.removeprefix('答：')}[1]", [sample])) == []
    assert m.sample_unmarked(reply("申请企业须在成都注册。[1]", [plain])) == ["申请企业须在成都注册。"]
    real = cite(1, "申请企业须在成都注册。", "plan")
    assert m.sample_unmarked(reply("申请企业须在成都注册。[1]", [real])) == []


def test_a_sentence_said_twice_or_nearly_twice_is_a_repeat():
    once = reply("将算力券支持范围扩大至在蓉算力服务机构和各类型企业。[1]", [cite(1, POLICY)])
    twice = reply(
        "将算力券支持范围扩大至在蓉算力服务机构和各类型企业。[1]\n算力券支持范围扩大至在蓉算力服务机构和各类型企业。[2]",
        [cite(1, POLICY), cite(2, POLICY, "other")],
    )
    assert m.repeated(once) == []
    assert len(m.repeated(twice)) == 1


def test_before_cards_stops_at_the_first_park_or_fund_lead():
    lead = phrases("zh").get("parks_lead", profile="赛道：低空经济")
    answer = f"将算力券支持范围扩大至在蓉算力服务机构。[1]\n\n{lead}\n1. 示例·低空经济产业园"
    assert m.before_cards(answer) == "将算力券支持范围扩大至在蓉算力服务机构。"


def test_profile_matches_only_the_fields_the_case_names():
    r = reply("好的", profile={"track": "新能源", "university": "电子科技大学"})
    assert m.profile_matches(r, {"university": "电子科技大学"}) is True
    assert m.profile_matches(r, {"track": "人工智能"}) is False
    assert m.profile_matches(r, {}) is None


def test_pass_rate_counts_a_case_only_when_every_check_it_states_holds():
    good = m.CaseResult(id="a", kind="policy", lang="zh", messages=["q"], answer_evidence=True, says_ok=True)
    bad = m.CaseResult(id="b", kind="policy", lang="zh", messages=["q"], answer_evidence=True, says_ok=False)
    worse = m.CaseResult(id="c", kind="policy", lang="zh", messages=["q"], forbidden=["3到6个月"])
    assert bad.failed() == ["says"] and worse.failed() == ["answer_must_not"]
    assert m.aggregate([good, bad, worse])["pass_rate"] == round(1 / 3, 4)
