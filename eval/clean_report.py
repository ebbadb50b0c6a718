"""How much the cleaner helps on the two real PDFs of the shared corpus.

`python -m eval.clean_report` prints, before cleaning (pypdf's raw text, pages joined) and after
(`clean_pages`): the character similarity of govdoc-397 to the dataset's own transcription, and for
the Jiangxi PDF the number of spaces between two Han characters and of soft hyphens.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from knowledge.clean import HAN, clean_pages, similarity
from knowledge.sources import PdfLimits, extract_pdf_pages

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "pdf"
GOVDOC = CORPUS / "govdoc-397.pdf"
GOVDOC_EXPECTED = CORPUS / "govdoc-397.expected.txt"
JIANGXI = CORPUS / "jiangxi-2020-a1.pdf"

_HAN_SPACE_HAN = re.compile(f"[{HAN}][ \t\u3000\u00a0]+(?=[{HAN}])")


def han_space_han(text: str) -> int:
    """Occurrences of whitespace between two Han characters ("江 西 省" counts 2)."""
    return len(_HAN_SPACE_HAN.findall(text))


def soft_hyphens(text: str) -> int:
    return text.count("\u00ad")


def raw_and_clean(pdf: Path) -> tuple[str, str]:
    pages = extract_pdf_pages(pdf, PdfLimits())
    return "\n".join(pages), clean_pages(pages)


def measure() -> list[tuple[str, str, float, float]]:
    rows = []
    expected = GOVDOC_EXPECTED.read_text(encoding="utf-8")
    raw, clean = raw_and_clean(GOVDOC)
    rows.append(
        ("govdoc-397", "similarity to expected", similarity(raw, expected), similarity(clean, expected))
    )
    rows.append(("govdoc-397", "soft hyphens", soft_hyphens(raw), soft_hyphens(clean)))
    raw, clean = raw_and_clean(JIANGXI)
    rows.append(("jiangxi-2020-a1", "Han-space-Han", han_space_han(raw), han_space_han(clean)))
    rows.append(("jiangxi-2020-a1", "soft hyphens", soft_hyphens(raw), soft_hyphens(clean)))
    return rows


def _fmt(value: float) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def main() -> int:
    rows = measure()
    print(f"{'file':<17}{'measure':<24}{'before':>10}{'after':>10}")
    for name, what, before, after in rows:
        print(f"{name:<17}{what:<24}{_fmt(before):>10}{_fmt(after):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
