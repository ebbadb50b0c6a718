"""assistant.normalize: 繁體, full width, typos and homophones, Latin words; real sentences untouched."""

from __future__ import annotations

import re

import pytest

from assistant.normalize import Normalizer, default_normalizer, normalize
from knowledge.sentences import split_sentences
from tests.conftest import CORPUS, ROOT


def _kinds(result) -> list[str]:
    return [c.kind for c in result.changes]


# --- 繁體 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("專精特新企業有什麼支持", "专精特新企业有什么支持"),
        ("專利質押貸款怎麼辦", "专利质押贷款怎么办"),
        ("我們團隊做無人機，剛在成都註冊好", "我们团队做无人机，刚在成都注册好"),
        ("知识产权質押 银行批下来以后还要去办啥登记", "知识产权质押 银行批下来以后还要去办啥登记"),
    ],
)
def test_traditional_becomes_simplified(typed, expected):
    result = normalize(typed)
    assert result.text == expected and result.original == typed
    assert set(_kinds(result)) == {"script"}


def test_simplified_text_is_not_converted():
    # OpenCC t2s alone turns 破坏土地 into 破坯土地: a message without a 繁体 character is left alone.
    text = "未使用建筑材料但未破坏土地耕作条件的，可以依法申请。"
    assert normalize(text).text == text and not normalize(text).changes


# --- full width -----------------------------------------------------------------------------------


def test_full_width_latin_and_digits_become_ascii_and_chinese_punctuation_stays():
    result = normalize("我们有３项专利，ｅＶＴＯＬ样机（两架）能试飞吗？")
    assert result.text == "我们有3项专利，eVTOL样机（两架）能试飞吗？"
    assert _kinds(result) == ["width", "width"]
    assert result.notes() == ["normalized width: 6 characters"]  # quoted nowhere: it may be a phone number


# --- typos and homophones -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("专精特薪企业分哪几个梯度？", "专精特新企业分哪几个梯度？"),
        ("人形机器任有什么园区", "人形机器人有什么园区"),
        ("算力卷能补贴多少", "算力券能补贴多少"),
        ("先头后股的钱是一次打给我们还是分批给？", "先投后股的钱是一次打给我们还是分批给？"),
        ("申请科创待的时候要不要找担保公司？", "申请科创贷的时候要不要找担保公司？"),
        ("工业母鸡园区的厂房大不大", "工业母机园区的厂房大不大"),
        ("夫化器的运营政府有没有支持？", "孵化器的运营政府有没有支持？"),
    ],
)
def test_typos_are_repaired_toward_the_domain_vocabulary(typed, expected):
    result = normalize(typed)
    assert result.text == expected
    assert _kinds(result) == ["typo"]


@pytest.mark.parametrize(
    "text",
    [
        "然后骨干也要一起来",  # 后骨 sounds like 后股 but cuts two words
        "避免学费过高无法承担",  # two-character windows are never repaired (过高 ≠ 国高)
        "三类人员中失能的",
        "最后顾客还是没来",
        "我们做算力调度的",  # a correct term stays
    ],
)
def test_words_that_only_sound_alike_are_left_alone(text):
    assert normalize(text).text == text


def test_the_vocabulary_is_data():
    """A term a staff member adds (domain.txt, a park alias) is repaired toward; nothing else is."""
    plain = Normalizer(vocabulary=[], latin={})
    taught = Normalizer(vocabulary=["蓉漂人才计划"], latin={})
    assert plain("容漂人才计划怎么申请").text == "容漂人才计划怎么申请"
    assert taught("容漂人才计划怎么申请").text == "蓉漂人才计划怎么申请"


