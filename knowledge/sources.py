"""Loaders: a file in, cleaned Documents out.

`load_file` dispatches on the suffix (`LOADERS`); every loader returns the cleaned text, metadata it
read from the file itself (front matter, a `<file>.meta.yaml` sidecar, HTML <meta> tags) and hints
for what it could not read; `knowledge.metadata.infer_meta` fills the rest from the text. PDFs are
parsed in a child process (`_pdfworker.py`) under size, page and time limits, HTML and Markdown in
another (`_parseworker.py`) under size, depth and time limits. Every problem a user
can fix is an IngestError naming the file (and page or field) and saying what to do.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from .catalog import load_yaml, safe_yaml
from .child import run_module, run_script
from .clean import HAN, clean_pages
from .errors import IngestError
from .metadata import MD_HEADING, infer_meta, make_doc_id
from .textbody import clean_body
from .types import DocMeta, Document

YAML_SUFFIXES = (".yaml", ".yml")  # typed catalogs: knowledge.catalog.load_yaml
SIDECAR_SUFFIX = ".meta.yaml"
# Text bodies up to this size are cleaned in this process (linear regex work, well under a second);
# bigger ones in the child under the time limit. HTML always goes to the child (BeautifulSoup).
IN_PROCESS_TEXT_CHARS = 200_000
META_FIELDS = frozenset(DocMeta.model_fields) - {"source"}


@dataclass(frozen=True)
class ParseLimits:
    """Untrusted files are parsed in a child process under these limits (see PITFALLS.md, pypdf and
    BeautifulSoup): PDFs by size, pages and time; HTML and Markdown by size, nesting depth and time."""

    timeout_s: float = 60.0
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    text_timeout_s: float = 30.0
    text_max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 400  # real government pages nest 20–60 elements deep


PdfLimits = ParseLimits  # the name callers used before HTML and Markdown had limits too


@dataclass
class Loaded:
    """What a loader found: cleaned text, metadata given explicitly, and hints to infer from."""

    text: str
    explicit: dict = field(default_factory=dict)
    hints: dict = field(default_factory=dict)


def load_file(path: Path, *, root: Path | None = None, pdf_limits: PdfLimits | None = None) -> list[Document]:
    """Load one file. `root` makes generated doc_ids depend on the path below it, not just the name."""
    path = Path(path)
    if path.name.endswith(SIDECAR_SUFFIX):
        return []  # metadata for a sibling file, read by that file's loader
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            str(path),
            f"不支持的文件类型“{suffix or '无扩展名'}”",
            f"支持的类型：{'、'.join(SUPPORTED_SUFFIXES)}",
        )
    _check_not_empty(path)
    if suffix in YAML_SUFFIXES:
        return load_yaml(path)
    loaded = LOADERS[suffix](path, pdf_limits or PdfLimits())
    meta = build_meta(path, loaded, root=root)
    return [Document(meta=meta, text=loaded.text)]


def _check_not_empty(path: Path) -> None:
    try:
        size = path.stat().st_size
        blank = size == 0 or (size <= 2**20 and not path.read_bytes().strip())  # big files are not blank
    except OSError as exc:
        raise IngestError(
            str(path), f"无法读取文件（{exc.strerror or exc}）", "请检查路径和读取权限"
        ) from exc
    if blank:
        raise IngestError(str(path), "文件是空的", "请确认文件已完整保存或下载后再导入")


# --- text and Markdown -----------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def load_text(path: Path, limits: ParseLimits | None = None) -> Loaded:
    limits = limits or ParseLimits()
    _check_size(path, limits.text_max_bytes, "文本")
    explicit, body = split_front_matter(path, read_text(path))
    if len(body) <= IN_PROCESS_TEXT_CHARS:
        text, hints = clean_body(body)
    else:
        result = _in_child(path, ["text"], limits, stdin=body.encode("utf-8"))
        text, hints = result["text"], result["hints"]
    if not re.search(f"[{HAN}A-Za-z0-9]", text):
        raise IngestError(
            str(path),
            "文件里没有正文（只有元数据、空行或分页标记）",
            "请确认正文已写入；如果是扫描件的提取结果，请先做 OCR 文字识别",
        )
    heading = next((m.group(1) for m in map(MD_HEADING.match, text.splitlines()[:10]) if m), None)
    if heading:
        hints.setdefault("title", heading)
    return Loaded(text=text, explicit=explicit, hints=hints)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # GBK files are still common in Chinese government sites
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(str(path), "无法识别文件编码", "请另存为 UTF-8 编码后再导入")


def split_front_matter(path: Path, raw: str) -> tuple[dict, str]:
    raw = raw.lstrip("\ufeff")
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, raw
    return parse_meta_yaml(path, match.group(1), "文件开头 --- 之间的元数据"), raw[match.end() :]


def parse_meta_yaml(path: Path, source: str, where: str) -> dict:
    """Parse front matter or a sidecar; only DocMeta fields are allowed, so typos fail loudly."""
    try:
        data = safe_yaml(source) or {}
    except yaml.YAMLError as exc:
        raise IngestError(str(path), f"{where}不是合法的 YAML", "请检查缩进和冒号后的空格") from exc
    if not isinstance(data, dict):
        raise IngestError(str(path), f"{where}应为“字段: 值”的形式", "例如 title: 成都市……")
    for key in data:
        if key not in META_FIELDS:
            raise IngestError(
                str(path),
                f"不认识的元数据字段“{key}”",
                f"可用字段：{', '.join(sorted(META_FIELDS))}",
                field=str(key),
            )
    return data


def read_sidecar(path: Path) -> dict:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.is_file():
        return {}
    return parse_meta_yaml(sidecar, read_text(sidecar), "元数据文件")


# --- HTML ------------------------------------------------------------------------------------------


def load_html(path: Path, limits: ParseLimits | None = None) -> Loaded:
    limits = limits or ParseLimits()
    _check_size(path, limits.text_max_bytes, "网页")
    result = _in_child(path, ["html", str(path), str(limits.max_depth)], limits)
    text, hints = result["text"], result["hints"]
    if len(re.sub(r"\s", "", text)) < 10:
        raise IngestError(str(path), "网页里没有找到正文", "请确认保存的是完整网页（不是只有导航的框架页）")
    title = hints.get("title")
    if title and title not in text[:300]:  # the body often starts below the page title
        text = f"{title}\n\n{text}"
    return Loaded(text=text, explicit=read_sidecar(path), hints=hints)


def _check_size(path: Path, limit: int, what: str) -> None:
    size = path.stat().st_size
    if size > limit:
        raise IngestError(
            str(path),
            f"{what}文件 {_size(size)}，超过上限 {_size(limit)}",
            "请只保存正文部分，或拆分成几个较小的文件后再导入",
        )


def _in_child(path: Path, args: list[str], limits: ParseLimits, stdin: bytes | None = None) -> dict:
    """Run `knowledge._parseworker` on one file under the time limit; its JSON answer."""
    try:
        code, out = run_module("knowledge._parseworker", args, limits.text_timeout_s, stdin=stdin)
    except subprocess.TimeoutExpired as exc:
        raise IngestError(
            str(path),
            f"解析超过 {limits.text_timeout_s:g} 秒仍未完成",
            "文件结构可能异常（例如层层嵌套的标签）；请只保存正文部分，或另存为纯文本后再导入",
        ) from exc
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):  # the worker died before reporting (crash, killed)
        result = {"error": "corrupt", "detail": f"解析进程退出码 {code}"}
    if result.get("error") == "too_deep":
        depth = f"超过 {limits.max_depth} 层" if result.get("depth") else "过深"
        raise IngestError(
            str(path),
            f"网页的标签嵌套{depth}，无法安全解析",
            "请用浏览器“另存为”纯文本，或只复制正文保存为 .md 后再导入",
        )
    if result.get("error") == "memory":
        raise IngestError(str(path), "解析时内存超限", "请只保存正文部分，或拆分成几个较小的文件后再导入")
    if "error" in result:
        reason = f"文件无法解析（{str(result.get('detail'))[:160]}）"
        raise IngestError(str(path), reason, "请确认文件没有损坏，或另存为 UTF-8 文本后再导入")
    return result


# --- PDF -------------------------------------------------------------------------------------------

_WORKER = Path(__file__).with_name("_pdfworker.py")
_OCR_HINT = "请先做 OCR 文字识别（如 ocrmypdf -l chi_sim）后再导入，或提供带文字层的 PDF/Word 版本"


def load_pdf(path: Path, limits: PdfLimits | None = None) -> Loaded:
    limits = limits or PdfLimits()
    pages = extract_pdf_pages(path, limits)
    check_text_layer(path, pages)
    return Loaded(text=clean_pages(pages), explicit=read_sidecar(path))


def extract_pdf_pages(path: Path, limits: PdfLimits) -> list[str]:
    """Raw pypdf text per page, parsed in a child process under the size/time/page limits."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise IngestError(
            str(path),
            f"文件 {_size(size)}，超过上限 {_size(limits.max_bytes)}",
            "请拆分或压缩后再导入，或调大 PDF 大小上限",
        )
    try:
        code, out = run_script(_WORKER, [str(path), str(limits.max_pages)], limits.timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise IngestError(
            str(path),
            f"解析超过 {limits.timeout_s:g} 秒仍未完成",
            "文件可能过于复杂或已损坏；请拆分后重试，或调大 PDF 解析时间上限",
        ) from exc
    return _worker_pages(path, code, out, limits)


def _worker_pages(path: Path, code: int, out: bytes, limits: PdfLimits) -> list[str]:
    lines = out.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):  # the worker died before reporting (crash, killed)
        result = {"error": "corrupt", "detail": f"解析进程退出码 {code}"}
    if "error" in result:
        raise _worker_error(path, result, limits)
    return result["pages"]


