"""Intents from labelled example sentences (knowledge/dict/intents.tsv), by the question's own e5 vector.

The turn already embeds its question for dense search; the same vector (the embedder caches it by
text) is compared with the example sentences' vectors, which are embedded once per process and kept
on disk beside the index. Nothing new is downloaded and the turn pays no second embedding.

A label is read when its nearest example is close in absolute terms and clearly closer than the
nearest `policy` example: e5 scores unrelated Chinese sentences around 0.84, so the absolute floor
alone would fire on every question that shares a few words with an example.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from knowledge.errors import ConfigError

from .scope import referral_examples

log = logging.getLogger("rongchuang.intents")

LABELS = ("policy", "complaint", "handoff", "personal", "distress", "vague", "out_of_scope", "smalltalk")
# Chosen on the dev set (eval/golden.jsonl); see eval/README.md. A label needs both.
FLOOR = {
    "complaint": 0.91,
    "handoff": 0.905,
    "personal": 0.915,
    "distress": 0.905,
    "vague": 0.93,
    "out_of_scope": 0.91,
}
MARGIN = {
    "complaint": 0.025,
    "handoff": 0.02,
    "personal": 0.04,
    "distress": 0.03,
    "vague": 0.025,
    "out_of_scope": 0.04,
}


@dataclass(frozen=True)
class Example:
    label: str
    text: str


def load_examples(path: Path | None = None) -> list[Example]:
    """Read `label<TAB>sentence` lines; `#` starts a comment. A bad line names its file and number."""
    if path is None:
        text = resources.files("knowledge").joinpath("dict/intents.tsv").read_text(encoding="utf-8")
        where = "knowledge/dict/intents.tsv"
    else:
        text, where = path.read_text(encoding="utf-8"), str(path)
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        label, sep, sentence = line.partition("\t")
        if not sep or label not in LABELS or not sentence.strip():
            raise ConfigError(
                f"{where} 第 {n} 行格式不对：应为「意图<TAB>例句」，意图是 {'、'.join(LABELS)} 之一。"
            )
        out.append(Example(label, sentence.strip()))
    return out


class IntentModel:
    """Nearest labelled examples by cosine; `scores(vec)` gives each label's best similarity."""

    def __init__(
        self, embedder, examples: list[Example], cache_dir: Path | None = None, name: str = "intents"
    ) -> None:
        self.examples = examples
        self.name = name
        self.labels = np.array([e.label for e in examples])
        self.vectors = self._vectors(embedder, cache_dir)

    def _vectors(self, embedder, cache_dir: Path | None) -> np.ndarray:
        digest = hashlib.sha256(
            (embedder.name + "\n" + "\n".join(f"{e.label}\t{e.text}" for e in self.examples)).encode()
        ).hexdigest()[:16]
        cached = cache_dir / f"{self.name}-{digest}.npy" if cache_dir else None
        if cached and cached.exists():
            try:
                vecs = np.load(cached)
                if vecs.shape[0] == len(self.examples):
                    return vecs
            except (OSError, ValueError):
                log.warning("intent vectors in %s are unreadable; embedding again", cached)
        vecs = np.stack([np.asarray(embedder.embed_query(e.text), dtype=np.float32) for e in self.examples])
        if cached:
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp.npy")
                np.save(tmp, vecs)
                tmp.replace(cached)
                for old in cached.parent.glob(f"{self.name}-*.npy"):  # an earlier example set's
                    if old != cached and not old.name.endswith(".tmp.npy"):
                        old.unlink(missing_ok=True)
            except OSError as exc:  # a read-only data directory only costs the next start
                log.warning("could not keep intent vectors in %s: %s", cached, exc)
        return vecs

    def scores(self, vec: np.ndarray) -> dict[str, float]:
        sims = self.vectors @ np.asarray(vec, dtype=np.float32)
        out: dict[str, float] = {}
        for label, sim in zip(self.labels, sims, strict=True):
            if sim > out.get(label, -1.0):
                out[str(label)] = float(sim)
        return out

    def nearest(self, vec: np.ndarray, floor: float, k: int = 2) -> str | None:
        """The label whose `k` closest examples are closest on average, when its closest is at least
        `floor` close: one stray example near the message does not decide the class."""
        sims = self.vectors @ np.asarray(vec, dtype=np.float32)
        by: dict[str, list[float]] = {}
        for label, sim in zip(self.labels, sims, strict=True):
            by.setdefault(str(label), []).append(float(sim))
        if not by:
            return None
        mean = {lb: float(np.mean(sorted(v, reverse=True)[:k])) for lb, v in by.items()}
        best = max(mean, key=mean.__getitem__)
        return best if max(by[best]) >= floor else None

    def read(self, vec: np.ndarray) -> list[str]:
        """The labels this vector reads as, strongest first (none means an ordinary question)."""
        s = self.scores(vec)
        base = s.get("policy", 0.0)
        found = [
            (sim - base, label)
            for label, sim in s.items()
            if label in FLOOR and sim >= FLOOR[label] and sim - base >= MARGIN[label]
        ]
        return [label for _, label in sorted(found, reverse=True)]


_models: dict[tuple, IntentModel] = {}
_lock = threading.Lock()


def model_for(embedder, cache_dir: Path | None = None) -> IntentModel:
    """One model per embedder per process (tests build many assistants over one index)."""
    key = (id(embedder), str(cache_dir) if cache_dir else None)
    with _lock:
        if key not in _models:
            # the referral classes' examples (scope.toml) are personal matters too
            extra = [Example("personal", text) for _, text in referral_examples()]
            _models[key] = IntentModel(embedder, [*load_examples(), *extra], cache_dir)
        return _models[key]


def referral_model(embedder, cache_dir: Path | None = None):
    """The referral classes' examples (scope.toml) as a nearest-example model."""
    return examples_model("referral", referral_examples(), embedder, cache_dir)


def prepare_models(embedder, cache_dir: Path | None = None) -> None:
    """Embed every example set now (at ingest, at start), not in a founder's turn."""
    model_for(embedder, cache_dir)
    referral_model(embedder, cache_dir)


def examples_model(name: str, examples: list[tuple[str, str]], embedder, cache_dir: Path | None = None):
    """A nearest-example model over other labelled sentences (the referral classes of scope.toml),
    cached like the intents' own; None when there are no examples."""
    if not examples:
        return None
    key = (name, id(embedder), str(cache_dir) if cache_dir else None, tuple(examples))
    with _lock:
        if key not in _models:
            _models[key] = IntentModel(embedder, [Example(lb, tx) for lb, tx in examples], cache_dir, name)
        return _models[key]
