"""Text normalisation for Chinese policy documents.

`clean_text` makes one document's text consistent: invisible characters gone, full-width letters and
digits made half-width, ASCII punctuation in Chinese context made full-width, no spaces between Han
characters, sentences cut by a page or line break rejoined, headings on their own lines, one blank
line at most between paragraphs. `clean_pages` does the PDF-specific part first (running headers and
footers, page numbers, lines wrapped at the page width). `similarity` measures how close two
versions of a text are, ignoring whitespace.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Full-width punctuation that counts as "Chinese context" for spacing and punctuation decisions.
CJK_PUNCT = "，。、；：？！（）《》〈〉“”‘’【】〔〕「」『』…—～·"
_CJK = f"{HAN}{CJK_PUNCT}"
_CN_NUM = "一二三四五六七八九十百千零〇两"

HEADING_RE = re.compile(
    rf"^(?:#{{1,6}}\s"
    rf"|[{_CN_NUM}]+、"
    rf"|[（(][{_CN_NUM}]+[）)]"
    rf"|[（(]\d{{1,3}}[）)]"
    rf"|\d{{1,3}}[．.、](?!\d)"
    rf"|[①-⑳]"
    rf"|第[{_CN_NUM}\d]+(?:章|节|条|编|部分))"
)
# A heading label followed by spaces: "(十) 筑牢" -> "（十）筑牢".
_LABEL_SPACE = re.compile(rf"^([{_CN_NUM}]+、|（[{_CN_NUM}\d]+）|\d{{1,3}}[．.、])[ ]+(?=[{HAN}])")
# Law articles keep one space after the label, as the national database prints them.
_ARTICLE_LABEL = re.compile(rf"^((?:#{{1,6}} )?第[{_CN_NUM}\d]+(?:章|节|条|编|部分))[ ]+(?=\S)")
DATE_LINE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")

_FINAL = set("。！？；：…!?;:")
_CLOSERS = set("”’」』")
_BODY_PUNCT = set("，。；！？,;")
_PAIRS = ("“”", "《》", "（）", "【】", "〔〕", "「」")
_LEADING_CONT = set("，。、；：？！）》”」』")
# Title lines end like this; a long title without punctuation is still not a cut sentence.
_TITLE_END = re.compile(
    r"(通知|通告|公告|办法|方案|意见|决定|规定|条例|细则|指引|指南|清单|批复|规划|纲要|措施|的函)$"
)

# Characters that carry nothing: BOM, zero-width space/joiners, word joiner, Mongolian vowel separator.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u180e"), None)
_SPACES = dict.fromkeys(
    map(
        ord,
        "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
        "\u2008\u2009\u200a\u202f\u205f\u3000\t\v",
    ),
    " ",
)
_HALF_SYMBOLS = "％＋＝＜＞＠＃＆＊＿｜＄＾"
_WIDTH = {
    **{0xFF10 + i: ord("0") + i for i in range(10)},
    **{0xFF21 + i: ord("A") + i for i in range(26)},
    **{0xFF41 + i: ord("a") + i for i in range(26)},
    **{ord(c): ord(unicodedata.normalize("NFKC", c)) for c in _HALF_SYMBOLS},
}
_UNITS = "年月日时分秒号条款项章节页次届期个万亿元岁天周倍米吨件户人名家所批类种%"


def clean_text(text: str) -> str:
    """Normalise one document's text (see the module docstring)."""
    text = _normalise_chars(text)
    lines = [_clean_line(line) for line in text.split("\n")]
    return _assemble(_join_cut_sentences(lines))


def _normalise_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)  # control characters carry nothing
    # PDF fonts often map a real hyphen to U+00AD: between digits it is a range (2014-2020).
    text = re.sub(r"(?<=\d)\u00ad(?=\d)", "-", text).replace("\u00ad", "")
    return text.translate(_INVISIBLE).translate(_SPACES).translate(_WIDTH)


