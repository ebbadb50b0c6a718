"""The golden set: founder questions with what a good reply must show. Format: eval/README.md."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.reply import Intent, Profile
from knowledge.errors import ConfigError

Kind = Literal[
    "policy",
    "park",
    "fund",
    "handoff",
    "out_of_scope",
    "injection",
    "multi_turn",
    "eligibility",
    "scope",  # personal, family, legal or other-city matters: a kind refusal that says where to go
    "care",  # distress: acknowledged first, then what the policy offers, and a person
    "unknown",  # a fact no document states: the reply says so plainly
    "clarify",  # a vague message: one clarifying question with choices
    "mixed",  # several needs in one message: one reply that covers each
]
KINDS: tuple[str, ...] = get_args(Kind)
# What a reply must say, beside quoting: each is detected by its fixed phrase (eval/metrics.py SAYS).
Says = Literal["not_stated", "other_city", "clarify", "staff_have_it", "no_contact", "care"]
# How the founder wrote: the report breaks the figures down by these too.
Tag = Literal[
    "long_story",
    "colloquial",
    "dialect",
    "typo",
    "homophone",
    "traditional",
    "english",
    "mixed_lang",
    "vague",
    "comparison",
    "number_not_given",
    "other_city",
    "personal",
    "family",
    "legal",
    "distress",
    "promise",
    "fake_notice",
    "complaint",
    "multi_need",
    "statement_and_question",
    "no_question_mark",
    "contact",
    "sample_rule",
    "handoff_request",
    "followup",
]
TAGS: tuple[str, ...] = get_args(Tag)


class GoldenCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    question: str | None = None
    turns: list[str] | None = None
    kind: Kind
    evidence: list[str] = []
    answer_must: list[str] = []
    answer_must_not: list[str] = []
    expect_handoff: bool = False
    expect_parks: list[str] = []
    expect_funds: list[str] = []
    lang: Literal["zh", "en"] = "zh"
    note: str = ""
    source: str = ""  # where the case came from, e.g. "curated" for a staff correction
    expect_intent: list[Intent] = []  # the last reply's intent is one of these
    says: list[Says] = []  # statements the reply must make (a fixed phrase each)
    answer_any: list[str] = []  # at least one of these appears in the answer (e.g. a referral)
    cite_docs: list[str] = []  # document ids that must all be among the citations
    cites_nothing: bool = False  # the reply quotes no passage at all
    expect_profile: dict[str, Any] = {}  # profile fields the last reply must carry
    tags: list[Tag] = []

    @model_validator(mode="after")
    def _one_form(self) -> GoldenCase:
        if (self.question is None) == (self.turns is None):
            raise ValueError("give exactly one of question or turns")
        if self.turns is not None and len(self.turns) < 2:
            raise ValueError("turns needs at least two messages; use question for one")
        if unknown := set(self.expect_profile) - set(Profile.model_fields):
            raise ValueError(f"expect_profile names no profile field: {sorted(unknown)}")
        return self

    @property
    def messages(self) -> list[str]:
        return list(self.turns) if self.turns is not None else [self.question or ""]

    @property
    def last(self) -> str:
        return self.messages[-1]

    @property
    def standalone(self) -> bool:
        """One message: retrieval can be measured on it alone."""
        return self.turns is None


def default_path() -> Path:
    """The dev set: mend classes of failures seen here."""
    return Path(str(resources.files("eval") / "golden.jsonl"))


def heldout_path() -> Path:
    """The held-out set: written from the documents before the behaviour it measures; never mended on."""
    return Path(str(resources.files("eval") / "heldout.jsonl"))


def load_cases(path: Path | None = None) -> list[GoldenCase]:
    path = path or default_path()
    cases, seen = [], set()
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = GoldenCase.model_validate(json.loads(line))
        except ValueError as exc:
            raise ConfigError(f"{path} 第{no}行不是合法的评测用例：{exc}") from exc
        if case.id in seen:
            raise ConfigError(f"{path} 第{no}行：用例 id {case.id} 重复")
        seen.add(case.id)
        cases.append(case)
    return cases
