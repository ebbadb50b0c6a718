"""Loaders on real files (seed policy, laws, Guangzhou pages, PDFs) and on every kind of bad input."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader, PdfWriter

from knowledge.errors import IngestError
from knowledge.sources import SUPPORTED_SUFFIXES, ParseLimits, PdfLimits, load_file

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED_MD = ROOT / "knowledge" / "data" / "policies" / "chengdu-innovation-action-plan-2026.md"
SEED_TXT = SHARED / "seeds" / "chengdu-innovation-action-plan-2026.txt"
GOVDOC = CORPUS / "pdf" / "govdoc-397.pdf"
GZ = CORPUS / "gz-policy-html"

PARK = {
    "id": "test-park",
    "kind": "park",
    "title": "测试园区政策包",
    "sample": True,
    "name": "测试园区",
    "district": "武侯区",
    "address": "成都市武侯区测试路1号",
    "tracks": ["低空经济"],
    "stages": ["seed"],
    "summary": "用于测试的示例园区。",
    "space": ["孵化工位"],
    "policy_items": [{"title": "工位支持", "text": "提供免费工位。"}],
    "service_center": "test-center",
    "contact": "028-00000000",
}


def raises(path: Path, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as info:
        load_file(path, **kwargs)
    message = str(info.value)
    assert str(path) in message  # names the file
    assert "。" in message and info.value.hint  # and says what to do
    return info.value


def write_pdf(path: Path, writer: PdfWriter) -> Path:
    with path.open("wb") as f:
        writer.write(f)
    return path


# --- bad inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.md", b""),
        ("blank.md", b"  \n\n\t\n"),
        ("empty.pdf", b""),
        ("empty.html", b"\n"),
        ("empty.yaml", b""),
    ],
)
def test_empty_files(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert "空" in raises(path).reason


def test_front_matter_without_body(tmp_path: Path) -> None:
    path = tmp_path / "only-meta.md"
    path.write_text("---\ntitle: 只有元数据\n---\n\n", encoding="utf-8")
    assert "没有正文" in raises(path).reason


def test_scanned_pdf_names_the_pages_and_suggests_ocr(tmp_path: Path) -> None:
    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    err = raises(write_pdf(tmp_path / "scan.pdf", writer))
    assert "第1-3页没有文字" in err.reason and "OCR" in err.hint


def test_one_blank_page_is_reported_as_that_page(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    err = raises(write_pdf(tmp_path / "one.pdf", writer))
    assert err.page == 1 and "第1页" in str(err)


def test_encrypted_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(GOVDOC))
    writer.encrypt("pw")
    err = raises(write_pdf(tmp_path / "locked.pdf", writer))
    assert "PDF 已加密，请提供未加密的版本" in str(err)


def test_owner_password_only_pdf_still_loads(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(GOVDOC))
    writer.encrypt("", "owner-secret")
    doc = load_file(write_pdf(tmp_path / "restricted.pdf", writer))[0]
    assert "个人所得税纳税信用" in doc.text


@pytest.mark.parametrize("content", [GOVDOC.read_bytes()[:3000], b"%PDF-1.7\n" + bytes(range(256)) * 20])
def test_corrupt_pdf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(content)
    err = raises(path)
    assert "已损坏" in err.reason and "重新下载" in err.hint


def test_pdf_limits(tmp_path: Path) -> None:
    assert "超过上限 2 页" in raises(GOVDOC, pdf_limits=PdfLimits(max_pages=2)).reason
    assert "超过上限" in raises(GOVDOC, pdf_limits=PdfLimits(max_bytes=10_000)).reason
    assert "秒仍未完成" in raises(GOVDOC, pdf_limits=PdfLimits(timeout_s=0.001)).reason


def _nested(path: Path, levels: int) -> Path:
    body = "<div>" * levels + "创业补贴说明，" * 30 + "</div>" * levels
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return path


def test_html_and_text_limits(tmp_path: Path) -> None:
    deep = raises(_nested(tmp_path / "nested.html", 500))
    assert "嵌套超过 400 层" in deep.reason
    limits = ParseLimits(max_depth=1000)
    assert "补贴说明" in load_file(_nested(tmp_path / "ok.html", 500), pdf_limits=limits)[0].text
    big = tmp_path / "big.md"
    big.write_text("# 标题\n\n" + "正文。" * 200, encoding="utf-8")
    assert "超过上限" in raises(big, pdf_limits=ParseLimits(text_max_bytes=1000)).reason
    assert (
        "超过上限"
        in raises(_nested(tmp_path / "n.html", 5), pdf_limits=ParseLimits(text_max_bytes=100)).reason
    )
    slow = ParseLimits(text_timeout_s=0.001)
    assert "秒仍未完成" in raises(_nested(tmp_path / "s.html", 5), pdf_limits=slow).reason
    long_md = tmp_path / "long.md"  # over the in-process size: cleaned in the child, same result
    long_md.write_text("# 长文件\n\n" + "第一条　创业补贴按规定发放。\n\n" * 15_000, encoding="utf-8")
    assert load_file(long_md)[0].text.count("创业补贴按规定发放") == 15_000
    assert "秒仍未完成" in raises(long_md, pdf_limits=slow).reason


def test_a_running_parser_is_killed_on_shutdown(tmp_path: Path) -> None:
    import threading
    import time

    from knowledge import child

    path = _nested(tmp_path / "nested.html", 20_000)
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            load_file(path, pdf_limits=ParseLimits(text_timeout_s=3600, max_depth=10**6))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=parse)
    worker.start()
    while not child._live and worker.is_alive():
        time.sleep(0.05)
    child.stop_all()
    worker.join(timeout=60)
    assert not worker.is_alive() and isinstance(outcome[0], IngestError) and not child._live


def test_nested_markup_is_not_quadratic() -> None:
    """`_drop_chrome` once asked `tag.decomposed` per tag, which searches the subtree on a live tag."""
    from bs4 import BeautifulSoup

    from knowledge import webpage

    soup = BeautifulSoup("<body>" + "<div>" * 50 + "正文" + "</div>" * 50 + "</body>", "lxml")
    calls = []
    real_find = BeautifulSoup.find

    def counting_find(self, *args, **kwargs):
        calls.append(args[:1])
        return real_find(self, *args, **kwargs)

    BeautifulSoup.find = counting_find  # type: ignore[method-assign]
    from bs4 import Tag

    real_tag_find = Tag.find
    Tag.find = counting_find  # type: ignore[method-assign]
    try:
        webpage._drop_chrome(soup.body)
        webpage._drop_link_lists(soup.body)
    finally:
        BeautifulSoup.find = real_find  # type: ignore[method-assign]
        Tag.find = real_tag_find  # type: ignore[method-assign]
    assert ("_decomposed",) not in calls


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "park.yaml"
    path.write_text("kind: park\ntitle: [没有闭合\n", encoding="utf-8")
    assert "YAML 格式错误" in raises(path).reason


@pytest.mark.parametrize(
    ("change", "field"),
    [({"tracks": 5}, "tracks"), ({"colour": "red"}, "colour"), ({"date": "下个月"}, "date")],
)
def test_yaml_field_errors_name_the_field(tmp_path: Path, change: dict, field: str) -> None:
    path = tmp_path / "park.yaml"
    path.write_text(yaml.safe_dump({**PARK, **change}, allow_unicode=True), encoding="utf-8")
    assert raises(path).field == field


def test_valid_park_yaml_loads(tmp_path: Path) -> None:
    path = tmp_path / "park.yaml"
    path.write_text(yaml.safe_dump(PARK, allow_unicode=True), encoding="utf-8")
    assert load_file(path)[0].meta.doc_id == "test-park"


@pytest.mark.parametrize(
    ("front", "field"),
    [
        ("colour: red", "colour"),
        ("date: 下个月", "date"),
        ("source: elsewhere.md", "source"),
        ("kind: blog", "kind"),
    ],
)
def test_front_matter_errors_name_the_field(tmp_path: Path, front: str, field: str) -> None:
    path = tmp_path / "policy.md"
    path.write_text(f"---\n{front}\n---\n正文。\n", encoding="utf-8")
    assert raises(path).field == field


def test_unsupported_suffix_lists_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "policy.docx"
    path.write_bytes(b"PK\x03\x04")
    err = raises(path)
    assert ".docx" in err.reason and all(s in err.hint for s in SUPPORTED_SUFFIXES)


# --- real files ------------------------------------------------------------------------------------


def test_seed_policy_metadata_and_cleaned_body() -> None:
    [doc] = load_file(SEED_MD)
    meta = doc.meta
    assert (meta.doc_id, meta.kind, meta.doc_number) == (
        "chengdu-innovation-action-plan-2026",
        "policy",
        "川府发〔2026〕8号",
    )
    assert (meta.issuer, meta.date, meta.region) == ("四川省人民政府", date(2026, 5, 19), "成都")
    assert meta.source == str(SEED_MD) and meta.title == "成都市激发产业创新活力专项行动方案"
    assert "以“连续创业在成都”为主题" in doc.text and "（十）筑牢实验室体系支撑" in doc.text
    assert "---" not in doc.text and "doc_id" not in doc.text


def test_seed_text_without_front_matter_gets_the_same_metadata_by_inference() -> None:
    meta = load_file(SEED_TXT)[0].meta
    assert (meta.doc_number, meta.issuer, meta.date, meta.region) == (
        "川府发〔2026〕8号",
        "四川省人民政府",
        date(2026, 5, 19),
        "成都",
    )
    assert meta.title == "关于印发《成都市激发产业创新活力专项行动方案》的通知"


def test_national_law() -> None:
    path = CORPUS / "laws" / "经济法_中小企业促进法(2017-09-01).md"
    doc = load_file(path)[0]
    assert (doc.meta.kind, doc.meta.region, doc.meta.title) == (
        "law",
        "national",
        "中华人民共和国中小企业促进法",
    )
    assert doc.meta.date == date(2017, 9, 1)  # the latest revision in the law's own header
    assert (
        re.fullmatch(r"law-[0-9a-f]{8}", doc.meta.doc_id)
        and load_file(path)[0].meta.doc_id == doc.meta.doc_id
    )
    assert "第一条 为了改善中小企业经营环境" in doc.text and "INFO END" not in doc.text


def test_local_law_is_not_national_and_not_chengdu() -> None:
    meta = load_file(CORPUS / "laws" / "DLC_上海地方法规_地方性法规_上海_上海市专利保护条例.md")[0].meta
    assert (meta.kind, meta.region) == ("law", "上海")


def test_state_council_regulation_names_its_issuer() -> None:
    meta = load_file(CORPUS / "laws" / "行政法规_专利代理条例(2018-11-06).md")[0].meta
    assert (meta.issuer, meta.region, meta.effective_from) == ("国务院", "national", date(2019, 3, 1))


def test_guangzhou_page_keeps_the_policy_and_drops_the_site() -> None:
    doc = load_file(GZ / "16_一次性创业补贴_市人社局.html")[0]
    assert (doc.meta.region, doc.meta.kind, doc.meta.date) == ("广州", "page", date(2025, 4, 8))
    assert doc.meta.title == "广州市高校毕业生创业补贴，请查收"
    for body in ("1、一次性创业资助", "补贴标准：10000元。", "4、创业带动就业补贴"):
        assert body in doc.text
    for nav in ("门户网站手机版", "所在的位置", "字体大小", "网站地图", "关闭窗口", "ICP备案号", "繁體"):
        assert nav not in doc.text


@pytest.mark.parametrize("name", sorted(p.name for p in GZ.glob("*.htm*")))
def test_no_guangzhou_page_comes_out_as_chengdu(name: str) -> None:
    doc = load_file(GZ / name)[0]
    assert doc.meta.region != "成都"
    assert "网站地图" not in doc.text and "ICP备" not in doc.text


def test_guangzhou_regulation_page() -> None:
    doc = load_file(GZ / "36b_积分制入户管理办法_穗府办规2025-8号.html")[0]
    assert (doc.meta.region, doc.meta.doc_number) == ("广州", "穗府办规〔2025〕8号")
    assert re.search(r"^第一条", doc.text, re.M)


def test_pdf_metadata_from_text_and_sidecar(tmp_path: Path) -> None:
    meta = load_file(GOVDOC)[0].meta
    assert (meta.doc_number, meta.date, meta.region) == (
        "发改办财金规〔2019〕860号",
        date(2019, 8, 20),
        "national",
    )
    assert meta.title == "关于加强个人所得税纳税信用建设的通知"
    copy = tmp_path / "notice.pdf"
    copy.write_bytes(GOVDOC.read_bytes())
    (tmp_path / "notice.pdf.meta.yaml").write_text(
        "title: 个税纳税信用通知\nsample: true\n", encoding="utf-8"
    )
    meta = load_file(copy)[0].meta
    assert (meta.title, meta.sample, meta.doc_id, meta.doc_number) == (
        "个税纳税信用通知",
        True,
        "notice",
        "发改办财金规〔2019〕860号",
    )
    assert load_file(tmp_path / "notice.pdf.meta.yaml") == []  # a sidecar is not a document


def test_sidecar_with_unknown_field(tmp_path: Path) -> None:
    copy = tmp_path / "notice.pdf"
    copy.write_bytes(GOVDOC.read_bytes())
    sidecar = tmp_path / "notice.pdf.meta.yaml"
    sidecar.write_text("titel: 拼错了\n", encoding="utf-8")
    with pytest.raises(IngestError) as info:
        load_file(copy)
    assert info.value.field == "titel" and str(sidecar) in str(info.value)


def test_doc_id_slug_and_root(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    ascii_name = tmp_path / "a" / "Chengdu Policy_2026.md"
    chinese = tmp_path / "a" / "成都政策.md"
    for path in (ascii_name, chinese):
        path.write_text("成都市某项政策的正文。\n", encoding="utf-8")
    assert load_file(ascii_name)[0].meta.doc_id == "chengdu-policy_2026"
    plain, rooted = load_file(chinese)[0].meta.doc_id, load_file(chinese, root=tmp_path)[0].meta.doc_id
    assert re.fullmatch(r"policy-[0-9a-f]{8}", plain) and plain != rooted


def test_gbk_text_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.txt"
    path.write_bytes("成都市 创业 补贴办法\n\n第一条 为了支持创业。\n".encode("gbk"))
    assert "成都市创业补贴办法" in load_file(path)[0].text
