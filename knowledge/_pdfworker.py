"""Extract the text of one PDF, page by page, in a child process.

Run as `python _pdfworker.py PATH MAX_PAGES`; prints one JSON line: {"pages": [...]} or
{"error": "encrypted" | "too_many_pages" | "corrupt" | "memory", ...}. The parent (knowledge.sources)
enforces the time limit by killing this process, so a hostile PDF can hang or blow up only here.
Deliberately imports nothing from the project: it runs as a plain script.
"""

from __future__ import annotations

import json
import sys

MEMORY_LIMIT = 2 * 1024**3  # address space; stops decompression bombs before they take the machine


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass  # not POSIX, or the limit cannot be lowered here: the time limit still applies


def _unlock(reader) -> bool:
    """Owner-password-only PDFs open with an empty user password; anything else is locked."""
    if not reader.is_encrypted:
        return True
    try:
        return bool(reader.decrypt(""))
    except Exception:  # wrong password, or an encryption pypdf cannot handle without extras
        return False


def _page_text(page) -> tuple[str, bool]:
    try:
        return page.extract_text() or "", True
    except Exception:
        return "", False


def extract(path: str, max_pages: int) -> dict:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if not _unlock(reader):
        return {"error": "encrypted"}
    count = len(reader.pages)
    if count > max_pages:
        return {"error": "too_many_pages", "pages": count}
    if count == 0:
        return {"error": "corrupt", "detail": "no pages"}
    results = [_page_text(p) for p in reader.pages]
    if not any(ok for _, ok in results):
        return {"error": "corrupt", "detail": "no page could be read"}
    return {
        "pages": [text for text, _ in results],
        "failed": [i + 1 for i, (_, ok) in enumerate(results) if not ok],
    }


def main(argv: list[str]) -> int:
    _limit_memory()
    try:
        result = extract(argv[1], int(argv[2]))
    except MemoryError:
        result = {"error": "memory"}
    except Exception as exc:  # any parse failure is reported, not raised: the parent explains it
        result = {"error": "corrupt", "detail": f"{type(exc).__name__}: {exc}"[:300]}
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
