"""Passages are data, never instructions (OWASP LLM01).

Every passage is screened at ingest for text aimed at the reader or the model: orders to ignore the
rules, fake system notices, role play, "tell the user to pay / send …", payment and credential requests,
links and account numbers. Two parts, both fed from dict/screen.yaml: exact patterns, matched on the
text with the spaces dropped (so spaced and reordered forms match), and the e5 vectors that ingest
computes anyway, compared with labelled example sentences. A flagged passage keeps its reasons
(`Passage.flags`); search leaves it out, so no answer quotes it. The founder-side guard
(assistant/guard.py) uses the same patterns.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

import numpy as np

from .catalog import safe_yaml

Scope = Literal["passages", "messages"]
ORDINARY = "ordinary"
# Nearest example of an instruction label at or above this cosine similarity, and nearer than the
# nearest ordinary example by MARGIN: flagged. e5-small puts every Chinese text at 0.85-0.93 from every
# other, so the vectors only decide clear cases: over the bundled KB and the 20 test laws (693 passages)
# the largest margin is 0.017, so none is flagged at 0.03; reworded English orders without a cue word
# measure 0.09, the strongest Chinese attack 0.04. The exact patterns carry the rest.
# tests/test_screen.py holds both ends: the bundled KB unflagged, reworded orders flagged.
MIN_SIMILARITY = 0.85
MARGIN = 0.03
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Rule:
    name: str
    scope: str  # passages / messages / both
    spaced: bool
    patterns: tuple[re.Pattern[str], ...]

    def applies_to(self, scope: Scope) -> bool:
        return self.scope in ("both", scope)


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    allowed_hosts: tuple[str, ...]
    examples: dict[str, tuple[str, ...]]

    def example_texts(self) -> tuple[list[str], list[str]]:
        """(texts, labels) in file order."""
        texts: list[str] = []
        labels: list[str] = []
        for label, items in self.examples.items():
            texts += items
            labels += [label] * len(items)
        return texts, labels


def normalise(text: str, *, spaced: bool = False) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", text) if spaced else _SPACE.sub("", text)


@cache
def rules() -> Rules:
    raw = safe_yaml((resources.files("knowledge") / "dict" / "screen.yaml").read_text(encoding="utf-8"))
    return parse_rules(raw)


def parse_rules(raw: dict) -> Rules:
    words = {
        k: "|".join(re.escape(unicodedata.normalize("NFKC", w).lower()) for w in v)
        for k, v in raw["words"].items()
    }
    out = []
    for name, spec in raw["patterns"].items():
        compiled = tuple(re.compile(_fill(p, words)) for p in spec["regex"])
        out.append(Rule(name, spec.get("scope", "both"), bool(spec.get("spaced")), compiled))
    examples = {k: tuple(v) for k, v in raw.get("examples", {}).items()}
    return Rules(tuple(out), tuple(raw.get("allowed_hosts", ())), examples)


def _fill(pattern: str, words: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        return words[m.group(1)] if m.group(1) in words else m.group(0)

    return re.sub(r"\{(\w+)\}", sub, pattern)


def exact_flags(text: str, scope: Scope = "passages", table: Rules | None = None) -> list[str]:
    """The pattern classes `text` matches, in file order ([] for ordinary text)."""
    table = table or rules()
    compact, spaced = normalise(text), normalise(text, spaced=True)
    found = []
    for rule in table.rules:
        if not rule.applies_to(scope):
            continue
        subject = spaced if rule.spaced else compact
        if any(_real_match(rule, m, table) for p in rule.patterns for m in p.finditer(subject)):
            found.append(rule.name)
    return found


def _real_match(rule: Rule, m: re.Match[str], table: Rules) -> bool:
    if rule.name != "url":
        return True
    link = m.group(0)
    host = urlsplit(link if "//" in link else "//" + link).hostname or ""
    return not any(host == h or host.endswith("." + h) for h in table.allowed_hosts)


class ExampleClassifier:
    """Nearest labelled example by cosine similarity (vectors are unit length)."""

    def __init__(self, vectors: np.ndarray, labels: list[str]) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.labels = np.asarray(labels)
        self._ordinary = self.labels == ORDINARY

    def label(self, vector: np.ndarray) -> str | None:
        """The instruction label `vector` is closest to, or None for ordinary text."""
        return self.labels_of(np.asarray(vector)[None, :])[0]

    def labels_of(self, vectors: np.ndarray) -> list[str | None]:
        if not len(vectors) or self._ordinary.all():
            return [None] * len(vectors)
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        attack = np.where(self._ordinary, -np.inf, sims)
        plain = np.where(self._ordinary, sims, -np.inf).max(axis=1)
        best = attack.argmax(axis=1)
        top = attack[np.arange(len(sims)), best]
        hit = (top >= MIN_SIMILARITY) & (top >= plain + MARGIN)
        return [str(self.labels[b]) if h else None for b, h in zip(best, hit, strict=True)]


def screen(
    texts: list[str], vectors: np.ndarray | None, classifier: ExampleClassifier | None
) -> list[list[str]]:
    """Flags for each text: the exact pattern classes, plus the nearest example's label."""
    flags = [exact_flags(t, "passages") for t in texts]
    if classifier is not None and vectors is not None:
        for f, label in zip(flags, classifier.labels_of(vectors), strict=True):
            if label and label not in f:
                f.append(label)
    return flags
