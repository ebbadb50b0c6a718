"""Structure-aware chunking: a cleaned Document in, citable Passages out.

Each heading opens a section; the section path is the trail of open headings joined by " > ",
e.g. "三、构建以园区为主承载的集成式产业创新生态 > （八）加强政府资金引导保障". A section is one
passage when it fits `max_chars`, otherwise it is cut at sentence ends into pieces that all keep the
same path. Conventions the rest of `knowledge/` can rely on:

- Heading levels, shallow to deep: Markdown `#`…`######` without a Chinese marker, then
  第X编/第X部分, 第X章, 第X节, 第X条, 一、, （一）, 1．, （1）. A heading closes every open heading at
  its level or deeper. A Markdown heading whose text carries a Chinese marker ranks by the marker,
  because the corpus has files whose `#` counts disagree with their 章/节 structure.
- Inside a 第X条 article, 一、/（一）/1．/（1） lines are the article's enumerated items, not headings,
  so every article stays one addressable clause. Elsewhere, a numbered line whose first sentence
  ends with ；is a list item too.
- Text before the first heading (title, 文号, preamble) has section PREAMBLE_SECTION (""): no
  heading trail, so citations show the document title alone. A document's single leading
  `# Title` line belongs to that preamble, not to every section path.
  A headless section shorter than `min_chars` is merged into the next passage; sections with a
  heading never are, so each clause stays separately citable (heading-only passages included).
- A 第X条 label is the article number alone ("第十二条"); a numbered clause's label is its marker and
  title up to the first 。/：("（八）加强政府资金引导保障"), or the marker alone when that first
  sentence is no title (over 30 characters or has a comma).
- Passage text is the source lines in order, joined by "\\n" between lines, with nothing added;
  Markdown `#` marks are the only characters dropped. The heading line is the first line of its
  section's first passage.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .types import Document, Passage

PREAMBLE_SECTION = ""
SEP = " > "

RANK_ARTICLE = 40
_NUM = "一二三四五六七八九十百千零〇两"
_STRUCT = re.compile(rf"^(第[{_NUM}\d]+(部分|[编章节]))\s*(.*)$")
_STRUCT_RANK = {"部分": 10, "编": 10, "章": 20, "节": 30}
# A line opening with "第十二条规定…" cites an article; an article opens "第十二条　…" or "第十二条为…".
_ARTICLE = re.compile(rf"^(第[{_NUM}\d]+条(?:之[{_NUM}]+)?)(?=$|\s|[^规所的第至、，,中和及或之款项])")
_ENUMS = (
    (50, re.compile(rf"^([{_NUM}]+、)\s*(\S.*)$")),
    (60, re.compile(rf"^([（(][{_NUM}]+[)）])\s*(\S.*)$")),
    (70, re.compile(r"^(\d{1,2}[．.、])\s*(?!\d)(\S.*)$")),  # "1．" yes, "1.5亿元" no
    (80, re.compile(r"^([（(]\d{1,2}[)）])\s*(\S.*)$")),
)
_MARKDOWN = re.compile(r"^(#{1,6})\s+(\S.*)$")
_H1 = re.compile(r"^#\s+\S")
_TITLE_END = re.compile(r"[。！？!?；;：:]")
_LABEL_MAX = 40
_TITLE_MAX = 30

_ENDS = "。！？；!?;"
_CLOSERS = "”’」』）)》〉】\"'"
_SENTENCE_END = re.compile(rf"[{_ENDS}]+[{_CLOSERS}]*")
_CLAUSE_END = re.compile(r"[，,、：:]+")
_LINE_END = re.compile(rf"(?:[{_ENDS}…]+[{_CLOSERS}]*|……)$")
SENTENCE_MAX = 4000  # longest sentence in the corpus: 2,214 characters (a table in jiangxi-2020-a1.pdf)
_QUESTION = re.compile(
    r"^(?:问|Q)\s*[：:]", re.IGNORECASE
)  # FAQ pages: 问：…？ on one line, 答：… on the next
_ANSWER = re.compile(r"^(?:答|A)\s*[：:]", re.IGNORECASE)


@dataclass(frozen=True)
class _Heading:
    rank: int
    label: str


@dataclass
class _Section:
    trail: tuple[str, ...]
    lines: list[str] = field(default_factory=list)
    headed: bool = True


def chunk(doc: Document, max_chars: int = 450, min_chars: int = 40) -> list[Passage]:
    """Cut `doc` into passages, one per section, long sections split at sentence ends."""
    sections = _merge_short_headless(_sections(doc.text), min_chars)
    texts = [(SEP.join(s.trail), piece) for s in sections for piece in _split(s.lines, max_chars, min_chars)]
    return [
        Passage(
            passage_id=f"{doc.meta.doc_id}#{seq:04d}",
            doc_id=doc.meta.doc_id,
            seq=seq,
            section=section,
            text=text,
            meta=doc.meta,
        )
        for seq, (section, text) in enumerate(texts)
    ]


# --- headings and sections -------------------------------------------------------------------


def _sections(text: str) -> list[_Section]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title_h1 = bool(lines) and _H1.match(lines[0]) is not None and sum(bool(_H1.match(x)) for x in lines) == 1
    trail: list[_Heading] = []
    sections = [_Section(trail=(), headed=False)]
    for i, line in enumerate(lines):
        in_article = bool(trail) and trail[-1].rank == RANK_ARTICLE
        heading, body = (None, _strip_markdown(line)) if i == 0 and title_h1 else _heading(line, in_article)
        if heading is not None:
            while trail and trail[-1].rank >= heading.rank:
                trail.pop()
            trail.append(heading)
            sections.append(_Section(trail=tuple(h.label for h in trail)))
        sections[-1].lines.append(body)
    return [s for s in sections if s.lines]


def _heading(line: str, in_article: bool) -> tuple[_Heading | None, str]:
    """The heading `line` opens, if any, and the line as it goes into passage text."""
    md = _MARKDOWN.match(line)
    if md:
        content = md.group(2).strip()
        inner = _chinese_heading(content, in_article=False)
        return inner or _Heading(len(md.group(1)), _squash(content)), content
    return _chinese_heading(line, in_article), line


def _chinese_heading(line: str, in_article: bool) -> _Heading | None:
    if m := _STRUCT.match(line):
        rest = m.group(3)
        if len(line) <= _LABEL_MAX and not _TITLE_END.search(rest):
            return _Heading(_STRUCT_RANK[m.group(2)], _squash(f"{m.group(1)} {rest}"))
    if m := _ARTICLE.match(line):
        return _Heading(RANK_ARTICLE, m.group(1))
    if in_article:
        return None
    for rank, pattern in _ENUMS:
        if m := pattern.match(line):
            return _enum_heading(rank, m.group(1), m.group(2))
    return None


def _enum_heading(rank: int, marker: str, rest: str) -> _Heading | None:
    end = _TITLE_END.search(rest)
    if end and end.group() in "；;":
        return None  # "（一）组织拟订…；" is an item of a list, not a clause title
    title = _squash(rest[: end.start()] if end else rest)
    if len(title) > _TITLE_MAX or re.search("[，,]", title):
        title = ""  # a numbered sentence, not a titled clause: the number alone names it
    marker = marker.replace("(", "（").replace(")", "）")  # one spelling in citations
    return _Heading(rank, f"{marker}{title}")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _strip_markdown(line: str) -> str:
    md = _MARKDOWN.match(line)
    return md.group(2).strip() if md else line


def _merge_short_headless(sections: list[_Section], min_chars: int) -> list[_Section]:
    """A short run of text without a heading (a bare title) rides along with the next passage."""
    out: list[_Section] = []
    carry: list[str] = []
    for s in sections:
        lines = carry + s.lines
        carry = []
        if not s.headed and len("\n".join(lines)) < min_chars and s is not sections[-1]:
            carry = lines
            continue
        out.append(_Section(trail=s.trail, lines=lines, headed=s.headed))
    return out


# --- splitting a section into pieces ---------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    text: str
    new_line: bool  # starts a source line, so it is joined with "\n"


def _split(lines: list[str], max_chars: int, min_chars: int) -> list[str]:
    whole = "\n".join(lines)
    if len(whole) <= max_chars:
        return [whole]
    units = [u for run in _runs(lines) for u in _run_units(run, max_chars)]
    units = _questions_with_answers(units, max_chars)
    return [_join(p) for p in _pack(units, len(whole), max_chars, min_chars)]


def _line_done(line: str) -> bool:
    """A line after which a passage may end: a sentence end, or the end of a table row."""
    return bool(_LINE_END.search(line)) or line.endswith("|")


def _runs(lines: list[str]) -> list[list[str]]:
    """Lines glued until one ends a sentence. A PDF page or an HTML block can break a sentence
    ("税务部门按照规定" / "修复其纳税信用。"), and a heading line without an end belongs to what
    follows it: neither is a place to cut."""
    runs: list[list[str]] = [[]]
    for line in lines:
        runs[-1].append(line)
        if _line_done(line):
            runs.append([])
    return [r for r in runs if r]


def _run_units(run: list[str], max_chars: int) -> list[_Unit]:
    pieces: list[str] = []
    for sentence in _sentences("\n".join(run), quotes=True):
        if len(sentence) <= max_chars:
            pieces.append(sentence)
            continue
        # A quote too long to keep whole is cut at its own sentence ends; a sentence stays whole
        # even when long, unless it is beyond all reason (a table dumped without punctuation).
        for s in _sentences(sentence, quotes=False):
            pieces.extend([s] if len(s) <= SENTENCE_MAX else _clauses(s, max_chars))
    return [_Unit(p, i == 0) for i, p in enumerate(pieces)]


def _questions_with_answers(units: list[_Unit], max_chars: int) -> list[_Unit]:
    """A one-sentence FAQ question line stays with the first sentence of its answer: a passage that
    asks without answering, or answers without the question, helps nobody."""
    out: list[_Unit] = []
    for u in units:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.new_line
            and u.new_line
            and _QUESTION.match(prev.text)
            and _ANSWER.match(u.text)
            and len(prev.text) + 1 + len(u.text) <= max_chars
        ):
            out[-1] = _Unit(f"{prev.text}\n{u.text}", True)
        else:
            out.append(u)
    return out


def _sentences(text: str, quotes: bool) -> list[str]:
    """Cut after each sentence end (closing quotes stay with it); with `quotes`, never inside “…”."""
    cuts, depth, last = [], 0, 0
    for m in _SENTENCE_END.finditer(text):
        depth += text.count("“", last, m.end()) - text.count("”", last, m.end())
        last = m.end()
        if not quotes or depth <= 0:
            cuts.append(m.end())
            depth = 0
    return _cut(text, cuts)


def _clauses(sentence: str, max_chars: int) -> list[str]:
    """A sentence longer than max_chars: pack its comma-separated clauses; a huge clause stays whole."""
    clauses = _cut(sentence, [m.end() for m in _CLAUSE_END.finditer(sentence)])
    out = [""]
    for c in clauses:
        if out[-1] and len(out[-1]) + len(c) > max_chars:
            out.append("")
        out[-1] += c
    return out


def _cut(text: str, cuts: list[int]) -> list[str]:
    bounds = [0, *(c for c in cuts if 0 < c < len(text)), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if text[a:b]]


def _pack(units: list[_Unit], total: int, max_chars: int, min_chars: int) -> list[list[_Unit]]:
    """Greedy packing towards equal-sized pieces, so a section never ends in a sliver."""
    target = total / math.ceil(total / max_chars)
    pieces: list[list[_Unit]] = [[]]
    size = 0
    for u in units:
        add = len(u.text) + (1 if u.new_line and pieces[-1] else 0)
        if pieces[-1] and (size + add > max_chars or size + add / 2 > target):
            pieces.append([])
            size, add = 0, len(u.text)
        pieces[-1].append(u)
        size += add
    if len(pieces) > 1 and size < min_chars and len(_join(pieces[-2])) + 1 + size <= max_chars:
        pieces[-2].extend(pieces.pop())
    return pieces


def _join(units: list[_Unit]) -> str:
    return "".join(("\n" if u.new_line and i else "") + u.text for i, u in enumerate(units))