def _clean_line(line: str) -> str:
    line = _cjk_punctuation(line.strip())
    label = _ARTICLE_LABEL.match(line)
    if label:  # keep "第一条 为了…": remove Han spaces only in the rest
        rest = _strip_spaces(line[label.end() :])
        return f"{label.group(1)} {rest}".rstrip()
    return _LABEL_SPACE.sub(r"\1", _strip_spaces(line))


def _strip_spaces(line: str) -> str:
    line = re.sub(r" {2,}", " ", line)
    line = re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", line)
    line = _UNIT_SPACE.sub(_unit_space, line)  # "860 号", "2019 年"
    line = re.sub(rf"(?<=[{_CJK}]) (?=\d[\d.\-]*\s?[{_UNITS}])", "", line)  # "起 2019年"
    return re.sub(r"(?<=第) (?=\d)", "", line)


_UNIT_SPACE = re.compile(rf"(^)?(\d+) (?=([{_UNITS}]))")


def _unit_space(m: re.Match[str]) -> str:
    # "1 项目申请报告" at the start of a line is a row number, not a quantity.
    if m.group(1) is not None and m.group(3) not in "年月日号%":
        return m.group(0)
    return m.group(2)


_KEEP_OPEN, _KEEP_CLOSE = "\x0e", "\x0f"  # placeholders for ASCII parentheses that must stay ASCII


def _cjk_punctuation(line: str) -> str:
    """ASCII , : ; ? ! ( ) next to Han become full-width; digits, Latin, URLs and links keep theirs."""
    line = re.sub(r"\(([^()]*)\)", _paren_pair, line)
    line = re.sub(r"[,:;?!()]", lambda m: _punct_in_context(line, m.start()), line)
    return line.replace(_KEEP_OPEN, "(").replace(_KEEP_CLOSE, ")")


def _neighbours(s: str, start: int, end: int) -> tuple[str, str]:
    """The nearest non-space characters before `start` and from `end` (bounded: lines can be long)."""
    return s[max(0, start - 40) : start].rstrip()[-1:], s[end : end + 40].lstrip()[:1]


def _paren_pair(m: re.Match[str]) -> str:
    inner, s = m.group(1), m.string
    before, after = _neighbours(s, m.start(), m.end())
    link = s[m.start() - 1 : m.start()] == "]" or re.match(r"\s*[a-z][a-z0-9+.-]*:", inner)
    chinese = re.search(f"[{HAN}]", inner) or _is_cjk(before) or _is_cjk(after)
    return f"（{inner}）" if chinese and not link else f"{_KEEP_OPEN}{inner}{_KEEP_CLOSE}"


def _punct_in_context(line: str, i: int) -> str:
    ch = line[i]
    before, after = _neighbours(line, i, i + 1)
    if ch in "()":
        chinese = _is_cjk(before) or _is_cjk(after)
        return {"(": "（", ")": "）"}[ch] if chinese else ch
    if ch == ":" and after == "/":  # URLs
        return ch
    if before.isdigit() and after.isdigit():  # 1,000 and 10:30
        return ch
    if _is_cjk(before) or re.match(f"[{HAN}]", after):
        return {",": "，", ":": "：", ";": "；", "?": "？", "!": "！"}[ch]
    return ch


def _is_cjk(ch: str) -> bool:
    return bool(ch) and bool(re.match(f"[{_CJK}]", ch))


def is_heading(line: str) -> bool:
    return bool(HEADING_RE.match(line.strip()))


def ends_sentence(line: str) -> bool:
    """True when a line ends a sentence: 。！？；：… or a closing quote right after one of them."""
    line = line.rstrip()
    if not line:
        return True
    if line[-1] in _CLOSERS:
        return len(line) > 1 and line[-2] in _FINAL
    return line[-1] in _FINAL


def _unclosed(line: str) -> bool:
    return any(line.count(pair[0]) > line.count(pair[1]) for pair in _PAIRS)


def _stands_alone(line: str) -> bool:
    """A heading with no sentence inside it, or a Markdown list/table/quote/markup line."""
    if is_heading(line) and not any(p in line for p in "。；！？"):
        return True
    return line.startswith(("|", "- ", "* ", "> ", "<"))


