"""The main text of a saved web page: site navigation, menus, footers and link lists dropped.

Government sites wrap one article in a lot of chrome. `extract_html` removes chrome tags and elements
whose class or id says nav/menu/footer/breadcrumb/sidebar/share, picks the element that gathers the
most sentence-like text (readability-style scoring), drops link-dense blocks inside it, and keeps
headings, paragraph breaks and table rows. It also returns what the page's <meta> tags say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, NavigableString, Tag

from .textbody import strip_site_name

_DROP_TAGS = tuple(
    "script style noscript nav header footer aside form iframe svg button select input textarea template "
    "object embed map".split()
)
# Class/id words of site chrome: matched inside a word for the distinctive ones, as a whole word otherwise.
_JUNK_PARTS = tuple(
    "nav menu footer breadcrumb crumb sidebar share qrcode gotop friendlink copyright".split()
)
_JUNK_WORDS = frozenset(
    "foot header head login links position location print toolbar topbar side ewm weizhi dqwz".split()
)
_BLOCK_TAGS = tuple(
    "p div td th li section article main pre blockquote dd dt center h1 h2 h3 h4 h5 h6 table ul ol dl tr figure".split()
)
_HTML_META = {
    "articletitle": "title",
    "og:title": "title",
    "pubdate": "date",
    "contentsource": "issuer",
    "sitename": "site",
    "og:site_name": "site",
    "url": "url",
}


def extract_html(data: bytes) -> tuple[str, dict]:
    """Main text of a saved web page (site navigation dropped) and what its <meta> tags say.

    Trusted input only: untrusted files go through `knowledge._parseworker` (a child process with
    size, depth and time limits)."""
    return extract_soup(BeautifulSoup(data, "lxml"))


def tree_depth(soup: BeautifulSoup, stop_at: int) -> int:
    """How deep the elements nest (iterative, linear; stops counting at `stop_at`)."""
    deepest = 0
    stack: list[tuple[Tag, int]] = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest >= stop_at:
            return deepest
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tag))
    return deepest


def extract_soup(soup: BeautifulSoup) -> tuple[str, dict]:
    hints = _html_meta(soup)
    body = soup.body or soup
    _drop_chrome(body)
    root = _content_root(body)
    _drop_link_lists(root)
    return _html_text(root), hints


def _html_meta(soup: BeautifulSoup) -> dict:
    tags: dict[str, str] = {}
    for t in soup.find_all("meta"):
        key = (t.get("name") or t.get("property") or "").lower()
        if key in _HTML_META and t.get("content", "").strip():
            tags.setdefault(_HTML_META[key], t["content"].strip())
    if "title" not in tags and soup.title and soup.title.get_text(strip=True):
        tags["title"] = soup.title.get_text(strip=True)
    if tags.get("title"):
        tags["title"] = strip_site_name(tags["title"])
    issuer = re.sub(r"^(本网|本站)", "", tags.pop("issuer", "")).strip()
    if issuer:
        tags["issuer"] = re.sub(r"\s+", "、", issuer)
    return tags


def _is_chrome(tag: Tag) -> bool:
    names = " ".join(tag.get("class") or []) + " " + str(tag.get("id") or "")
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", names)]
    return any(w in _JUNK_WORDS or any(p in w for p in _JUNK_PARTS) for w in words)


def _gone(tag: Tag) -> bool:
    # Not `tag.decomposed`: on a live Tag, a missing attribute falls through to `Tag.__getattr__`,
    # which searches the whole subtree for a <_decomposed> element (quadratic on nested markup).
    return bool(tag.__dict__.get("_decomposed"))


def _drop_chrome(body: Tag) -> None:
    for tag in body.find_all(_DROP_TAGS):
        if not _gone(tag):
            tag.decompose()
    total = len(body.get_text(strip=True))
    for tag in body.find_all(True):
        # never drop a wrapper that holds most of the page: its class name is lying
        if not _gone(tag) and _is_chrome(tag) and len(tag.get_text(strip=True)) < 0.5 * total:
            tag.decompose()


def _link_density(tag: Tag) -> float:
    text = len(tag.get_text(strip=True))
    links = sum(len(a.get_text(strip=True)) for a in tag.find_all("a"))
    return links / text if text else 1.0


def _content_root(body: Tag) -> Tag:
    """The element that gathers most sentence-like text (readability-style scoring)."""
    scores: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for s in body.find_all(string=True):
        text = s.strip()
        if len(text) < 10 or type(s) is not NavigableString or s.find_parent("a"):
            continue
        gain = 1 + sum(text.count(c) for c in "，。；,") + min(len(text) / 100, 3)
        for node, weight in zip(_ancestors(s.find_parent(_BLOCK_TAGS)), (1.0, 1.0, 0.5), strict=False):
            scores[id(node)] = scores.get(id(node), 0) + gain * weight
            nodes[id(node)] = node
    if not scores:
        return body
    best = max(nodes.values(), key=lambda n: scores[id(n)] * (1 - _link_density(n)))
    wrapper = best.find_parent(["article", "main"])
    if wrapper and _link_density(wrapper) < 0.3 and len(wrapper.get_text()) < 1.5 * len(best.get_text()):
        return wrapper
    return best


def _ancestors(node: Tag | None) -> Iterator[Tag]:
    while isinstance(node, Tag):
        yield node
        node = node.parent


def _drop_link_lists(root: Tag) -> None:
    """Related-article lists, 上一篇/下一篇 and the like: blocks that are mostly links."""
    for tag in root.find_all(["ul", "ol", "div", "table", "section", "dl"]):
        if not _gone(tag) and _link_density(tag) > 0.6 and len(tag.get_text(strip=True)) > 4:
            tag.decompose()


def _html_text(root: Tag) -> str:
    parts: list[str] = []
    _walk(root, parts)
    text = "".join(parts)
    return "\n".join(line.strip() for line in text.split("\n"))


def _walk(node: Tag, parts: list[str]) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child) is NavigableString:  # not a comment, CDATA or doctype
                parts.append(re.sub(r"\s+", " ", str(child)))
        elif child.name == "br":
            parts.append("\n")
        elif child.name == "table" and _is_data_table(child):
            parts.append("\n\n" + _table_text(child) + "\n\n")
        elif child.name in _BLOCK_TAGS:
            parts.append("\n\n")
            _walk(child, parts)
            parts.append("\n\n")
        else:
            _walk(child, parts)


def _is_data_table(table: Tag) -> bool:
    """Layout tables (old sites) hold whole articles in a cell; data tables hold short cells."""
    cells = table.find_all(["td", "th"])
    return not table.find("table") and all(len(c.get_text(strip=True)) <= 300 for c in cells)


def _table_text(table: Tag) -> str:
    rows = []
    for tr in table.find_all("tr"):
        cells = [re.sub(r"\s+", " ", c.get_text(" ", strip=True)) for c in tr.find_all(["td", "th"])]
        if any(cells):
            rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
