"""Walk a guide's eligibility conditions against the founder profile: met, not met, or unknown."""

from __future__ import annotations

from typing import Literal

from knowledge.catalog import Condition, Guide
from knowledge.types import Hit

from .compose import EligibilityCheck
from .reply import Profile
from .route import track_matches

Status = Literal["met", "not_met", "unknown"]

ASK = {
    "zh": {
        "registered_in_chengdu": "公司是否已在成都注册",
        "stage": "公司现在处于哪个阶段",
        "track": "你们做的是哪个方向",
        "team_size": "团队有几个人",
        "first_time": "是不是第一次创业",
        "has_ip": "有没有专利等知识产权",
        "university": "团队来自哪所高校",
        "district": "公司在成都哪个区",
    },
    "en": {
        "registered_in_chengdu": "whether the company is registered in Chengdu",
        "stage": "your stage",
        "track": "what field you work in",
        "team_size": "how many people are on the team",
        "first_time": "whether this is your first company",
        "has_ip": "whether you hold patents or other IP",
        "university": "which university the team comes from",
        "district": "which district you are in",
    },
}


def check(c: Condition, p: Profile) -> Status:
    if c.field is None:
        return "unknown"
    value = getattr(p, c.field)
    if value is None:
        return "unknown"
    if c.field == "team_size":
        ok = c.min is None or value >= c.min
    elif c.field == "track":
        ok = track_matches(value, c.values)
    elif c.expect is not None:
        ok = value == c.expect
    else:
        ok = not c.values or any(v in value or value in v for v in c.values)
    return "met" if ok else "not_met"


def walk(
    guide: Guide, profile: Profile, hit: Hit | None, lang: str
) -> tuple[list[EligibilityCheck], list[str]]:
    """Each condition's status, and the questions that would settle the unknown checkable ones."""
    checks, ask = [], []
    for c in guide.eligibility:
        status = check(c, profile)
        checks.append(EligibilityCheck(condition=c.text.rstrip("。"), status=status, hit=hit))
        if status == "unknown" and c.field and ASK["en" if lang == "en" else "zh"][c.field] not in ask:
            ask.append(ASK["en" if lang == "en" else "zh"][c.field])
    return checks, ask
