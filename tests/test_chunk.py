"""The chunker on real texts (the seed policy, the laws corpus) and on small made-up edge cases."""

from __future__ import annotations

import importlib
import importlib.util
import re
import time
from pathlib import Path

import pytest

from knowledge.chunk import PREAMBLE_SECTION, SENTENCE_MAX, chunk
from knowledge.types import DocMeta, Document, Passage
from tests.conftest import CORPUS

SEED = Path("/work/shared/seeds/chengdu-innovation-action-plan-2026.txt")
LAWS = Path("/work/shared/corpus/laws")
CN = "一二三四五六七八九十"
CLAUSES = [f"（{x}）" for x in [*CN, *(f"十{d}" for d in CN[:7])]]  # （一）…（十七）
ENDS = "。！？；!?;"
CLOSERS = "”’」』）)》〉】\"'"
_SENTENCES = re.compile(rf"[{ENDS}]+[{CLOSERS}]*")
ARTICLE_LINE = re.compile(r"^(第[一二三四五六七八九十百千零〇两\d]+条(?:之[一二三四五六七八九十]+)?)\s", re.M)


def make_doc(text: str, doc_id: str = "t", kind: str = "policy") -> Document:
    return Document(meta=DocMeta(doc_id=doc_id, kind=kind, title="测试"), text=text)


def nonspace(text: str) -> str:
    # Markdown heading marks are markup, the only characters the chunker drops.
    return re.sub(r"\s+", "", re.sub(r"(?m)^\s*#{1,6}\s+", "", text))


def is_sentence_end(text: str) -> bool:
    return text.rstrip(CLOSERS)[-1:] in ENDS


def sentence_count(text: str) -> int:
    return 1 + sum(m.end() < len(text) for m in _SENTENCES.finditer(text))


def check_invariants(doc: Document, passages: list[Passage], max_chars: int) -> None:
    """Nothing lost or reordered, ids in order, no piece ends mid-sentence, no piece too long."""
    assert "".join(nonspace(p.text) for p in passages) == nonspace(doc.text)
    lines = {re.sub(r"^#{1,6}\s+", "", ln.strip()) for ln in doc.text.splitlines()}
    for seq, p in enumerate(passages):
        assert (p.seq, p.passage_id, p.doc_id) == (seq, f"{doc.meta.doc_id}#{seq:04d}", doc.meta.doc_id)
        assert p.meta is doc.meta
        assert p.text == p.text.strip() and p.text
        assert len(p.text) <= max_chars or sentence_count(p.text) == 1, (p.section, len(p.text))
        # A piece ends at a sentence end, at the end of a source line (a title, heading or date line),
        # or inside a sentence too long for any one piece.
        if not is_sentence_end(p.text) and p.text.splitlines()[-1] not in lines:
            after = passages[seq + 1].text
            end = _SENTENCES.search(after)
            straddling = _SENTENCES.split(p.text)[-1] + (after[: end.end()] if end else after)
            assert len(straddling) > max_chars, (p.section, p.text[-30:])


# --- the seed policy ---------------------------------------------------------------------------


def _local_clean(raw: str) -> str:
    """Stand-in for knowledge.clean.clean_text: rejoin the seed's page-break cuts, full-width brackets."""
    for cut in ["以“连", "提供", "“科创贷”", "应用示范提供", "科创明日之", "推广模式,"]:
        raw = re.sub(re.escape(cut) + r"\n\s*\n", cut, raw)
    return raw.replace("(", "（").replace(")", "）")


def _clean(raw: str) -> str:
    # knowledge/clean.py is written in parallel: use it once it exists, the stand-in until then.
    if importlib.util.find_spec("knowledge.clean") is None:
        return _local_clean(raw)
    return importlib.import_module("knowledge.clean").clean_text(raw)


@pytest.fixture(scope="module")
def seed_doc() -> Document:
    return make_doc(_clean(SEED.read_text(encoding="utf-8")), doc_id="chengdu-innovation-action-plan-2026")


@pytest.fixture(scope="module")
def seed_passages(seed_doc: Document) -> list[Passage]:
    return chunk(seed_doc)


def clause_label(passage: Passage) -> str:
    return passage.section.split(" > ")[-1]


