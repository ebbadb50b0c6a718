"""False repairs of the founder-text normaliser on real texts.

Official texts are typed carefully and written in 简体, so every typo repair the normaliser makes on
one of their sentences is a false repair (target 0), and so is a 繁→简 change of a character 简体
uses. A 繁体 character in the source (a page's "繁體" link) is converted rightly and listed apart;
width and Latin changes rewrite forms, not words, and are only counted. Usage:

    python -m eval.normalize_check [--corpus ../shared/corpus] [--show 40] [--questions]

`--questions` also lists what it changes in the dev and held-out founder messages (to read, by eye).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from assistant.normalize import Change, Normalized, default_normalizer, is_traditional
from assistant.settings import bundled_kb
from knowledge.errors import RongchuangError
from knowledge.sentences import split_sentences
from knowledge.sources import load_file

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"


def is_false(c: Change) -> bool:
    return c.kind == "typo" or (c.kind == "script" and not any(map(is_traditional, c.before)))


def sentences(roots: list[Path]) -> Iterator[tuple[str, str]]:
    """(file name, sentence) for every loadable file under the roots, as ingest cleans it."""
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            try:
                docs = load_file(path)
            except (RongchuangError, ValueError, OSError):
                continue
            for doc in docs:
                for s in split_sentences(doc.text):
                    if len(s) >= 4:
                        yield path.name, s


Found = list[tuple[str, str, Normalized]]


def check(roots: list[Path]) -> tuple[Counter, Found, Found, int, int]:
    """Changes by kind, false repairs, rightly converted 繁体 sentences, sentences, characters."""
    norm = default_normalizer()
    kinds: Counter = Counter()
    false: Found = []
    traditional: Found = []
    n = chars = 0
    for name, s in sentences(roots):
        n, chars = n + 1, chars + len(s)
        result = norm(s)
        kinds.update(c.kind for c in result.changes)
        if any(map(is_false, result.changes)):
            false.append((name, s, result))
        elif any(c.kind == "script" for c in result.changes):
            traditional.append((name, s, result))
    return kinds, false, traditional, n, chars


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--show", type=int, default=40)
    ap.add_argument("--questions", action="store_true", help="list the changes made to eval messages")
    args = ap.parse_args(argv)
    if args.questions:
        _questions()
    roots = [bundled_kb(), *([args.corpus] if args.corpus.is_dir() else [])]
    kinds, false, traditional, n, chars = check(roots)
    print(f"{n} sentences, {chars} characters from {', '.join(map(str, roots))}")
    print("changes by kind: " + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"))
    print(f"繁体 in the source, converted: {len(traditional)}")
    _show(traditional, args.show, lambda c: c.kind == "script")
    print(f"false repairs (a typo repair, or 繁→简 of a character 简体 uses): {len(false)}")
    _show(false, args.show, is_false)
    return 1 if false else 0


def _questions() -> None:
    from .dataset import default_path, heldout_path, load_cases

    norm = default_normalizer()
    for path in (default_path(), heldout_path()):
        for case in load_cases(path):
            for m in case.messages:
                if (result := norm(m)).changes:
                    print(f"{path.name} {case.id}: {'; '.join(map(str, result.changes))}")


def _show(found: Found, limit: int, keep) -> None:
    for name, s, result in found[:limit]:
        what = "; ".join(str(c) for c in result.changes if keep(c))
        print(f"  {name}: {what}\n    {s[:120]}")


if __name__ == "__main__":
    raise SystemExit(main())
