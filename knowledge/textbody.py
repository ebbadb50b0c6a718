"""The body of a text or Markdown file, cleaned: reader headers, HTML comments, page marks.

Imports nothing heavy: `knowledge._parseworker` runs it in a child process for big files.
"""

from __future__ import annotations

import re

from .clean import clean_pages, clean_text

_JINA_HEADER = re.compile(
    r"\ATitle:[ \t]*(.*)\n+(?:URL Source:[ \t]*(\S*)\n+)?(?:.*\n+)*?Markdown Content:\n"
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_PAGE_MARK = re.compile(r"^[ \t]*=+[ \t]*PAGE[ \t]*\d+[ \t]*=+[ \t]*$", re.M | re.I)


def clean_body(body: str) -> tuple[str, dict]:
    """A text file's body (front matter already split off), cleaned, and its reader header."""
    hints, body = _reader_header(body)
    return _clean_body(_HTML_COMMENT.sub("", body)), hints


def strip_site_name(title: str) -> str:
    """'创业担保贷款常见问题-广州市人力资源和社会保障局网站' -> '创业担保贷款常见问题'."""
    title = re.sub(r"\s*[-_|–—]+\s*[^-_|–—]*(网站|门户|政府网|官网)\s*$", "", title.strip())
    return re.sub(r"^[^-_|–—]*(网站|门户|政府网|官网)\s*[-_|–—]+\s*", "", title).strip()


def _reader_header(body: str) -> tuple[dict, str]:
    """Pages saved by a web-to-Markdown reader start with 'Title: …', 'URL Source: …'."""
    m = _JINA_HEADER.match(body)
    if not m:
        return {}, body
    return {"title": strip_site_name(m.group(1)), "url": m.group(2) or None}, body[m.end() :]


def _clean_body(body: str) -> str:
    if _PAGE_MARK.search(body):  # text extracted page by page: "===PAGE 3===" between pages
        return clean_pages(_PAGE_MARK.split(body))
    return clean_text(body)