def test_seed_each_clause_is_its_own_section(seed_passages: list[Passage]) -> None:
    for marker in CLAUSES:
        sections = {p.section for p in seed_passages if clause_label(p).startswith(marker)}
        assert len(sections) == 1, (marker, sections)
        first = next(p for p in seed_passages if clause_label(p).startswith(marker))
        assert nonspace(first.text).startswith(clause_label(first) + "。"), first.text[:40]


def test_seed_clause_eight_path_and_text(seed_passages: list[Passage]) -> None:
    eight = [p for p in seed_passages if clause_label(p).startswith("（八）")]
    assert eight[0].section == "三、构建以园区为主承载的集成式产业创新生态 > （八）加强政府资金引导保障"
    assert eight[0].text.startswith("（八）加强政府资金引导保障。创新政府资金“先投后股”模式")
    assert [p.seq for p in eight] == list(range(eight[0].seq, eight[0].seq + len(eight)))


@pytest.mark.parametrize(
    ("parent", "clauses"), [("二、", CLAUSES[0:4]), ("三、", CLAUSES[4:13]), ("四、", CLAUSES[13:17])]
)
def test_seed_clauses_carry_their_parent(
    seed_passages: list[Passage], parent: str, clauses: list[str]
) -> None:
    for p in seed_passages:
        if clause_label(p).startswith(tuple(clauses)):
            assert p.section.startswith(parent) and p.section.count(" > ") == 1, p.section


def test_seed_preamble_kept(seed_passages: list[Passage]) -> None:
    first = seed_passages[0]
    assert first.section == PREAMBLE_SECTION
    assert "川府发〔2026〕8号" in first.text and first.text.endswith("制定本方案。")
    assert seed_passages[1].section == "一、总体要求" and seed_passages[1].text.startswith("一、总体要求\n")


@pytest.mark.parametrize("max_chars", [450, 200, 80])
def test_seed_invariants(seed_doc: Document, max_chars: int) -> None:
    check_invariants(seed_doc, chunk(seed_doc, max_chars=max_chars), max_chars)


# --- the laws corpus ---------------------------------------------------------------------------


def law_files() -> list[Path]:
    return sorted(LAWS.glob("*.md"))


