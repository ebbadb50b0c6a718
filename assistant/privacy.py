"""Personal information (PIPL): mask phone, ID and bank-card numbers before text reaches logs, exports,
curated answers or an LLM.

Every 18-character ID-shaped number is masked, check digit right or not: a mistyped ID number is
still someone's ID number. Bank-card-shaped numbers (16–19 digits, grouped or not) are masked too.
The store keeps the real conversation text; masking is for everything that leaves it.
"""

from __future__ import annotations

import re
import unicodedata

# From PITFALLS.md, matched after NFKC so full-width digits and spaces count too.
MOBILE = re.compile(r"(?<!\d)(?P<cc>(?:\+?86[-\s]?)?)(?P<num>1[3-9]\d(?:[-\s]?\d{4}){2})(?!\d)")
ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
BANK_CARD = re.compile(r"(?<![\d-])\d{4}(?:[-\s]?\d{4}){2}[-\s]?\d{4,7}(?![\d-])")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def is_valid_id_number(value: str) -> bool:
    """An 18-character resident ID number whose check digit is right (GB 11643)."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17].upper()


def _mask_mobile(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match["num"])
    return f"{match['cc']}{digits[:3]}****{digits[-4:]}"


def _mask_id(value: str) -> str:
    return f"{value[:3]}{'*' * 11}{value[-4:]}"


def _mask_card(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


def _nfkc_with_origin(text: str) -> tuple[str, list[int]]:
    """NFKC per character, remembering where each output character came from in `text`."""
    parts: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        norm = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        parts.append(norm)
        origin.extend([i] * len(norm))
    return "".join(parts), origin


def _spans(norm: str) -> list[tuple[int, int, str]]:
    found = [(m.start(), m.end(), _mask_id(m[0])) for m in ID_NUMBER.finditer(norm)]
    for pattern, mask in ((MOBILE, _mask_mobile), (BANK_CARD, lambda m: _mask_card(m[0]))):
        for m in pattern.finditer(norm):
            if not any(m.start() < end and start < m.end() for start, end, _ in found):
                found.append((m.start(), m.end(), mask(m)))
    return sorted(found)


def mask_pii(text: str) -> str:
    """Mask mainland mobile numbers (138****1234), ID-shaped numbers (510***********1234) and
    bank-card-shaped numbers (6222***********1234).

    Only the matched numbers change; the rest of the text (full-width punctuation included) is kept.
    """
    norm, origin = _nfkc_with_origin(text)
    out: list[str] = []
    pos = 0
    for start, end, masked in _spans(norm):
        first, last = origin[start], origin[end - 1] + 1
        out.append(text[pos:first])
        out.append(masked)
        pos = last
    out.append(text[pos:])
    return "".join(out)
