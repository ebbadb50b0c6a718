"""Which retrieved passages an extractive answer quotes, and which of their sentences: overlap with
the question's words, an FAQ that asks the founder's very question, the kind of fact asked for."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from knowledge.catalog import SAMPLE_LINE
from knowledge.sentences import normalise_ws, split_sentences
from knowledge.tokenize import tokens
from knowledge.types import Hit

from .asking import is_asking_word
from .curated import similar
from .facts import holds

MAX_PASSAGES = 2
RIVAL_SHARE = 0.8  # of the top passage's overlap, for a passage of another document of its kind


def query_weights(query: str) -> dict[str, float]:
    """Query terms and their weights: longer, rarer-looking terms say more."""
    out: dict[str, float] = {}
    for t in tokens(query):
        out[t] = max(out.get(t, 0.0), min(len(t), 4) / 2)
    return out


def _overlap(text: str, qtok: dict[str, float]) -> float:
    return sum(w for t, w in qtok.items() if t in text)


FAQ_SAME = 0.5  # bigram Jaccard from which an FAQ question is the founder's question in other words


def asks_same(body: list[tuple[str, str]], question: str) -> float:
    """How close a passage's FAQ questions (`sentences_with_questions`) come to the founder's (0 below
    FAQ_SAME)."""
    best = max((similar(q, question) for _, q in body if q), default=0.0)
    return best if best >= FAQ_SAME else 0.0


def _score(text: str, qtok: dict[str, float]) -> float:
    """Words shared with the question, with long sentences not winning on length alone."""
    return _overlap(text, qtok) / math.sqrt(max(len(text), 20) / 20) if text else 0.0


def choose_passages(hits: list[Hit], qtok: dict[str, float]) -> list[Hit]:
    """The top hit, plus up to MAX_PASSAGES - 1 more that score close to it. A further passage must
    share at least half as much of the question as the first: one common word such as 服务 or 企业
    brought in off-topic passages (eval: citation_precision 0.865 → 0.897)."""
    top = hits[0]
    chosen = [top]
    top_overlap = _overlap(top.passage.text, qtok)
    need = max(1.0, 0.5 * top_overlap)
    for h in hits[1:]:
        if len(chosen) >= MAX_PASSAGES or h.score < 0.75 * top.score:
            break
        # another guide (park) than the top one is a rival answer, not context: it must hold about as
        # much of the question (the 宣传 guide's 材料 beside the IP guide's 维权 answer)
        rival = h.passage.doc_id != top.passage.doc_id and h.passage.meta.kind == top.passage.meta.kind
        if _overlap(h.passage.text, qtok) < (max(need, RIVAL_SHARE * top_overlap) if rival else need):
            continue
        chosen.append(h)
    return chosen


def body_sentences(hit: Hit) -> list[str]:
    """A passage's sentences without its heading line or the sample disclaimer."""
    return [s for s, _ in sentences_with_questions(hit)]


def sentences_with_questions(hit: Hit) -> list[tuple[str, str]]:
    """Body sentences, each with the FAQ question it answers ("" outside a FAQ): a founder who asks
    "先投后股的钱要还吗" should get the answer to that question, whatever words the answer uses."""
    p = hit.passage
    section_flat = normalise_ws(p.section)
    out: list[tuple[str, str]] = []
    question = ""
    for s in split_sentences(p.text):
        flat = normalise_ws(s).rstrip("。：:；;")
        if s.startswith("问："):
            question = s.removeprefix("问：")
            continue
        if s == SAMPLE_LINE or (flat and flat in section_flat) or len(flat) < 4:
            continue
        out.append((s.removeprefix("答："), question))  # FAQ answers: quote the answer, not the label
    return out


def best_sentences(
    hit: Hit,
    qtok: dict[str, float],
    limit: int = 3,
    wants: Sequence[re.Pattern[str] | str] = (),
    question: str = "",
) -> list[str]:
    """The sentences of a passage that share the most with the question, kept in reading order; a
    sentence holding the kind of fact the question asks for (an amount, a date, a 文号) comes first."""
    body = sentences_with_questions(hit)
    if question and (same := asks_same(body, question)):  # the FAQ answer to this very question
        body = [(s, q) for s, q in body if q and similar(q, question) >= same]
    sents = [s for s, _ in body]
    base = [_score(s, qtok) + _score(q, qtok) for s, q in body]
    # Sentences with the fact asked for come first, but leave a slot for the best match in words.
    held = [i for i, s in enumerate(sents) if any(holds(s, w, hit) for w in wants)]
    held = sorted(held, key=lambda i: -base[i])[: max(1, limit - 1)]
    best = max(base, default=0.0)
    # a sentence that shares only a question word or one character ("多久", "到") is not about the question
    words = [t for t in qtok if len(t) >= 2 and not is_asking_word(t)]
    about = [not words or any(t in f"{s}{q}".lower() for t in words) for s, q in body]
    rest = sorted(
        (i for i in range(len(sents)) if i not in held and base[i] > 0 and about[i]), key=lambda i: -base[i]
    )
    rest = [i for i in rest if base[i] >= 0.4 * best][: limit - len(held)]
    return [sents[i] for i in sorted(held + rest)]