def _ends_block(prev: str) -> bool:
    """A sentence end, or a heading/title line that no sentence runs through."""
    if ends_sentence(prev):
        return True
    return not _unclosed(prev) and (_stands_alone(prev) or bool(_TITLE_END.search(prev)))


def _looks_cut(prev: str) -> bool:
    """Does `prev` stop in the middle of a sentence? Titles are short and have no commas."""
    if _ends_block(prev):
        return False
    if _unclosed(prev) or len(prev) >= 40:
        return True
    return len(prev) >= 12 and any(p in prev[:-1] for p in _BODY_PUNCT)


def _starts_new(line: str) -> bool:
    return is_heading(line) or bool(DATE_LINE.match(line)) or line.startswith(("附件", "附：", "|", "<"))


def _continues(prev: str, line: str) -> bool:
    if line[0] in _LEADING_CONT and not _stands_alone(prev):
        return True
    return _looks_cut(prev) and not _starts_new(line)


def _join_cut_sentences(lines: list[str]) -> list[str]:
    """Merge a line into the previous paragraph (across blank lines) when a break cut a sentence."""
    out: list[str] = []
    for line in lines:
        prev_i = _last_text_index(out)
        if line and prev_i is not None and _continues(out[prev_i], line):
            del out[prev_i + 1 :]  # the blank lines the break left
            out[prev_i] = _glue(out[prev_i], line)
        else:
            out.append(line)
    return out


def _last_text_index(lines: list[str]) -> int | None:
    for i in range(len(lines) - 1, -1, -1):
        if lines[i]:
            return i
    return None


def _glue(a: str, b: str) -> str:
    """Join two pieces of one sentence; keep a space only between two Latin/digit words."""
    if re.search(r"[A-Za-z0-9]$", a) and re.match(r"[A-Za-z0-9]", b):
        return f"{a} {b}"
    return a + b