def _worker_error(path: Path, result: dict, limits: PdfLimits) -> IngestError:
    error = result["error"]
    if error == "encrypted":
        return IngestError(
            str(path), "PDF 已加密，请提供未加密的版本", "可在 PDF 阅读器中输入密码后另存一份不加密的副本"
        )
    if error == "too_many_pages":
        reason = f"PDF 共 {result['pages']} 页，超过上限 {limits.max_pages} 页"
        return IngestError(str(path), reason, "请拆分成较小的文件后再导入，或调大页数上限")
    if error == "memory":
        return IngestError(
            str(path), "解析时内存超限（PDF 可能含异常的压缩数据）", "请用 PDF 阅读器重新导出后再导入"
        )
    reason = f"PDF 文件已损坏或无法解析（{str(result.get('detail'))[:160]}）"
    return IngestError(str(path), reason, "请重新下载，或用 PDF 阅读器“另存为”一份后再导入")


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


def check_text_layer(path: Path, pages: list[str]) -> None:
    """Scanned or garbled PDFs have no usable text: say which pages and suggest OCR."""
    chars = [re.sub(r"[\s\d\-—–]", "", p) for p in pages]  # page numbers alone are not text
    text = "".join(chars)
    if len(text) < max(30, 10 * len(pages)):
        blank = [i + 1 for i, c in enumerate(chars) if len(c) < 5]
        where = f"第{_page_ranges(blank)}页没有文字" if blank else "文字极少"
        reason = f"PDF 没有可用的文字层（可能是扫描件）：{where}"
        raise IngestError(str(path), reason, _OCR_HINT, page=blank[0] if len(blank) == 1 else None)
    garbled = 6 * len(re.findall(r"\(cid:\d+\)", text)) + len(re.findall("[\ue000-\uf8ff]", text))
    if garbled > 0.1 * len(text):
        reason = "PDF 的文字层是乱码（字体缺少 Unicode 映射，提取出 (cid: 或私用区字符）"
        raise IngestError(str(path), reason, _OCR_HINT)
    han = len(re.findall(f"[{HAN}]", text))
    if (han or re.search(f"[{HAN}]", path.name)) and han < 0.3 * len(text):  # a Chinese file, mostly not Han
        reason = f"PDF 的文字层不可用：汉字只占 {han / len(text):.0%}（中文文件通常超过一半）"
        raise IngestError(str(path), reason, _OCR_HINT)


def _page_ranges(pages: list[int]) -> str:
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


# Built-in loaders, registered the way an extra one would be.
LOADERS: dict[str, Callable[[Path, ParseLimits], Loaded]] = {
    ".pdf": load_pdf,
    ".html": load_html,
    ".htm": load_html,
    ".md": load_text,
    ".markdown": load_text,
    ".txt": load_text,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = (*LOADERS, *YAML_SUFFIXES)


# --- metadata --------------------------------------------------------------------------------------


def build_meta(path: Path, loaded: Loaded, *, root: Path | None = None) -> DocMeta:
    """Explicit metadata wins; everything missing is inferred from the text and the hints."""
    data = {**infer_meta(path, loaded.text, loaded.hints), **loaded.explicit}
    if "doc_id" not in loaded.explicit:
        data["doc_id"] = make_doc_id(path, data["kind"], root)
    data["source"] = str(path)
    try:
        return DocMeta(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "?"
        raise IngestError(
            str(path),
            f"元数据字段不合法：{err['msg']}",
            "请按 DocMeta 的字段类型填写（日期写成 2026-05-19）",
            field=loc,
        ) from exc