def chaptered_laws(n: int = 5) -> list[Path]:
    files = [
        f for f in law_files() if "## 第二章" in (t := f.read_text(encoding="utf-8")) and "\n第一条" in t
    ]
    return files[:: max(1, len(files) // n)][:n]


@pytest.mark.parametrize("path", chaptered_laws(), ids=lambda p: p.stem[-24:])
def test_law_articles_are_addressable(path: Path) -> None:
    doc = make_doc(path.read_text(encoding="utf-8"), doc_id=path.stem, kind="law")
    passages = chunk(doc)
    check_invariants(doc, passages, 450)
    groups: list[str] = []  # runs of passages of one article, in order
    for p in passages:
        if ARTICLE_LINE.match(clause_label(p) + " ") and (not groups or groups[-1] != p.section):
            groups.append(p.section)
    assert [g.split(" > ")[-1] for g in groups] == ARTICLE_LINE.findall(doc.text)
    assert all(re.match(r"^第[^ ]+章 ", g) for g in groups), groups[:3]
    assert any(re.fullmatch(r"第二章 [^>]+ > 第[^>]+条", g) for g in groups)


def test_law_article_items_stay_in_the_article() -> None:
    text = (
        "第四条 主管部门应当履行下列职责：\n（一）组织拟订发展规划；\n（二）协调落实政策措施。\n"
        "区人民政府负责本区工作。\n第五条 企业应当守法经营。\n"
        "第六条规定的企业不适用本条。"
    )
    passages = chunk(make_doc(text, kind="law"))
    assert [p.section for p in passages] == ["第四条", "第五条"]
    assert passages[0].text.endswith("区人民政府负责本区工作。")


def test_law_chapter_ranks_beat_markdown_levels() -> None:
    # The corpus has a file with "### 第三章" above "## 第二节": the 章/节 words decide, not the #s.
    text = "# 某条例\n\n### 第三章  新业态\n\n第九条 甲。\n\n## 第二节  乡村\n\n第十条 乙。\n\n### 第四章  保障\n\n第十一条 丙。"
    sections = [p.section for p in chunk(make_doc(text, kind="law"), min_chars=1)]
    assert sections == [
        "",
        "第三章 新业态",
        "第三章 新业态 > 第九条",
        "第三章 新业态 > 第二节 乡村",
        "第三章 新业态 > 第二节 乡村 > 第十条",
        "第四章 保障",
        "第四章 保障 > 第十一条",
    ]


def test_all_laws_chunk_quickly_and_keep_every_character() -> None:
    docs = [make_doc(f.read_text(encoding="utf-8"), doc_id=f.stem, kind="law") for f in law_files()]
    start = time.perf_counter()
    chunked = [chunk(d) for d in docs]
    took = time.perf_counter() - start
    sizes = sorted(len(p.text) for ps in chunked for p in ps)
    print(
        f"\nchunked {len(docs)} law files into {len(sizes)} passages in {took:.2f}s; "
        f"median {sizes[len(sizes) // 2]}, max {sizes[-1]} chars"
    )
    for doc, passages in zip(docs, chunked, strict=True):
        check_invariants(doc, passages, 450)


# --- made-up edge cases --------------------------------------------------------------------------


def test_long_section_splits_at_sentence_ends() -> None:
    body = "".join(f"第{i}句讲的是企业可以申请的第{i}项支持措施和办理方式。" for i in range(40))
    doc = make_doc(f"一、支持措施\n（一）资金支持。{body}")
    passages = chunk(doc, max_chars=200)
    assert len(passages) > 5
    assert {p.section for p in passages[1:]} == {"一、支持措施 > （一）资金支持"}
    assert passages[1].text.startswith("（一）资金支持。")
    check_invariants(doc, passages, 200)
    assert all(p.text.endswith("。") and len(p.text) <= 200 for p in passages[1:])
    assert min(len(p.text) for p in passages[1:]) > 100  # balanced, no sliver at the end


def test_faq_question_stays_with_its_answer() -> None:
    qa = [
        (
            "我是第一次创业，应该先做什么？",
            "先报名创业赛事，或者到创业服务窗口咨询，窗口会告诉你从哪里开始。",
        ),
        ("我之前创业失败过，有适合我的活动吗？", "有，连续创业在成都沙龙和项目路演都可以报名。"),
        ("哪里能学怎么创业？", "科技商学院和高校的创业指导服务站都开创业能力培训课。"),
    ]
    text = "## 常见问题\n" + "\n".join(f"问：{q}\n答：{a}" for q, a in qa)
    passages = chunk(make_doc(text, kind="guide"), max_chars=90)
    assert len(passages) > 1  # the section had to be cut somewhere
    for q, a in qa:
        holder = [p for p in passages if q in p.text]
        assert len(holder) == 1 and a in holder[0].text, [p.text for p in passages]


def test_number_with_decimal_point_is_not_a_heading() -> None:
    doc = make_doc(
        "一、资金\n1.5亿元用于支持初创企业。\n2.支持对象。在蓉注册的企业。\n3、申报时间。每年三月。"
    )
    sections = [p.section for p in chunk(doc)]
    assert sections == ["一、资金", "一、资金 > 2.支持对象", "一、资金 > 3、申报时间"]


def test_markdown_headings_nest() -> None:
    text = "# 指南\n## 甲\n甲的正文。\n### 乙\n乙的正文。\n#### 丙\n丙的正文。\n## 丁\n丁的正文。\n# 附录\n附录正文。"
    passages = chunk(make_doc(text), min_chars=1)
    assert [p.section for p in passages] == [
        "指南",
        "指南 > 甲",
        "指南 > 甲 > 乙",
        "指南 > 甲 > 乙 > 丙",
        "指南 > 丁",
        "附录",
    ]
    assert passages[2].text == "乙\n乙的正文。"


def test_single_leading_h1_is_the_title_not_a_section() -> None:
    text = "# 某某促进条例\n\n2020年通过\n\n## 第一章  总则\n\n第一条 为了促进发展，制定本条例。"
    passages = chunk(make_doc(text), min_chars=1)
    assert [p.section for p in passages] == ["", "第一章 总则", "第一章 总则 > 第一条"]
    assert passages[0].text == "某某促进条例\n2020年通过"


def test_short_headless_preamble_merges_but_short_clauses_do_not() -> None:
    passages = chunk(make_doc("某方案\n一、总则\n（一）短。\n（二）也短。"))
    assert [(p.section, p.text) for p in passages] == [
        ("一、总则", "某方案\n一、总则"),
        ("一、总则 > （一）短", "（一）短。"),
        ("一、总则 > （二）也短", "（二）也短。"),
    ]


def test_quotes_stay_whole_when_they_can() -> None:
    quote = "“坚持创新。服务企业。优化环境。”"
    text = (
        "一、口号\n"
        + "这是第一句比较长的说明文字内容。" * 3
        + f"我们的口号是{quote}请大家牢记。"
        + "结尾说明文字。" * 3
    )
    doc = make_doc(text)
    passages = chunk(doc, max_chars=60)
    assert any(quote in p.text for p in passages)
    check_invariants(doc, passages, 60)


def test_a_long_sentence_stays_whole_and_only_an_absurd_one_is_cut_at_commas() -> None:
    long_sentence = "，".join(f"支持第{i}类企业申请补贴" for i in range(30)) + "。"
    passages = chunk(make_doc("一、范围\n" + long_sentence + "另一句话。"), max_chars=100)
    assert [p.text for p in passages] == ["一、范围\n" + long_sentence, "另一句话。"]
    absurd = "，".join(f"支持第{i}类企业申请补贴" for i in range(SENTENCE_MAX // 10)) + "。"
    passages = chunk(make_doc("一、范围\n" + absurd), max_chars=100)
    assert len(passages) > 2 and all(len(p.text) <= 100 for p in passages)


def test_a_sentence_broken_across_lines_is_never_cut_there() -> None:
    """A PDF page break or an HTML block inside a sentence (govdoc-397.pdf): the passage takes the
    sentence's end from the next line."""
    first = "对个人所得税纳税信用记录存在异议的，纳税人可向税务机关提出异议申请。" * 2
    text = f"（二）建立异议解决和失信修复机制\n{first}自然人在规定\n期限内纠正失信行为的，税务部门按照规定\n修复其纳税信用。"
    passages = chunk(make_doc(text), max_chars=80)
    assert len(passages) > 1
    assert all(p.text.endswith("。") for p in passages)
    assert any("税务部门按照规定\n修复其纳税信用。" in p.text for p in passages)
    assert any("自然人在规定\n期限内" in p.text for p in passages)


def test_ascii_brackets_and_untitled_numbered_sentences() -> None:
    doc = make_doc(
        "一、总体要求\n(八)加强资金保障。创新模式。\n二、本决定自2020年1月1日起施行，由市政府负责解释。"
    )
    assert [p.section for p in chunk(doc)] == ["一、总体要求", "一、总体要求 > （八）加强资金保障", "二、"]


def test_empty_document() -> None:
    assert chunk(make_doc("  \n\n ")) == []


_SENTENCE_DONE = re.compile(r"[。！？；!?;…]+[”’」』）)》〉】\"']*$")
CORPUS_FILES = sorted(
    f
    for folder in ("pdf", "gz-policy-html")
    for f in (CORPUS / folder).glob("*")
    if f.suffix in (".pdf", ".html")
)


def _ends_well(passages: list[Passage], i: int) -> bool:
    """At a sentence end or a table row's end, or just before a heading (the next section)."""
    last = passages[i].text.rstrip().splitlines()[-1]
    if _SENTENCE_DONE.search(last) or last.endswith("|"):
        return True
    return i + 1 == len(passages) or passages[i + 1].section != passages[i].section


@pytest.mark.slow
@pytest.mark.skipif(not CORPUS_FILES, reason="needs ../shared/corpus")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_passages_end_at_sentence_ends(path) -> None:
    from knowledge.index import CHUNK_CHARS
    from knowledge.sources import load_file

    for doc in load_file(path):
        passages = chunk(doc, max_chars=CHUNK_CHARS)
        cut = [p.text[-30:] for i, p in enumerate(passages) if not _ends_well(passages, i)]
        assert not cut, f"{path.name}: passages end mid-sentence: {cut}"