def _assemble(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n") + "\n" if text.strip() else ""


# --- PDF pages -------------------------------------------------------------------------------------

_PAGE_NO = [
    re.compile(r"^[-—–－―~～\s]*\d{1,4}[-—–－―~～\s]*$"),  # - 3 -, — 3 —, —01—, bare 3
    re.compile(r"^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$"),
    re.compile(r"^(?:共\s*\d{1,4}\s*页\s*[,，]?\s*)?第\s*\d{1,4}\s*页$"),
    re.compile(r"^\d{1,4}\s*/\s*\d{1,4}$"),
    re.compile(r"^(?:page|p\.)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.I),
]
_BARE_NO = re.compile(r"^\d{1,4}$")
_ZONE = 2  # lines at the top and bottom of a page where headers, footers and numbers live


def clean_pages(pages: list[str]) -> str:
    """Clean PDF page texts: drop running headers/footers and page numbers, rejoin, clean_text."""
    page_lines = [_page_lines(p) for p in pages]
    page_lines = _drop_page_numbers(page_lines)
    page_lines = _drop_running_lines(page_lines)
    lines = [line for page in page_lines for line in page]
    return clean_text("\n".join(_join_wrapped(lines)))


def _page_lines(page: str) -> list[str]:
    page = _normalise_chars(page or "")
    return [line.strip() for line in page.split("\n") if line.strip()]


def _decorated_page_no(line: str) -> bool:
    return not _BARE_NO.match(line) and any(p.match(line) for p in _PAGE_NO)


def _drop_page_numbers(pages: list[list[str]]) -> list[list[str]]:
    """Decorated numbers go wherever they sit in the zone; bare ones only if they count pages."""
    bare_top, bare_bottom = _counts_pages(pages, 0), _counts_pages(pages, -1)
    out = []
    for lines in pages:
        lines = list(lines)
        if lines and bare_bottom and _BARE_NO.match(lines[-1]):
            lines.pop()
        if lines and bare_top and _BARE_NO.match(lines[0]):
            lines.pop(0)
        zone = set(range(min(_ZONE, len(lines)))) | set(range(max(0, len(lines) - _ZONE), len(lines)))
        out.append([x for i, x in enumerate(lines) if not (i in zone and _decorated_page_no(x))])
    return out


def _counts_pages(pages: list[list[str]], pos: int) -> bool:
    """Bare numbers at `pos` are page numbers when most pages have one at a fixed offset from the index."""
    offsets = Counter(
        int(lines[pos]) - i for i, lines in enumerate(pages) if lines and _BARE_NO.match(lines[pos])
    )
    return bool(offsets) and len(pages) >= 2 and offsets.most_common(1)[0][1] >= max(2, len(pages) / 2)


def _running_key(line: str) -> str:
    return re.sub(r"[\d\s]+", "", line)


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove lines repeated at the top or bottom of most pages (digits ignored: 第3页 counts)."""
    if len(pages) < 2:
        return pages
    top = Counter(k for lines in pages for k in {_running_key(x) for x in lines[:_ZONE]})
    bottom = Counter(k for lines in pages for k in {_running_key(x) for x in lines[-_ZONE:]})
    need = max(2, len(pages) / 2)
    running_top = {k for k, n in top.items() if k and n >= need}
    running_bottom = {k for k, n in bottom.items() if k and n >= need}
    return [_strip_zone(lines, running_top, running_bottom) for lines in pages]


def _strip_zone(lines: list[str], top: set[str], bottom: set[str]) -> list[str]:
    n = len(lines)
    keep = []
    for i, line in enumerate(lines):
        key = _running_key(line)
        if (i < _ZONE and key in top) or (i >= n - _ZONE and key in bottom):
            continue
        keep.append(line)
    return keep


def display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join visual lines that the PDF wrapped at the page width (a full line not ending a sentence)."""
    widths = sorted(display_width(x) for x in lines if len(x) >= 5)
    if not widths:
        return lines
    full = 0.8 * widths[int(0.9 * (len(widths) - 1))]
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        wrapped = display_width(prev) >= full and not _ends_block(prev)
        if prev and wrapped and not _starts_new(line):
            out[-1] = _glue(prev, line)
        else:
            out.append(line)
    return out


# --- similarity ------------------------------------------------------------------------------------

_SIM_CHUNK = 30_000


def similarity(a: str, b: str) -> float:
    """Character-level similarity (difflib ratio) of two texts, whitespace ignored.

    Long texts are aligned sentence by sentence first, then compared character by character inside
    the blocks that differ, so 20k-character documents take well under a few seconds.
    """
    a, b = re.sub(r"\s+", "", a), re.sub(r"\s+", "", b)
    if not a and not b:
        return 1.0
    return 2.0 * _matches(a, b) / (len(a) + len(b))


def _char_matches(a: str, b: str) -> int:
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in sm.get_matching_blocks())


def _matches(a: str, b: str) -> int:
    if len(a) + len(b) <= _SIM_CHUNK:
        return _char_matches(a, b)
    sa, sb = _sentences(a), _sentences(b)
    sm = difflib.SequenceMatcher(None, sa, sb, autojunk=False)
    total = 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            total += sum(len(s) for s in sa[i1:i2])
        elif op == "replace":
            total += _matches_capped("".join(sa[i1:i2]), "".join(sb[j1:j2]))
    return total


def _matches_capped(a: str, b: str) -> int:
    """Compare very long differing blocks piecewise (proportional windows) to bound the cost."""
    if len(a) + len(b) <= _SIM_CHUNK:
        return _char_matches(a, b)
    n = -(-(len(a) + len(b)) // _SIM_CHUNK) + 1
    pa, pb = -(-len(a) // n), -(-len(b) // n)
    return sum(_char_matches(a[i * pa : (i + 1) * pa], b[i * pb : (i + 1) * pb]) for i in range(n))


def _sentences(text: str) -> list[str]:
    return re.findall(r"[^。！？；]*[。！？；]|[^。！？；]+$", text)
