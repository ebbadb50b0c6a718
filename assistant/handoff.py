"""When to hand a conversation to a human, and which service center should take it."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.catalog import Catalog, Center

from .reply import Profile

PRIORITY = {"complaint": 1, "sensitive": 1, "user_request": 2, "eligibility": 2, "low_confidence": 3}
PHRASE = {
    "user_request": "handoff_created",
    "complaint": "handoff_complaint",
    "eligibility": "handoff_eligibility",
    "sensitive": "handoff_sensitive",
    "low_confidence": "handoff_low_confidence",
}
# How the ticket summary names each reason to the service center's staff.
REASON_NAMES = {
    "user_request": "创业者要求转人工",
    "complaint": "投诉或纠纷",
    "eligibility": "需要个人资格判断或办理进度",
    "sensitive": "敏感问题",
    "low_confidence": "连续两次没找到可靠答案",
}
LOW_CONFIDENCE_STREAK = 2
DEFAULT_CENTER_NAME = "成都市民营经济发展促进中心"


@dataclass
class Signals:
    """What understanding found in one message."""

    explicit_request: bool = False
    complaint: bool = False
    eligibility_ruling: bool = False
    sensitive: bool = False
    low_confidence_streak: int = 0


def decide(s: Signals) -> str | None:
    """The handoff reason for this turn, or None. Sensitive and complaints come first: they are
    the ones that must not wait."""
    if s.sensitive:
        return "sensitive"
    if s.complaint:
        return "complaint"
    if s.explicit_request:
        return "user_request"
    if s.eligibility_ruling:
        return "eligibility"
    if s.low_confidence_streak >= LOW_CONFIDENCE_STREAK:
        return "low_confidence"
    return None


def suggest_center(
    catalog: Catalog, profile: Profile, topics: list[str], park_ids: list[str], text: str = ""
) -> Center | None:
    """By park first (the park the founder is talking about), then topic, then district, then the
    city's 民营经济发展促进中心."""
    for pid in park_ids:
        park = catalog.parks.get(pid)
        if park and park.service_center in catalog.centers:
            return catalog.centers[park.service_center]
    words = [*topics, text]
    for c in catalog.centers.values():
        if not c.parks and any(t and t in w for t in c.topics for w in words):
            return c
    if profile.district:
        for c in catalog.centers.values():
            if profile.district in c.district and not c.parks:
                return c
    return default_center(catalog)


def default_center(catalog: Catalog) -> Center | None:
    for c in catalog.centers.values():
        if DEFAULT_CENTER_NAME in c.name:
            return c
    return next(iter(catalog.centers.values()), None)


def contact_line(ph, contact: str) -> str:
    """ "也可以直接打电话：028-…" when the catalog has a number; else say the assistant has none."""
    if any(ch.isdigit() for ch in contact):
        return ph.get("handoff_contact", contact=contact)
    return ph.get("handoff_contact_unlisted")


def center_dict(c: Center | None) -> dict:
    if c is None:
        return {"id": "unassigned", "name": "服务中心", "contact": "—"}
    return {"id": c.id, "name": c.name, "contact": c.hotline}
