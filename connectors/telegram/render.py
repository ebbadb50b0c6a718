"""A `Reply` as Telegram HTML messages: escaped answer text with its [n] markers, a compact numbered
source list, inline keyboards for park and fund cards, and splitting under Telegram's 4,096 limit.

Splitting works on blocks we built ourselves: every paragraph and line is balanced HTML, and only
plain (escaped) text is ever cut inside a line, at a sentence end, so a tag is never broken.
"""

from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from assistant.reply import Citation, Recommendation, Reply

LIMIT = 4096
MAX_BUTTONS = 8
_SENTENCE_END = re.compile(r"(?<=[。！？；!?])|(?<=\.)(?=\s)")  # not ";": it ends &lt;
_OPEN_ENTITY = re.compile(r"&[#a-zA-Z0-9]*$")


def esc(text: str) -> str:
    """Escape <, > and & for Telegram HTML (quotes are fine outside attributes)."""
    return html.escape(text, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


# citations ------------------------------------------------------------------------------------
def citation_line(c: Citation) -> str:
    """ "[1] 标题（文号）· 章节 示例": the last heading of the trail keeps the list compact."""
    head = c.title + (f"（{c.doc_number}）" if c.doc_number and c.doc_number not in c.title else "")
    section = c.section.split(" > ")[-1].strip()
    dot = "· " if head.endswith("）") else " · "
    line = f"[{c.n}] {esc(head)}" + (f"{dot}{esc(section)}" if section else "")
    if c.sample:
        line += " <i>示例</i>"
    if c.expired:
        line += " <i>已失效</i>"
    if c.pending:
        line += " <i>待审核</i>"
    return line


def citation_block(citations: list[Citation]) -> str:
    lines = [citation_line(c) for c in sorted(citations, key=lambda c: c.n)]
    return "<b>来源</b>\n" + "\n".join(lines)


def reply_html(reply: Reply) -> str:
    blocks = [esc(p) for p in re.split(r"\n{2,}", reply.answer.strip()) if p.strip()]
    if reply.citations:
        blocks.append(citation_block(reply.citations))
    return "\n\n".join(blocks)


def render_reply(reply: Reply, limit: int = LIMIT) -> list[str]:
    """The reply as one or more HTML messages, each at most `limit` characters."""
    return split_html(reply_html(reply), limit)


def detail_html(rec: Recommendation, citations: list[Citation], limit: int = LIMIT) -> list[str]:
    """The 详情 button: the passages a park or fund card cites, word for word."""
    blocks = [f"<b>{esc(rec.name)}</b>" + (" <i>示例</i>" if rec.sample else "")]
    if rec.reason:
        blocks.append(f"推荐理由：{esc(rec.reason)}")
    for c in citations:
        blocks.append(citation_line(c) + "\n" + esc(c.text.strip()))
    return split_html("\n\n".join(blocks), limit)


# splitting ------------------------------------------------------------------------------------
def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Pack paragraphs into messages; split an over-long paragraph at line ends, then sentence ends."""
    messages: list[str] = []
    current = ""
    for sep, piece in _units(text, limit):
        if current and tg_len(current + sep + piece) <= limit:
            current += sep + piece
        else:
            if current.strip():
                messages.append(current)
            current = piece
    if current.strip():
        messages.append(current)
    return messages


def _units(text: str, limit: int) -> list[tuple[str, str]]:
    """(separator before it, piece) with every piece within `limit`: whole paragraphs when they fit,
    else lines, else sentences (joined back with no separator), else hard cuts."""
    units: list[tuple[str, str]] = []
    for para in text.split("\n\n"):
        lines = [para] if tg_len(para) <= limit else para.split("\n")
        for i, line in enumerate(lines):
            sep = "\n\n" if i == 0 else "\n"
            if tg_len(line) <= limit:
                units.append((sep, line))
                continue
            for j, sentence in enumerate(s for s in _SENTENCE_END.split(line) if s):
                for k, part in enumerate(_hard_cut(sentence, limit)):
                    units.append((sep if j == k == 0 else "", part))
    return units


def _hard_cut(text: str, limit: int) -> list[str]:
    """Last resort for one sentence longer than a message: cut, but never inside an entity or tag.
    (Only plain escaped text is ever this long; our own tags sit in short lines.)"""
    out = []
    while tg_len(text) > limit:
        cut = limit
        while tg_len(text[:cut]) > limit:
            cut -= 1
        head = text[:cut]
        if m := _OPEN_ENTITY.search(head):
            cut = m.start()
        if (lt := head.rfind("<")) > head.rfind(">"):
            cut = min(cut, lt)
        out.append(text[:cut])
        text = text[cut:]
    return [*out, text]


# keyboards ------------------------------------------------------------------------------------
def keyboard(reply: Reply, message_id: int | None) -> InlineKeyboardMarkup | None:
    """详情 per park and fund card (the stored message id and card index fit in 64 bytes), and 转人工."""
    cards = [("p", i, r) for i, r in enumerate(reply.parks)] + [
        ("f", i, r) for i, r in enumerate(reply.funds)
    ]
    if not cards or message_id is None:
        return None
    rows = [
        [InlineKeyboardButton(f"详情：{_short(r.name)}", callback_data=detail_data(message_id, kind, i))]
        for kind, i, r in cards[:MAX_BUTTONS]
    ]
    rows.append([InlineKeyboardButton("转人工", callback_data=HANDOFF_DATA)])
    return InlineKeyboardMarkup(rows)


HANDOFF_DATA = "h"


def detail_data(message_id: int, kind: str, index: int) -> str:
    return f"d:{message_id}:{kind}{index}"


def parse_detail(data: str) -> tuple[int, str, int] | None:
    m = re.fullmatch(r"d:(\d{1,19}):([pf])(\d{1,3})", data)
    return (int(m.group(1)), m.group(2), int(m.group(3))) if m else None


def _short(name: str, n: int = 24) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"
