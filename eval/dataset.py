"""The golden set: founder questions with what a good reply must show. Format: eval/README.md."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.errors import ConfigError

Kind = Literal["policy", "park", "fund", "handoff", "out_of_scope", "injection", "multi_turn", "eligibility"]
KINDS: tuple[str, ...] = Kind.__args__


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

    @model_validator(mode="after")
    def _one_form(self) -> GoldenCase:
        if (self.question is None) == (self.turns is None):
            raise ValueError("give exactly one of question or turns")
        if self.turns is not None and len(self.turns) < 2:
            raise ValueError("turns needs at least two messages; use question for one")
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
    return Path(str(resources.files("eval") / "golden.jsonl"))


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
