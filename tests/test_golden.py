"""The golden set itself: big enough, covering what issue 6 asks, pointing at real KB content, and
written in founders' words rather than copied from the documents."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

import pytest

from assistant.phrases import phrases
from assistant.runtime import bundled_catalog
from assistant.settings import bundled_kb
from eval.dataset import default_path, heldout_path, load_cases
from eval.metrics import fold
from knowledge.index import expand
from knowledge.sources import load_file

SEED = "chengdu-innovation-action-plan-2026"
CLAUSES = [f"（{n}）" for n in "一 二 三 四 五 六 七 八 九 十 十一 十二 十三 十四 十五 十六 十七".split()]
COPY_RUN = 16  # a question sharing this many characters in a row with the KB was copied, not asked


@cache
def kb_texts() -> dict[str, str]:
    """doc_id -> folded title and text of every bundled document."""
    return {
        d.meta.doc_id: fold(f"{d.meta.title}\n{d.text}") for f in expand([bundled_kb()]) for d in load_file(f)
    }


@cache
def clause_texts() -> dict[str, str]:
    text = kb_texts()[SEED]
    marks = [
        (m.start(), m.group()) for m in re.finditer(r"\((?:十[一二三四五六七]?|[一二三四五六七八九])\)", text)
    ]
    out = {}
    for i, (start, mark) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        out.setdefault(mark.replace("(", "（").replace(")", "）"), text[start:end])
    return out


def test_size_and_kinds():
    cases = load_cases()
    assert len(cases) >= 150
    kinds = Counter(c.kind for c in cases)
    for kind, least in {
        "policy": 60,
        "park": 15,
        "fund": 6,
        "handoff": 15,
        "out_of_scope": 10,
        "injection": 8,
        "multi_turn": 10,
        "eligibility": 6,
    }.items():
        assert kinds[kind] >= least, kind
    assert sum(c.lang == "en" for c in cases) >= 10
    assert any(c.turns and len(c.turns) >= 5 for c in cases)


# Both sets follow the same rules; the held-out set only measures (eval/README.md).
DATASETS = pytest.mark.parametrize("path", [default_path(), heldout_path()], ids=["dev", "heldout"])


def cases_of(path):
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    return load_cases(path)


@DATASETS
def test_every_phrase_is_in_the_knowledge_base(path):
    everything = "\n".join(kb_texts().values())
    fixed = fold("\n".join(v for lang in ("zh", "en") for v in phrases(lang).items.values()))
    for c in cases_of(path):
        for p in c.evidence:
            assert fold(p) in everything, (c.id, p)
        for p in c.answer_must:
            assert fold(p) in everything or fold(p) in fixed, (c.id, p)


@DATASETS
def test_expected_parks_funds_and_documents_exist(path):
    cat = bundled_catalog()
    for c in cases_of(path):
        assert set(c.expect_parks) <= set(cat.parks), c.id
        assert set(c.expect_funds) <= set(cat.funds), c.id
        assert set(c.cite_docs) <= set(kb_texts()), c.id


def test_every_clause_of_the_seed_is_asked_about():
    clauses = clause_texts()
    assert list(clauses) == CLAUSES
    cases = load_cases()
    for mark, text in clauses.items():
        asked = [c.id for c in cases if mark in c.note and any(fold(e) in text for e in c.evidence)]
        assert asked, f"no case with evidence from clause {mark}"


def test_every_park_and_guide_is_covered():
    cat, cases, texts = bundled_catalog(), load_cases(), kb_texts()
    for pid in cat.parks:
        routed = any(pid in c.expect_parks for c in cases)
        asked = any(pid in c.note and any(fold(e) in texts[pid] for e in c.evidence) for c in cases)
        assert routed and asked, pid
    for gid in cat.guides:
        asked = [
            c.id
            for c in cases
            if re.search(rf"\b{gid}\b", c.note) and any(fold(e) in texts[gid] for e in c.evidence)
        ]
        assert asked, gid


@pytest.mark.parametrize(
    "trigger",
    [
        "explicit",
        "complaint",
        "dispute",
        "personal eligibility ruling",
        "application status",
        "sensitive",
        "two low-confidence turns",
    ],
)
def test_every_handoff_trigger_is_covered(trigger):
    assert any(c.expect_handoff and trigger in c.note for c in load_cases())


def test_ordinary_questions_outnumber_handoffs():
    cases = load_cases()
    assert sum(not c.expect_handoff for c in cases) >= 3 * sum(c.expect_handoff for c in cases)


@DATASETS
def test_questions_are_paraphrased_not_copied(path):
    everything = "\n".join(kb_texts().values())
    for c in cases_of(path):
        for msg in c.messages:
            q = fold(msg)
            runs = [q[i : i + COPY_RUN] for i in range(len(q) - COPY_RUN + 1)]
            assert not any(r in everything for r in runs), (c.id, msg)


def test_heldout_is_apart_from_dev():
    """No case, and no question, in both sets: the held-out set measures what dev did not teach."""
    if not heldout_path().exists():
        pytest.skip("heldout.jsonl not written yet")
    dev, held = load_cases(default_path()), load_cases(heldout_path())
    assert len(held) >= 150
    assert not {c.id for c in dev} & {c.id for c in held}
    asked = {tuple(fold(m) for m in c.messages) for c in dev}  # a shared "那要准备什么材料？" turn is fine
    assert not [c.id for c in held if tuple(fold(m) for m in c.messages) in asked]
