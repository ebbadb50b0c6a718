"""Telegram rendering: escaping, the citation list, splitting under 4,096 without breaking sentences
or tags, keyboards within Telegram's 64-byte callback data."""

from __future__ import annotations

import html
import re

from assistant.reply import Citation, Recommendation, Reply
from connectors.telegram.render import (
    HANDOFF_DATA,
    citation_line,
    detail_html,
    keyboard,
    parse_detail,
    render_reply,
    split_html,
)
from tests.fake_telegram import parse_html, utf16_len


def cite(n: int, **kw) -> Citation:
    base = {
        "doc_id": "seed",
        "title": "成都市激发产业创新活力专项行动方案",
        "doc_number": "川府发〔2026〕8号",
        "section": "三、强化要素保障 > （十三）完善算力资源支撑",
        "kind": "policy",
        "sample": False,
        "text": "将算力券支持范围扩大至在蓉算力服务机构和各类型企业。",
        "score": 0.9,
    }
    return Citation(n=n, **{**base, **kw})


def reply(answer: str, **kw) -> Reply:
    return Reply(session_id="s_x", answer=answer, intent="policy_question", confidence=0.8, **kw)


def test_citation_line_is_compact_with_number_title_doc_number_and_last_heading():
    line = citation_line(cite(1))
    assert line == "[1] 成都市激发产业创新活力专项行动方案（川府发〔2026〕8号）· （十三）完善算力资源支撑"
    sample = citation_line(cite(2, title="示例·人工智能产业园政策包", doc_number=None, sample=True))
    assert sample.startswith("[2] 示例·人工智能产业园政策包 · ") and sample.endswith("<i>示例</i>")


def test_answer_keeps_markers_and_ends_with_the_numbered_source_list():
    [text] = render_reply(
        reply(
            "支持算力券。[1]\n\n园区也有补贴。[2]",
            citations=[cite(1), cite(2, title="园区", doc_number=None, sample=True)],
        )
    )
    visible = parse_html(text)
    assert "支持算力券。[1]" in visible and "园区也有补贴。[2]" in visible
    assert visible.rstrip().endswith("[2] 园区 · （十三）完善算力资源支撑 示例")
    assert "来源\n[1] 成都市激发产业创新活力专项行动方案（川府发〔2026〕8号）" in visible


def test_script_tags_and_ampersands_are_escaped_everywhere():
    evil = "<script>alert('x')</script> & <b>"
    r = reply(f"你说：{evil}[1]", citations=[cite(1, title=evil, section=evil)])
    [text] = render_reply(r)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&amp;" in text
    assert parse_html(text).count(evil) == 3  # what the founder sees is the text, not markup
    rec = Recommendation(id="p", name=evil, reason=evil, citations=[1])
    for part in detail_html(rec, [cite(1, text=evil)]):
        assert parse_html(part).count(evil) >= 2


def _sentences(n: int) -> str:
    return "".join(
        f"第{i}句话讲的是算力券和<园区>&基金的政策内容，字数要足够多才能撑满消息。" for i in range(n)
    )


def test_long_answer_is_split_at_paragraph_ends_under_the_limit_with_valid_html():
    paragraphs = [_sentences(40) for _ in range(5)]  # ~1,900 characters each once escaped
    parts = render_reply(reply("\n\n".join(paragraphs), citations=[cite(1), cite(2, sample=True)]))
    assert len(parts) >= 3
    visible = [parse_html(p) for p in parts]  # raises on a broken tag or entity
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert "\n\n".join(visible).count("第39句话") == 5
    for v in visible[:-1]:
        assert v.endswith("消息。")  # never mid-sentence
    assert visible[-1].rstrip().endswith("示例")


def test_one_huge_paragraph_splits_at_sentence_ends():
    parts = split_html(html.escape(_sentences(200), quote=False), 1000)
    assert len(parts) > 5
    for p in parts:
        assert len(p) <= 1000 and parse_html(p).endswith("消息。")


def test_a_sentence_longer_than_a_message_is_cut_outside_entities():
    text = "&lt;&amp;" * 3000  # no sentence end at all
    parts = split_html(text, 100)
    assert "".join(parts) == text
    for p in parts:
        assert len(p) <= 100 and re.fullmatch(r"(&lt;|&amp;)+", p)


def test_emoji_count_twice_like_telegram():
    parts = split_html("😀" * 3000)
    assert all(utf16_len(p) <= 4096 for p in parts) and len(parts) == 2


def test_keyboard_has_details_per_card_and_handoff_with_short_callback_data():
    recs = [
        Recommendation(id=f"park-{'x' * 60}-{i}", name="示例·人工智能产业园" * 3, reason="", citations=[1])
        for i in range(3)
    ]
    funds = [Recommendation(id="fund-compute-voucher", name="算力券", reason="", citations=[1])]
    markup = keyboard(reply("a", parks=recs, funds=funds), message_id=9_223_372_036_854_775_807)
    rows = markup.inline_keyboard
    datas = [b.callback_data for row in rows for b in row]
    assert len(rows) == 5 and datas[-1] == HANDOFF_DATA
    assert all(len(d.encode()) <= 64 for d in datas)
    assert parse_detail(datas[3]) == (9_223_372_036_854_775_807, "f", 0)
    assert keyboard(reply("a"), message_id=1) is None


def test_parse_detail_refuses_anything_else():
    assert parse_detail("d:12:x1") is None and parse_detail("d:abc:p0") is None and parse_detail("h") is None
