"""Park and fund matching: each recommendation with reasons tied to the catalog and cited passages."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.catalog import STAGE_NAMES, Catalog, Fund, Park, PolicyItem

from .reply import Profile

NEED_NAMES = {
    "space": "场地",
    "funding": "资金",
    "talent": "人才",
    "compute": "算力",
    "ip": "知识产权",
    "scenarios": "应用场景",
    "market": "市场",
    "certification": "资质认证",
}


@dataclass
class ParkMatch:
    park: Park
    score: float
    reasons: list[str]
    items: list[PolicyItem] = field(default_factory=list)  # policy items that meet the founder's needs


@dataclass
class FundMatch:
    fund: Fund
    score: float
    reasons: list[str]


def track_matches(track: str | None, tracks: list[str]) -> bool:
    if not track:
        return False
    return any(track == t or track in t or t in track for t in tracks)


def match_parks(profile: Profile, catalog: Catalog, k: int = 3) -> list[ParkMatch]:
    """Parks for this profile, best first. Track is required: without it routing would be a guess."""
    if not profile.track:
        return []
    out = []
    for park in catalog.parks.values():
        m = _score_park(park, profile)
        if m.score > 0:
            out.append(m)
    out.sort(key=lambda m: (-m.score, m.park.id))
    return out[:k]


def _score_park(park: Park, profile: Profile) -> ParkMatch:
    score, reasons = 0.0, []
    if track_matches(profile.track, park.tracks):
        score += 10
        reasons.append(f"重点赛道包含{profile.track}")
    items = [it for it in park.policy_items if set(it.needs) & set(profile.needs)]
    if items:
        score += 2 * len(items)
        reasons.append("政策包有" + "、".join(f"“{it.title}”" for it in items[:3]))
    if profile.stage and profile.stage in park.stages:
        score += 1
        reasons.append(f"接收{STAGE_NAMES[profile.stage]}团队")
    if profile.district and profile.district in park.district:
        score += 2
        reasons.append(f"位于{park.district}")
    if profile.university and profile.university in park.universities:
        score += 2
        reasons.append(f"与{profile.university}合作")
    if score < 10:  # no track match: a park in another field is not a recommendation
        score = 0
    return ParkMatch(park=park, score=score, reasons=reasons, items=items or park.policy_items[:1])


def match_funds(profile: Profile, catalog: Catalog, k: int = 4) -> list[FundMatch]:
    """Funds and instruments by stage and need; track narrows those that name tracks."""
    out = []
    for fund in catalog.funds.values():
        score, reasons = _score_fund(fund, profile)
        if score > 0:
            out.append(FundMatch(fund=fund, score=score, reasons=reasons))
    out.sort(key=lambda m: (-m.score, m.fund.id))
    return out[:k]


def _score_fund(fund: Fund, profile: Profile) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    if fund.tracks and profile.track and not track_matches(profile.track, fund.tracks):
        return 0.0, []
    if profile.stage:
        if profile.stage not in fund.stages:
            return 0.0, []
        score += 3
        reasons.append(f"面向{STAGE_NAMES[profile.stage]}企业")
    if not profile.needs and fund.type not in {"fund", "grant"} and not fund.tracks:
        return 0.0, []  # needs unknown: money for the stage, not every voucher and pilot
    needs = set(fund.needs) & set(profile.needs)
    if needs:
        score += 2 * len(needs)
        reasons.append("对应你的需求：" + "、".join(NEED_NAMES[n] for n in sorted(needs)))
    elif profile.needs:
        score -= 1
    if fund.tracks and profile.track:
        score += 2
        reasons.append(f"支持{profile.track}")
    if fund.type in {"fund", "grant", "voucher", "loan"}:
        score += 0.5  # concrete money before pilots and channels
    if "funding" in profile.needs and fund.type in {"fund", "grant"}:
        score += 1  # "we need money": investment and grants before vouchers
    if profile.has_ip and "ip" in fund.needs:
        score += 2
        reasons.append("你们有知识产权，可以用来融资")
    return max(score, 0.0), reasons
