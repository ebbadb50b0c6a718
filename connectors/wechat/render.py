"""A `Reply` as WeChat text: the answer with its [n] markers, sources as numbered lines (title, 文号,
section), park and fund cards as short lines, split under WeChat's 2,048-byte text limit."""

from __future__ import annotations

import re

from assistant.reply import Citation, Recommendation, Reply

from . import texts

LIMIT = 2000  # bytes of UTF-8; WeChat's text limit is 2,048
HANDOFF_MENU_ID = "handoff"
_BREAK = re.compile(r"(?<=[。！？；\n])")


def citation_line(c: Citation) -> str:
    head = c.title + (f"（{c.doc_number}）" if c.doc_number and c.doc_number not in c.title else "")
    section = c.section.split(" > ")[-1].strip()
    line = f"[{c.n}] {head}" + (f" · {section}" if section else "")
    return line + (texts.SAMPLE if c.sample else "") + (texts.EXPIRED if c.expired else "")


def card_lines(title: str, cards: list[Recommendation]) -> str:
    lines = [title]
    for r in cards:
        refs = "".join(f"[{n}]" for n in r.citations)
        name = r.name + (texts.SAMPLE if r.sample and "示例" not in r.name else "")
        lines.append(f"· {name}" + (f"：{r.reason}" if r.reason else "") + refs)
    return "\n".join(lines)


def reply_text(reply: Reply) -> str:
    blocks = [reply.answer.strip()]
    if reply.parks:
        blocks.append(card_lines(texts.PARKS, reply.parks))
    if reply.funds:
        blocks.append(card_lines(texts.FUNDS, reply.funds))
    if reply.citations:
        lines = [citation_line(c) for c in sorted(reply.citations, key=lambda c: c.n)]
        blocks.append(texts.SOURCES + "\n" + "\n".join(lines))
    return "\n\n".join(b for b in blocks if b)


def split_bytes(text: str, limit: int = LIMIT) -> list[str]:
    """Messages of at most `limit` UTF-8 bytes, cut at paragraph, then sentence ends, then anywhere."""
    out: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joined = current + piece
        if current and len(joined.encode()) > limit:
            out.append(current.strip())
            current = piece
        else:
            current = joined
    if current.strip():
        out.append(current.strip())
    return out


def _pieces(text: str, limit: int) -> list[str]:
    pieces = []
    for para in re.split(r"(?<=\n\n)", text):
        if len(para.encode()) <= limit:
            pieces.append(para)
            continue
        for sentence in _BREAK.split(para):
            while len(sentence.encode()) > limit:
                cut = limit // 3  # a Han character is 3 bytes: this always fits
                pieces.append(sentence[:cut])
                sentence = sentence[cut:]
            pieces.append(sentence)
    return pieces


def reply_parts(reply: Reply) -> list[str]:
    return split_bytes(reply_text(reply))
