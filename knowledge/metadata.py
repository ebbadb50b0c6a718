"""Metadata a file does not state, inferred from its text: title, kind, 文号, issuer, dates, region.

Explicit metadata (front matter, sidecar, HTML <meta>) always wins; see `knowledge.sources.build_meta`.
Region matters most: a Chengdu assistant must never present another city's rules as Chengdu's, so any
place named by the title, issuer, 文号, site or file name wins over the default.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from .clean import DATE_LINE, clean_text

MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*$")


def make_doc_id(path: Path, kind: str, root: Path | None = None) -> str:
    """A stable id: the ASCII file name as a slug, else the kind and a short hash of the relative name."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-._")
    if path.stem.isascii() and 3 <= len(slug) <= 80:
        return slug
    rel = path.relative_to(root).as_posix() if root else path.name
    return f"{kind}-{hashlib.sha1(rel.encode()).hexdigest()[:8]}"


def parse_date(value: str | None) -> date | None:
    """'2026年5月19日', '2026-05-19 10:00', '2026/5/19' -> date; None when it is not a real date."""
    m = re.search(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})", value or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_DOC_NUMBER = re.compile(
    r"([\u4e00-\u9fa5]{1,10})\s*[〔\[［(（【]\s*(\d{4})\s*[〕\]］)）】]\s*(\d{1,5})\s*号"
)
_ORG_END = re.compile(r"(人民政府|办公厅|办公室|委员会|局|厅|部|委|院|署|中心|政府|联合会|银行|法院|检察院)$")
_LAW_TITLE = re.compile(r"法|条例|规定|办法|细则")
_ARTICLE = re.compile(r"^(?:#+\s*)?第[一二三四五六七八九十百千零〇\d]+条", re.M)
_TITLE_LINE = re.compile(r"关于.+(通知|通告|公告|意见|决定|办法|方案|批复|报告|函|规定|细则)$")
_LAW_HEADER_DATE = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日).*?(公布|发布|通过|修订|修正|施行)")
_EFFECTIVE = re.compile(r"自(\d{4}年\d{1,2}月\d{1,2}日)起(?:施行|实施|执行)")
_LAW_ISSUERS = (
    re.compile(r"全国人民代表大会(?:常务委员会)?"),
    re.compile("国务院"),
    re.compile(r"(?<![\u4e00-\u9fa5])[\u4e00-\u9fa5]{2,8}?(?:省|市|自治区)人民代表大会常务委员会"),
    re.compile(r"(?<=届)[\u4e00-\u9fa5]{2,8}?(?:省|市|自治区)人民代表大会常务委员会"),
)

_CITIES = tuple(
    "成都 广州 深圳 北京 上海 天津 重庆 杭州 南京 武汉 西安 苏州 郑州 长沙 青岛 济南 合肥 厦门 宁波 福州 南昌 昆明 "
    "贵阳 绵阳 德阳 东莞 佛山 沈阳 大连 哈尔滨 长春 石家庄 太原 南宁 海口 兰州 西宁 银川 拉萨".split()
)
_PROVINCES = tuple(
    "四川 广东 江西 浙江 江苏 山东 河南 河北 湖北 湖南 福建 安徽 陕西 山西 云南 贵州 辽宁 吉林 黑龙江 甘肃 青海 "
    "海南 广西 内蒙古 宁夏 新疆 西藏 香港 澳门 台湾".split()
)
# Districts name their city: a 天河区 or 武侯区 page is a Guangzhou or Chengdu page.
_DISTRICTS = {
    **dict.fromkeys(
        "天河区 越秀区 海珠区 荔湾区 番禺区 白云区 黄埔区 花都区 南沙区 从化区 增城区".split(), "广州"
    ),
    **dict.fromkeys(
        "锦江区 青羊区 金牛区 武侯区 成华区 龙泉驿区 青白江区 新都区 温江区 双流区 郫都区 新津区 天府新区 东部新区".split(),
        "成都",
    ),
}
_NATIONAL_STRONG = ("中华人民共和国", "国务院", "全国人民代表大会", "中共中央")
_NATIONAL = (*_NATIONAL_STRONG, "全国人大", "国家", "最高人民", "国办")
# First character of a 文号: 穗府办规〔2024〕13号 is Guangzhou's, 国发〔2018〕41号 the State Council's.
_NUMBER_PREFIX = {
    **dict(zip("蓉成穗深京沪渝", ("成都", "成都", "广州", "深圳", "北京", "上海", "重庆"), strict=True)),
    **dict(zip("川粤赣浙苏鲁豫", ("四川", "广东", "江西", "浙江", "江苏", "山东", "河南"), strict=True)),
    "国": "national",
}