def test_catalog_names_and_aliases_are_in_the_vocabulary():
    from types import SimpleNamespace as NS

    park = NS(name="示例·星空产业园", tracks=["商业航天"], aliases=["蓉创星空园"])
    fund = NS(name="示例·星空基金", tracks=[])  # no aliases field: still fine
    guide = NS(topic="星空券", keywords=["星空补贴"])
    cat = NS(parks={"p": park}, funds={"f": fund}, guides={"g": guide})
    norm = Normalizer.for_catalog(cat)
    assert {"星空产业园", "商业航天", "蓉创星空园", "星空基金", "星空券", "星空补贴"} <= norm.vocabulary
    assert norm("蓉创星空圆在哪").text == "蓉创星空园在哪"


# --- Latin words ----------------------------------------------------------------------------------


def test_latin_words_in_a_chinese_message_become_the_policy_words():
    result = normalize("刚close了angel round，想找头部VC，以后IPO，有startup的GPU补贴吗")
    assert result.text == "刚close了天使轮，想找头部风投，以后上市，有初创企业的算力补贴吗"
    assert _kinds(result) == ["latin"] * 5


def test_latin_words_in_an_english_message_keep_the_english():
    result = normalize("How can a startup get a GPU subsidy?")
    assert result.text == "How can a startup（初创企业） get a GPU（算力） subsidy（补贴）?"


@pytest.mark.parametrize(
    "text",
    [
        "我们要租GPU算力训练",  # never 算力算力
        "ship it to us",  # ip is a whole word only
        "What is the invest-then-equity model?",  # part of a hyphened compound
    ],
)
def test_latin_mapping_leaves_these_alone(text):
    assert normalize(text).text == text


def test_the_latin_table_is_the_data_file():
    from assistant.normalize import latin_table

    table = latin_table()
    assert table["seed round"] == "种子轮" and table["ipo"] == "上市"
    custom = Normalizer(vocabulary=[], latin={"spin-off": "衍生企业"})
    assert custom("我们是学校的spinoff").text == "我们是学校的衍生企业"
    assert custom("我们是学校的Spin-Off").text == "我们是学校的衍生企业"


# --- real sentences come back unchanged -----------------------------------------------------------


def _sample_sentences() -> list[str]:
    seed = (ROOT / "knowledge" / "data" / "policies" / "chengdu-innovation-action-plan-2026.md").read_text(
        encoding="utf-8"
    )
    laws = sorted((CORPUS / "laws").glob("*.md"))[::40]  # a spread of real laws
    texts = [seed, *(p.read_text(encoding="utf-8") for p in laws)]
    return [s for t in texts for s in split_sentences(t) if len(s) >= 8]


def test_real_policy_sentences_come_back_unchanged():
    norm = default_normalizer()
    sentences = _sample_sentences()
    assert len(sentences) > 500
    changed = [(s, norm(s).changes) for s in sentences]
    words = [(s, c) for s, c in changed if any(x.kind in ("script", "typo") for x in c)]
    assert not words, words[:5]
    # only Latin words and full-width forms (the laws' 第一章\u3000总则) are rewritten
    wide = re.compile("[A-Za-z\u3000\uff10-\uff19\uff21-\uff3a\uff41-\uff5a＠＃＄％＆＊＋－／＜＝＞＾＿｜～]")
    plain = [s for s in sentences if not wide.search(s)]
    assert len(plain) > 400 and all(norm(s).text == s for s in plain)


# --- the engine -----------------------------------------------------------------------------------


def test_the_engine_understands_the_normalised_text_and_stores_what_was_typed(assistant, store):
    typed = "專精特新企業有什麼支持"
    reply = assistant.respond(None, typed)
    founder = [m.text for m in store.messages(reply.session_id) if m.role == "founder"]
    assert founder == [typed]
    assert any(n.startswith("normalized script") for n in reply.notes)
    simple = [h.passage.passage_id for h in assistant.retrieve("专精特新企业有什么支持")]
    assert [h.passage.passage_id for h in assistant.retrieve(typed)] == simple
    # the issue's case: the typo used to lose the track and ask for it
    routed = assistant.respond(None, "我们做人形机器任的，有什么园区？")
    assert routed.profile.track == "人形机器人" and routed.parks
