"""The HTML eval report: self-contained, escapes what it shows, and renders in headless Chromium."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from eval.compare import gap
from eval.gate import check, check_run, load_thresholds
from eval.harness import summarize
from eval.metrics import LOWER_IS_BETTER, METRIC_KEYS, CaseResult
from eval.report import render

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def case(i: int, kind: str, **kw) -> CaseResult:
    base = {
        "answer": "申请算力券的企业须在成都注册。[1]",
        "latencies_ms": [40.0 + i],
        "intent": "policy_question",
        "citations": [
            {
                "n": 1,
                "doc_id": "guide-compute-voucher",
                "title": "算力券申领指南（示例）",
                "section": "二、谁可以申请",
                "text": "二、谁可以申请\n申请算力券的企业须在成都注册。",
            }
        ],
    }
    return CaseResult(
        id=f"{kind}-{i}", kind=kind, lang="zh", messages=[f"问题 {i}：算力券怎么申请？"], **(base | kw)
    )


def sample_run() -> dict:
    rs = [
        case(
            i,
            "policy",
            retrieval_applies=True,
            rank=1 + i % 3,
            evidence_applies=True,
            cited_ok=1,
            cited=1,
            answer_evidence=True,
            grounded_ok=1,
            grounded_total=1,
        )
        for i in range(6)
    ]
    rs.append(
        case(
            6,
            "policy",
            retrieval_applies=True,
            rank=None,
            evidence_applies=True,
            cited=2,
            cited_ok=1,
            answer_evidence=False,
            grounded_ok=0,
            grounded_total=1,
            ungrounded=[{"sentence": "政府会全额报销。<script>alert(1)</script>", "why": "coverage 0.12"}],
        )
    )
    rs.append(case(7, "handoff", handoff="user_request", handoff_expected=True, answer="已经为你转给……"))
    rs.append(case(8, "out_of_scope", refusal=False, answer="下面是最接近的内容……"))
    rs.append(case(9, "park", routing=True, parks=["park-ai", "park-biomed"]))
    run = summarize(rs)
    failures = check(run["metrics"], load_thresholds())
    run["gate"] = {"passed": not failures, "failures": failures, "thresholds": load_thresholds()}
    naive = copy.deepcopy(run["metrics"]) | {"hit@5": 0.7, "citation_precision": 0.5, "oos_refusal": 0.0}
    run["naive"] = {"metrics": naive | {"routing_top3": None}, "by_kind": {}, "chunks": 143}
    return run


def baseline_of(run: dict) -> dict:
    before = copy.deepcopy(run)
    before["metrics"]["hit@5"] = 0.99  # now worse: a regression
    before["cases"][0]["failed"] = ["hit@5"]  # now fixed
    return before


def test_report_is_self_contained_and_escaped():
    html = render(sample_run(), baseline_of(sample_run()))
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert not re.search(r"<script|<link|@import|url\(|src=|https?://", html, re.I)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for section in ("总览", "每个指标", "与 naive 基线对比", "按类型", "与上次对比", "逐条用例"):
        assert section in html
    assert html.count("<svg") >= 14  # one per metric, plus the naive comparison
    assert 'class="reg"' in html and "新修好的用例" in html  # the hit@5 regression and the fixed case
    assert html.count('<details class="case"') == 10


def with_heldout(run: dict) -> dict:
    """The same run with a held-out set that fails one more case (tagged typo)."""
    rs = [
        case(i, "policy", answer_evidence=True, grounded_ok=1, grounded_total=1, tags=["typo"])
        for i in range(3)
    ]
    rs.append(case(3, "policy", answer_evidence=False, tags=["typo"]))
    run["heldout"] = summarize(rs)
    run["gap"] = gap(run["metrics"], run["heldout"]["metrics"])
    return run


def test_heldout_beside_dev_with_the_gap():
    run = with_heldout(sample_run())
    html = render(run)
    assert "dev 与 held-out" in html and "按写法" in html and "held-out 用例" in html
    assert set(run["gap"]) == set(METRIC_KEYS) - LOWER_IS_BETTER
    assert run["gap"]["pass_rate"] == round(
        run["heldout"]["metrics"]["pass_rate"] - run["metrics"]["pass_rate"], 4
    )


def test_the_gate_holds_heldout_to_its_minimums_and_the_gap():
    run = with_heldout(sample_run())
    limits = {"min": {}, "max": {}, "heldout": {"pass_rate": 0.9}, "gap": {"max_drop": 0.05}}
    failures = check_run(run, limits)
    assert any(f.startswith("held-out pass_rate = 0.750 < 0.9") for f in failures)
    assert any("answer_evidence is" in f and "below dev" in f for f in failures), failures
    assert check_run(run, {"min": {}, "max": {}, "heldout": {}, "gap": {}}) == []


def test_report_without_naive_or_baseline():
    run = sample_run()
    del run["naive"]
    html = render(run)
    assert "与 naive 基线对比" not in html and "与上次对比" not in html


@pytest.mark.browser
def test_report_renders_in_headless_chromium(tmp_path, artifacts):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install -y chromium)")
    page_file = tmp_path / "report.html"
    page_file.write_text(render(sample_run(), baseline_of(sample_run())), encoding="utf-8")
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        page.locator("details.case").first.click()
        assert page.locator("details.case").first.get_attribute("open") is not None
        assert page.locator(".card svg").count() == len(METRIC_KEYS)
        assert page.locator("tr.reg").count() == 1
        assert page.locator(".badge.fail").count() == 1
        page.screenshot(path=str(artifacts / "eval-report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith("file://")] == []
