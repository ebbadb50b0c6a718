"""Typed catalogs: parks, service guides, funds & instruments, service centers.

Each YAML file in `knowledge/data/` is validated by one of these models (`extra="forbid"`, so a
misspelt field is an error, not a silent omission). `load_yaml` turns a file into citable
Documents (headed text the chunker cuts into one passage per section) and `Catalog` keeps the
typed objects the assistant routes with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .errors import IngestError
from .types import DocMeta, Document, Kind

Stage = Literal["idea", "seed", "early", "growth"]
Need = Literal["space", "funding", "talent", "compute", "ip", "scenarios", "market", "certification"]
ProfileField = Literal[
    "registered_in_chengdu", "stage", "track", "team_size", "first_time", "has_ip", "university", "district"
]
Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{2,80}$")]

STAGE_NAMES = {"idea": "想法阶段", "seed": "种子期", "early": "初创期", "growth": "成长期"}
# A guide's section headings as render_guide writes them: the assistant finds the sections by them.
GUIDE_WHO = "谁可以申请"
GUIDE_MATERIALS = "需要准备的材料"
GUIDE_STEPS = "办理流程"
GUIDE_WHERE = "在哪里办"
SAMPLE_LINE = "本页为示例内容，不是正式政策，名称、金额、地址和电话均为演示用，仅供参考。"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Header(Strict):
    """Fields every YAML document carries."""

    id: Id
    title: str
    sample: bool
    issuer: str | None = None
    date: dt.date | None = None
    region: str = "成都"
    doc_number: str | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    superseded_by: str | None = None
    based_on: list[str] = []  # real clauses this item rests on, e.g. "川府发〔2026〕8号（十三）"


class PolicyItem(Strict):
    title: str
    text: str
    needs: list[Need] = []


class Park(Header):
    kind: Literal["park"]
    name: str
    district: str
    address: str
    tracks: list[str] = Field(min_length=1)
    stages: list[Stage] = Field(min_length=1)
    summary: str
    space: list[str] = Field(min_length=1)
    policy_items: list[PolicyItem] = Field(min_length=1)
    service_center: Id
    contact: str
    universities: list[str] = []
    aliases: list[str] = []  # other names founders use; the assistant learns them as this park's name


class Condition(Strict):
    """One eligibility condition, checkable against the founder profile when `field` is set."""

    text: str
    field: ProfileField | None = None
    values: list[str] = []  # accepted values (stage, track, district, university)
    min: int | None = None  # team_size lower bound
    expect: bool | None = None  # for yes/no fields (registered_in_chengdu, first_time, has_ip)


class QA(Strict):
    q: str
    a: str


class Guide(Header):
    kind: Literal["guide"]
    topic: str
    keywords: list[str] = Field(min_length=1)
    summary: str
    eligibility: list[Condition] = Field(min_length=1)
    materials: list[str] = Field(min_length=1)
    steps: list[str] = Field(min_length=1)
    where: str
    hotline: str
    online: str | None = None
    time_limit: str | None = None
    center: Id | None = None
    instrument: Id | None = None
    faq: list[QA] = []


class Fund(Strict):
    id: Id
    name: str
    type: Literal["fund", "grant", "loan", "voucher", "bond", "guarantee", "pilot", "channel", "service"]
    stages: list[Stage] = Field(min_length=1)
    needs: list[Need] = Field(min_length=1)
    tracks: list[str] = []  # empty: every track
    summary: str  # what the seed says, in its words
    source_clause: str  # e.g. "（八）加强政府资金引导保障"
    details: str | None = None
    guide: Id | None = None
    sample: bool = False
    aliases: list[str] = []  # other names founders use ("直投子基金" for 省级产业投资基金直投子基金)


class FundCatalog(Header):
    kind: Literal["fund"]
    items: list[Fund] = Field(min_length=1)


class Center(Strict):
    id: Id
    name: str
    district: str
    address: str
    hotline: str
    hours: str
    topics: list[str] = Field(min_length=1)
    parks: list[Id] = []
    summary: str
    sample: bool = False


class CenterCatalog(Header):
    kind: Literal["center"]
    items: list[Center] = Field(min_length=1)


# libyaml's loader when PyYAML has it: the same documents and errors, six times quicker to read
# (the catalog is read at every start).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_yaml(text: str):
    """`yaml.safe_load`, through libyaml when it is there."""
    return yaml.load(text, Loader=_LOADER)


YamlDoc = Annotated[Park | Guide | FundCatalog | CenterCatalog, Field(discriminator="kind")]
_adapter: TypeAdapter[YamlDoc] = TypeAdapter(YamlDoc)


def parse_yaml(path: Path) -> Park | Guide | FundCatalog | CenterCatalog:
    """Read and validate one YAML file; every problem is an IngestError naming file and field."""
    try:
        raw = safe_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise IngestError(str(path), f"YAML 格式错误{where}", "请检查缩进和冒号后的空格") from exc
    except UnicodeDecodeError as exc:
        raise IngestError(str(path), "文件不是 UTF-8 编码", "请另存为 UTF-8 后重试") from exc
    if not isinstance(raw, dict) or not raw:
        raise IngestError(str(path), "YAML 文件为空或不是键值结构", "请参考 knowledge/data 下的示例文件")
    if raw.get("kind") not in ("park", "guide", "fund", "center"):
        raise IngestError(
            str(path),
            f"不认识的 kind：{raw.get('kind')!r}",
            "kind 应为 park、guide、fund 或 center",
            field="kind",
        )
    try:
        return _adapter.validate_python(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"][1:]) or "?"
        raise IngestError(
            str(path), f"字段不合法：{err['msg']}", "请按 README 中的字段说明修改", field=loc
        ) from exc


def _meta(head: Header, kind: Kind, doc_id: str, title: str, source: str, sample: bool) -> DocMeta:
    return DocMeta(
        doc_id=doc_id,
        kind=kind,
        title=title,
        doc_number=head.doc_number,
        issuer=head.issuer,
        date=head.date,
        region=head.region,
        effective_from=head.effective_from,
        effective_to=head.effective_to,
        superseded_by=head.superseded_by,
        source=source,
        sample=sample,
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in "。！？；：" else text + "。"


def _lines(items: Iterable[str]) -> str:
    return "\n".join(_sentence(x) for x in items)


def _sections(parts: list[tuple[str, str]]) -> str:
    numerals = "一二三四五六七八九十"
    out = []
    for i, (head, body) in enumerate(p for p in parts if p[1].strip()):
        out.append(f"{numerals[i]}、{head}\n{body.strip()}")
    return "\n\n".join(out)


def _also_called(name: str, aliases: list[str]) -> list[str]:
    """The aliases the name does not already spell, so a search for one finds the document."""
    other = [a for a in aliases if a not in name]
    return [f"也叫{'、'.join(other)}。"] if other else []


def render_park(p: Park, source: str) -> Document:
    items = "\n".join(
        f"（{_cn(i + 1)}）{it.title}\n{_sentence(it.text)}" for i, it in enumerate(p.policy_items)
    )
    overview = [SAMPLE_LINE] if p.sample else []
    overview += [
        f"{p.name}位于{p.district}，地址：{p.address}。",
        *_also_called(p.name, p.aliases),
        f"重点赛道：{'、'.join(p.tracks)}。",
        f"欢迎{'、'.join(STAGE_NAMES[s] for s in p.stages)}的团队入驻。",
        p.summary,
    ]
    if p.universities:
        overview.append(f"合作高校：{'、'.join(p.universities)}。")
    text = _sections(
        [
            ("园区概况", _lines(overview)),
            ("可提供的空间", _lines(p.space)),
            ("政策包", items),
            ("服务中心和联系方式", _lines([f"园区服务中心：{p.contact}", "企业办事不出园，园区事园区办"])),
        ]
    )
    return Document(meta=_meta(p, "park", p.id, p.title, source, p.sample), text=text)


def render_guide(g: Guide, source: str) -> Document:
    where = [f"办理地点：{g.where}", f"咨询电话：{g.hotline}"]
    if g.online:
        where.append(f"网上办理：{g.online}")
    if g.time_limit:
        where.append(f"多久能办好：{g.time_limit}")
    summary = ([SAMPLE_LINE] if g.sample else []) + [g.summary]
    if g.based_on:
        summary.append(f"政策依据：{'；'.join(g.based_on)}")
    parts = [
        ("这是什么", _lines(summary)),
        (GUIDE_WHO, _lines(c.text for c in g.eligibility)),
        (GUIDE_MATERIALS, _lines(g.materials)),
        (GUIDE_STEPS, _lines(g.steps)),
        (f"{GUIDE_WHERE}、找谁咨询", _lines(where)),
    ]
    if g.faq:
        parts.append(("常见问题", "\n".join(f"问：{q.q}\n答：{_sentence(q.a)}" for q in g.faq)))
    return Document(meta=_meta(g, "guide", g.id, g.title, source, g.sample), text=_sections(parts))


TYPE_NAMES = {
    "fund": "政府投资基金",
    "grant": "财政资金支持",
    "loan": "信贷产品",
    "voucher": "补贴券",
    "bond": "债券融资",
    "guarantee": "融资担保",
    "pilot": "金融试点",
    "channel": "对接渠道",
    "service": "服务平台",
}


def render_fund(cat: FundCatalog, f: Fund, source: str) -> Document:
    who = [f"适合阶段：{'、'.join(STAGE_NAMES[s] for s in f.stages)}"]
    if f.tracks:
        who.append(f"适合赛道：{'、'.join(f.tracks)}")
    about = [SAMPLE_LINE] if f.sample else []
    about += [f"{f.name}属于{TYPE_NAMES[f.type]}。", *_also_called(f.name, f.aliases), f.summary]
    about.append(f"政策依据：{f.source_clause}")  # in the same passage: a one-line section is a poor citation
    parts = [("是什么", _lines(about)), ("适合谁", _lines(who))]
    if f.details:
        parts.append(("补充说明", _sentence(f.details)))
    meta = _meta(cat, "fund", f.id, f.name, source, f.sample or cat.sample)
    return Document(meta=meta, text=_sections(parts))


def render_center(cat: CenterCatalog, c: Center, source: str) -> Document:
    about = ([SAMPLE_LINE] if c.sample else []) + [c.summary, f"服务内容：{'、'.join(c.topics)}"]
    contact = [f"地址：{c.address}", f"电话：{c.hotline}", f"服务时间：{c.hours}"]
    parts = [("服务内容", _lines(about)), ("联系方式", _lines(contact))]
    meta = _meta(cat, "center", c.id, c.name, source, c.sample or cat.sample)
    return Document(meta=meta, text=_sections(parts))


def load_yaml(path: Path) -> list[Document]:
    doc = parse_yaml(path)
    src = str(path)
    if isinstance(doc, Park):
        return [render_park(doc, src)]
    if isinstance(doc, Guide):
        return [render_guide(doc, src)]
    if isinstance(doc, FundCatalog):
        return [render_fund(doc, f, src) for f in doc.items]
    return [render_center(doc, c, src) for c in doc.items]


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n <= 10:
        return "十" if n == 10 else digits[n]
    if n < 20:
        return "十" + digits[n - 10]
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


class Catalog(BaseModel):
    """The typed objects the assistant routes with, read from the same files the index ingests."""

    parks: dict[str, Park] = {}
    guides: dict[str, Guide] = {}
    funds: dict[str, Fund] = {}
    centers: dict[str, Center] = {}

    @classmethod
    def load(cls, root: Path) -> Catalog:
        cat = cls()
        for path in sorted(root.rglob("*.y*ml")):
            try:
                doc = parse_yaml(path)
            except IngestError:
                continue  # ingest reports it; routing just goes without it
            if isinstance(doc, Park):
                cat.parks[doc.id] = doc
            elif isinstance(doc, Guide):
                cat.guides[doc.id] = doc
            elif isinstance(doc, FundCatalog):
                cat.funds.update({f.id: f for f in doc.items})
            else:
                cat.centers.update({c.id: c for c in doc.items})
        return cat
