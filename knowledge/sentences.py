"""Chinese sentence splitting for answers: whole sentences only, closing quotes kept."""

from __future__ import annotations

import re

_END = re.compile(r"[^。！？；!?;\n]*(?:[。！？；!?;]+[”’」』）)》】\"']*|\n|$)")


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, each ending with its punctuation; line breaks end a sentence too."""
    out = []
    for m in _END.finditer(text):
        s = m.group(0).strip()
        if s:
            out.append(s)
    return out


def normalise_ws(text: str) -> str:
    return re.sub(r"\s+", "", text)
