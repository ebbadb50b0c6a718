"""Park and fund matching: each recommendation with reasons tied to the catalog and cited passages."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.catalog import STAGE_NAMES, TYPE_NAMES, Catalog, Fund, Park, PolicyItem

from . import lexicon as lx
from .reply import Profile

# What the founder asks for → the instrument types that are it, and those that help get it
# (a government guarantee backs a bank loan; 先投后股 and VC channels lead to equity).
WANT_TYPES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "loan": (frozenset({"loan"}), frozenset({"guarantee"})),
    "equity": (frozenset({"fund"}), frozenset({"grant", "channel"})),
    "subsidy": (frozenset({"grant", "voucher"}), frozenset()),
    "guarantee": (frozenset({"guarantee"}), frozenset({"loan"})),
    "bond": (frozenset({"bond"}), frozenset({"guarantee"})),
}
MONEY = frozenset({"fund", "grant", "voucher", "loan"})  # concrete money, before pilots and channels
# A bank, a guarantor or a voucher office deals with an operating company; a grant or an equity
# investor can back a team that registers when the money comes (see the guides' conditions).
COMPANY_ONLY = frozenset({"loan", "guarantee", "bond", "voucher"})


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
    # What the founder mentioned ("中试") first, then what they need.
    named = [it for it in park.policy_items if any(t in it.title for t in profile.topics)]
    needed = [it for it in park.policy_items if set(it.needs) & set(profile.needs) and it not in named]
    items = named + needed
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
    """Funds and instruments by stage and need, then by what the founder asked for (贷款, 基金, 补贴)
    and the topics they named (中试); track narrows those that name tracks."""
    out = []
    for fund in catalog.funds.values():
        score, reasons = _score_fund(fund, profile, catalog)
        if score > 0:
            out.append(FundMatch(fund=fund, score=score, reasons=reasons))
    out.sort(key=lambda m: (-m.score, m.fund.id))
    return out[:k]


def close_fits(matches: list[FundMatch], share: float, k: int) -> list[FundMatch]:
    """The best `k` matches that score at least `share` of the best one."""
    if not matches:
        return []
    best = matches[0].score
    return [m for m in matches if m.score >= share * best][:k]


def _names_topic(fund: Fund, catalog: Catalog, topic: str) -> float:
    """How directly a topic the founder named is this instrument: its name, or its guide's subject."""
    if topic in fund.name:
        return 3.0
    guide = catalog.guides.get(fund.guide or "")
    if guide and (topic == guide.topic or topic in guide.keywords):
        return 2.0
    return 0.0


def _score_fund(fund: Fund, profile: Profile, catalog: Catalog) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    if fund.tracks and profile.track and not track_matches(profile.track, fund.tracks):
        return 0.0, []
    if profile.stage:
        if profile.stage not in fund.stages:
            return 0.0, []
        score += 3
        reasons.append(f"{TYPE_NAMES[fund.type]}，面向{STAGE_NAMES[profile.stage]}企业")
    exact = {w for w in profile.wants if fund.type in WANT_TYPES[w][0]}
    related = {w for w in profile.wants if fund.type in WANT_TYPES[w][1]}
    if not profile.needs and fund.type not in {"fund", "grant"} and not fund.tracks and not exact | related:
        return 0.0, []  # needs unknown: money for the stage, not every voucher and pilot
    needs = set(fund.needs) & set(profile.needs)
    if needs:
        score += 2 * len(needs)
        reasons.append("对应你的需求：" + "、".join(lx.NEED_LABELS[n] for n in sorted(needs)))
    elif profile.needs:
        score -= 1
    if fund.tracks and profile.track:
        score += 2
        reasons.append(f"支持{profile.track}")
    if fund.type in MONEY:
        score += 0.5
    if exact:
        score += 3
        reasons.append("是你问的" + "、".join(lx.WANT_LABELS[w] for w in profile.wants if w in exact))
    elif related:
        score += 1
        reasons.append(
            "和你问的" + "、".join(lx.WANT_LABELS[w] for w in profile.wants if w in related) + "相关"
        )
    elif not profile.wants and "funding" in profile.needs and fund.type in {"fund", "grant"}:
        score += 1  # "we need money", no kind named: investment and grants before vouchers
    topic = max(profile.topics, key=lambda t: _names_topic(fund, catalog, t), default=None)
    if topic and (weight := _names_topic(fund, catalog, topic)):
        score += weight
        reasons.append(f"对应你提到的{topic}")
    if profile.has_ip is not None and "ip" in fund.needs:
        score += 2 if profile.has_ip else -2  # IP finance needs IP to pledge
        if profile.has_ip:
            reasons.append("你们有知识产权，可以用来融资")
    if profile.has_revenue is not None and fund.type == "loan":
        score += 1 if profile.has_revenue else -1.5  # a bank lends against income
        if profile.has_revenue:
            reasons.append("已有收入，贷款有还款来源")
    if profile.registered_in_chengdu is False and fund.type in COMPANY_ONLY:
        score -= 1.5
    # Of two equal fits, the one whose every purpose the founder named: "ip" or "compute" in a
    # fund's needs is what it is for, so 中试基金 (场地+资金) fits "缺钱" less than a plain fund.
    have = (
        set(profile.needs) | ({"ip"} if profile.has_ip else set()) | ({"funding"} if profile.wants else set())
    )
    score += len(set(fund.needs) & have) / len(fund.needs)
    if not reasons:  # nothing the founder said points here: not a recommendation
        return 0.0, []
    return max(score, 0.0), reasons
