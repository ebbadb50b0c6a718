"""Curated answers: what staff wrote when they corrected the bot, reused for the same question."""

from __future__ import annotations

import re

_PUNCT = re.compile(r"[\s，。！？、；：,.!?;:“”\"'（）()]+")


def normalise(q: str) -> str:
    return _PUNCT.sub("", q).lower()


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


def similar(a: str, b: str) -> float:
    x, y = _bigrams(normalise(a)), _bigrams(normalise(b))
    return len(x & y) / len(x | y) if x and y else 0.0


def find_curated(store, question: str, threshold: float = 0.8):
    """The newest curated answer whose question is (nearly) the same as this one."""
    best, best_sim = None, threshold
    for item in store.curated_answers():
        sim = similar(question, item.question)
        if sim >= best_sim:
            best, best_sim = item, sim
    return best