def infer_meta(path: Path, text: str, hints: dict) -> dict:
    """Best guesses for every DocMeta field the file did not state."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    title = hints.get("title") or guess_title(lines) or path.stem
    kind = "law" if is_law(text, title) else "page" if path.suffix.lower() in (".html", ".htm") else "policy"
    issuer = hints.get("issuer") or guess_issuer(lines, kind)
    doc_number = find_doc_number(lines)
    meta = {
        "kind": kind,
        "title": clean_text(title).strip()[:200],
        "doc_number": doc_number,
        "issuer": issuer,
        "date": guess_date(path, lines, kind) or parse_date(hints.get("date")),
        "effective_from": guess_effective(lines),
        "url": hints.get("url"),
    }
    meta["region"] = guess_region(
        kind, title, issuer, [_number_region(doc_number), hints.get("site"), path.stem], text
    )
    return {k: v for k, v in meta.items() if v is not None}


def is_law(text: str, title: str) -> bool:
    return len(_ARTICLE.findall(text)) >= 3 and bool(_LAW_TITLE.search(title))


def guess_title(lines: list[str]) -> str | None:
    """First Markdown heading, else a '关于……的通知' line near the top, else the first line."""
    head = lines[:12]
    for line in head:
        m = MD_HEADING.match(line)
        if m:
            return m.group(1)
    head = [x for x in head if len(x) >= 4 and not re.match(r"^附件\s*\d*[:：]?$", x)]
    return next((x for x in head[:8] if _TITLE_LINE.search(x) and len(x) <= 120), head[0] if head else None)


def find_doc_number(lines: list[str]) -> str | None:
    """A 文号 standing on its own line near the top, else one opening a line (a page's info bar)."""
    for line in lines[:30]:
        m = _DOC_NUMBER.fullmatch(line)
        if m:
            return _format_number(m)
    for line in lines[:30]:
        m = _DOC_NUMBER.match(line)
        if m and not _TITLE_LINE.search(line):
            return _format_number(m)
    return None


def _format_number(m: re.Match[str]) -> str:
    return f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号"


def _number_region(doc_number: str | None) -> str | None:
    return _NUMBER_PREFIX.get(doc_number[0]) if doc_number else None


def guess_issuer(lines: list[str], kind: str) -> str | None:
    """Who passed a law; else the organisations signing above the date; else an organisation heading the text."""
    if kind == "law":
        header = "\n".join(_law_header(lines))
        return next((m.group(0) for m in (r.search(header) for r in _LAW_ISSUERS) if m), None)
    dates = [i for i, x in enumerate(lines) if DATE_LINE.match(x)]
    signed = next((orgs for i in reversed(dates) if (orgs := _orgs_above(lines, i))), None)
    if signed:
        return "、".join(signed)
    return lines[0] if lines and _is_org(lines[0]) else None


def _orgs_above(lines: list[str], i: int) -> list[str]:
    """The run of organisation lines right above line i (two issuers sign on two lines)."""
    orgs: list[str] = []
    for line in reversed(lines[max(0, i - 3) : i]):
        if not _is_org(line):
            break
        orgs.insert(0, line)
    return orgs


def _is_org(line: str) -> bool:
    return len(line) <= 30 and bool(_ORG_END.search(line))


def _law_header(lines: list[str]) -> list[str]:
    """Lines of a law before its first chapter or article: where it says who passed it and when."""
    out = []
    for line in lines[1:20]:
        if _ARTICLE.match(line) or re.match(r"^(#+\s*)?第[一二三四五六七八九十]+章", line):
            break
        out.append(line)
    return out


def guess_date(path: Path, lines: list[str], kind: str) -> date | None:
    if kind == "law":
        return _law_date(path, lines)
    dates = [d for d in map(parse_date, (x for x in lines if DATE_LINE.match(x))) if d]
    return dates[-1] if dates else None  # the signing date closes the document


def _law_date(path: Path, lines: list[str]) -> date | None:
    """The latest 公布/通过/修订 date in the header; else the one in the file name: 公司法(2023-12-29).md."""
    header = "\n".join(_law_header(lines))
    found = [
        d for d in (parse_date(x) for x, verb in _LAW_HEADER_DATE.findall(header) if verb != "施行") if d
    ]
    return max(found) if found else parse_date(path.stem)


def guess_effective(lines: list[str]) -> date | None:
    m = _EFFECTIVE.search("\n".join(lines[:20] + lines[-20:]))
    if m:
        return parse_date(m.group(1))
    m = re.search(r"(\d{4}年\d{1,2}月\d{1,2}日)\s*(?:起)?施行", "\n".join(lines[:10]))
    return parse_date(m.group(1)) if m else None


def guess_region(kind: str, title: str, issuer: str | None, weak: list[str | None], text: str) -> str:
    """The place named by the title or issuer, else by the 文号, site or file name, else by the body.

    A Chengdu assistant must never present another city's rules as Chengdu's, so a place found
    anywhere wins over the default; only a title that starts as a national law is national at once.
    """
    if title.startswith(_NATIONAL_STRONG):
        return "national"
    for signal in (title, issuer, *weak):
        place = _place_in(signal or "")
        if place:
            return place
    if any(n in f"{title}{issuer or ''}" for n in _NATIONAL):
        return "national"
    return _dominant_place(text[:5000]) or ("national" if kind == "law" else "成都")


def _place_in(text: str) -> str | None:
    if text in ("national", *_CITIES, *_PROVINCES):
        return text
    for names in (_CITIES, tuple(_DISTRICTS), _PROVINCES):
        hits = [(text.find(n), n) for n in names if n in text]
        if hits:
            name = min(hits)[1]
            return _DISTRICTS.get(name, name)
    return None


def _dominant_place(text: str) -> str | None:
    counts = {n: text.count(n) for n in (*_CITIES, *_PROVINCES)}
    name, n = max(counts.items(), key=lambda kv: kv[1])
    return name if n >= 2 else None
