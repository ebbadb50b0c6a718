"""The answer contract. Every connector, the eval harness and `rongchuang ask --json` speak `Reply`."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal[
    "policy_question", "park_routing", "fund_routing", "handoff", "complaint", "smalltalk", "out_of_scope"
]
HandoffReason = Literal["user_request", "complaint", "low_confidence", "eligibility", "sensitive"]
HandoffStatus = Literal["open", "claimed", "resolved"]
CitationKind = Literal["policy", "law", "park", "guide", "fund", "center", "page", "curated"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Citation(Strict):
    n: int = Field(ge=1, description="The number used as [n] in the answer.")
    doc_id: str
    title: str
    doc_number: str | None = Field(None, description="文号, when the document has one.")
    section: str = Field(description="Heading trail down to the clause.")
    kind: CitationKind
    sample: bool = Field(description="True when the cited text is invented example content.")
    text: str = Field(description="The exact passage cited.")
    score: float
    region: str = "成都"
    expired: bool = False
    pending: bool = Field(
        False,
        description="True while an uploaded document waits for an admin to confirm its title, 文号 and "
        "issuer: shown as 待审核, never as official policy.",
    )


class Recommendation(Strict):
    id: str
    name: str
    reason: str
    citations: list[int] = []
    sample: bool = False


class Center(Strict):
    id: str
    name: str
    contact: str


class Handoff(Strict):
    id: str
    number: str | None = Field(None, description="Short ticket number to say on the phone, e.g. 482913.")
    reason: HandoffReason
    center: Center
    status: HandoffStatus


class Eligibility(Strict):
    condition: str
    status: Literal["met", "not_met", "unknown"]
    citation: int | None = None


class Profile(Strict):
    track: str | None = None
    stage: Literal["idea", "seed", "early", "growth"] | None = None
    team_size: int | None = None
    needs: list[str] = []
    district: str | None = None
    university: str | None = None
    first_time: bool | None = None
    registered_in_chengdu: bool | None = None
    has_ip: bool | None = None
    has_revenue: bool | None = None
    wants: list[Literal["loan", "equity", "subsidy", "guarantee", "bond"]] = Field(
        default=[], description="Kinds of money the founder last asked for, e.g. loan for 推荐什么贷款."
    )
    topics: list[str] = Field(
        default=[], description="Policy topics of the founder's last message that named any, e.g. 中试."
    )


class Reply(Strict):
    session_id: str
    answer: str = Field(description="Text with [n] citation markers.")
    citations: list[Citation] = []
    intent: Intent
    parks: list[Recommendation] = []
    funds: list[Recommendation] = []
    handoff: Handoff | None = None
    profile: Profile = Field(default_factory=Profile)
    eligibility: list[Eligibility] = []
    confidence: float = Field(ge=0.0, le=1.0)
    mode: Literal["extractive", "llm"] = "extractive"
    notes: list[str] = Field(default=[], description="Why the turn went as it did, e.g. an LLM fallback.")


def reply_json_schema() -> str:
    return json.dumps(Reply.model_json_schema(), ensure_ascii=False, indent=2)
