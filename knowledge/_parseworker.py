"""Extract the text of one HTML or Markdown/text file in a child process (like `_pdfworker.py`).

Run as `python -m knowledge._parseworker html PATH MAX_DEPTH` (reads the file) or
`python -m knowledge._parseworker text` (reads the body from stdin); prints one JSON line:
{"text": …, "hints": {…}} or {"error": "too_deep" | "memory" | "corrupt", …}. The parent
(knowledge.sources) enforces size and time limits, so a hostile file can only hang or blow up here.
"""

from __future__ import annotations

import json
import sys

MEMORY_LIMIT = 2 * 1024**3


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass  # not POSIX, or the limit cannot be lowered here: the time limit still applies


def html(path: str, max_depth: int) -> dict:
    from bs4 import BeautifulSoup

    from knowledge.clean import clean_text
    from knowledge.webpage import extract_soup, tree_depth

    with open(path, "rb") as fh:
        soup = BeautifulSoup(fh.read(), "lxml")
    depth = tree_depth(soup, stop_at=max_depth + 1)
    if depth > max_depth:
        return {"error": "too_deep", "depth": depth}
    text, hints = extract_soup(soup)
    return {"text": clean_text(text), "hints": hints}


def text() -> dict:
    from knowledge.textbody import clean_body

    body = sys.stdin.buffer.read().decode("utf-8")
    cleaned, hints = clean_body(body)
    return {"text": cleaned, "hints": hints}


def main(argv: list[str]) -> int:
    _limit_memory()
    sys.setrecursionlimit(10_000)
    try:
        result = html(argv[2], int(argv[3])) if argv[1] == "html" else text()
    except MemoryError:
        result = {"error": "memory"}
    except RecursionError:
        result = {"error": "too_deep", "depth": None}
    except Exception as exc:  # any parse failure is reported, not raised: the parent explains it
        result = {"error": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
