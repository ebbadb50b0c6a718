"""The founder profile from one message: track, stage, team size, needs, place, university and
the yes/no facts (first time, registered in Chengdu, IP, revenue); and the profile as one line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import lexicon as lx
from . import vocabulary as vocab
from .clauses import choose, clause_before, intending, latest, mask, negated, pick_value, stated
from .reply import Profile
from .vocabulary import Hit, norm

_STAGE_ORDER = ("idea", "seed", "early", "growth")


def _track(text: str, current: str | None) -> str | None:
    return pick_value(text, vocab.tracks.hits(text), current, lx.DOING)


def _stage_hits(text: str) -> list[Hit]:
    found = []
    for pattern, stage in lx.STAGES:
        for m in pattern.finditer(text):
            short = stage == "growth" and lx.SHORT_OF.search(m.group())
            if not short and not negated(text, m.start()):
                found.append(Hit(m.start(), m.end(), stage))
    return found


def _stage(hits: list[Hit], current: str | None) -> str | None:
    # The most advanced stage said wins: "刚起步，已经有收入了" is past the seed.
    return max((h.value for h in hits), key=_STAGE_ORDER.index) if hits else current


def _cn_int(s: str) -> int | None:
    total, cur = 0, 0
    for ch in s:
        if ch in lx.CN_DIGITS:
            cur = lx.CN_DIGITS[ch]
        elif ch in lx.CN_UNITS:
            total, cur = total + (cur or 1) * lx.CN_UNITS[ch], 0
        else:
            return None
    return total + cur


def parse_count(raw: str) -> int | None:
    """'三'→3, '十几'→12, '二十多'→22, '两三'→3, '几十'→30, '15'→15; a bare '几' is too vague."""
    approx = len(raw) > 1 and raw[-1] in "多来余"
    s = raw.rstrip("多来余")
    n: int | None
    if s in lx.EN_NUMBERS:
        return lx.EN_NUMBERS[s]
    if s.isdigit():
        n = int(s)
    elif len(s) == 2 and all(c in lx.CN_DIGITS for c in s):
        n = max(lx.CN_DIGITS[c] for c in s)  # a range like 两三个人: plan for the larger team
    else:
        if s == "几":
            return None
        s = s.replace("几十", "三十").replace("几百", "三百")
        approx = approx or s.endswith("几")
        n = _cn_int(s.removesuffix("几"))
        if n is None:
            return None
    return n + 2 if approx and n % 10 == 0 and n < 100 else n


def _team_hits(text: str) -> list[Hit]:
    out = []
    for m in lx.TEAM.finditer(text):
        if lx.NOT_TEAM_BEFORE.search(text[max(0, m.start() - 6) : m.start()]):
            continue  # "招两个人", "hire 3 engineers", "超过100人": not the team we have
        raw = [v for k, v in m.groupdict().items() if v and k != "solo"]
        n = 1 if m.group("solo") else parse_count(raw[0])
        if n:
            out.append(Hit(m.start(), m.end(), str(n)))
    return out


def _team_size(text: str, current: int | None) -> int | None:
    chosen = choose(text, _team_hits(text))
    return int(chosen.value) if chosen else current


def _needs(text: str, current: list[str], skip: list[Hit]) -> list[str]:
    out = list(current)
    for h in vocab.needs.hits(text):
        if any(s.start <= h.start < s.end for s in skip):
            continue  # "我们有专利" states a fact, not a need
        if negated(text, h.start) or lx.NEED_DENIED_AFTER.search(text[h.end : h.end + 12]):
            if h.value in out:
                out.remove(h.value)  # "不缺钱了": a correction removes
        elif h.value not in out:
            out.append(h.value)
    return out


def _asked_for(text: str) -> list[Hit]:
    """Kinds of money the message asks about ("推荐什么贷款") rather than says the team lacks."""
    return [h for h in vocab.wants.hits(text) if lx.ASKED_FOR.search(clause_before(text, h.start))]


def _wants(text: str, current: Sequence[str]) -> list[str]:
    """The kinds of money this message names ("想申请贷款" → loan), in order; else what we had, less
    the kinds now turned down ("不想贷款")."""
    hits = vocab.wants.hits(text)
    said = list(dict.fromkeys(h.value for h in hits if stated(text, h)))
    if said:
        return said
    denied = {h.value for h in hits if negated(text, h.start)}
    return [w for w in current if w not in denied]


def _topics_of(text: str, current: list[str]) -> list[str]:
    """The domain topics of the latest message that names any ("在做中试" → 中试)."""
    seen = list(dict.fromkeys(h.value for h in vocab.topics.hits(text) if not negated(text, h.start)))
    return seen or current


def district_hits(text: str) -> list[Hit]:
    hits = vocab.districts.hits(text)
    return [h for h in hits if not lx.OTHER_CITY_BEFORE.search(text[max(0, h.start - 4) : h.start])]


def _located(text: str, hit: Hit) -> bool:
    """'我们……在高新区' states where the company is; '高新区有什么政策' does not."""
    before = text[max(0, hit.start - 3) : hit.start]
    return (
        bool(lx.LOCATED_AT.search(before))
        and bool(lx.FIRST_PERSON.search(text[: hit.start]))
        and not intending(text, hit.start)
    )


def _registered(text: str, current: bool | None, district: Hit | None) -> bool | None:
    def keep(t: str, m: re.Match[str]) -> bool:
        # "还没注册" is a fact however it is phrased; "想在成都注册" is a plan and "在成都注册要多久"
        # a question: a place counts only when the founder or their company is the subject.
        if m.re in lx.REGISTERED_FACTS:
            return True
        return bool(lx.FIRST_PERSON.search(t[: m.end()])) and not intending(t, m.start())

    located = [(district.start, True)] if district is not None and _located(text, district) else []
    return latest(text, lx.REGISTERED, current, keep, located)


def _university(text: str, current: str | None) -> str | None:
    hits = [
        h
        for h in vocab.universities.hits(text)
        if lx.UNIVERSITY_CUE.search(text[max(0, h.start - 6) : h.end + 6])
    ]
    return pick_value(text, hits, current)


def _has_ip(text: str, current: bool | None) -> tuple[bool | None, list[Hit]]:
    def keep(t: str, m: re.Match[str]) -> bool:
        before = t[max(0, m.start() - 3) : m.start()]
        return not lx.HYPOTHETICAL.search(before) and not t[m.end() : m.end() + 2] == "的话"

    # Only "有专利" is a statement of fact; "没有专利" still leaves IP work to do.
    spans = [Hit(m.start(), m.end(), "") for p, v in lx.HAS_IP if v for m in p.finditer(text)]
    return latest(text, lx.HAS_IP, current, keep), spans


def _has_revenue(text: str, current: bool | None) -> bool | None:
    def keep(t: str, m: re.Match[str]) -> bool:
        return not lx.HYPOTHETICAL.search(t[max(0, m.start() - 3) : m.start()])  # "要求有收入" is a rule

    return latest(text, lx.HAS_REVENUE, current, keep)


def extract_profile(text: str, current: Profile) -> tuple[Profile, list[str]]:
    """Update the founder profile from one message; returns the new profile and the changed fields.

    `wants` and `topics` say what the message asks about, not who the team is: they are kept in the
    profile for routing but never reported as changed (a bare "专精特新" is a question, not news)."""
    t = norm(text)
    universities = vocab.universities.hits(t)
    not_facts = [Hit(m.start(), m.end(), "") for m in lx.NOT_A_FACT.finditer(t)]
    masked = mask(t, universities + not_facts)
    has_ip, ip_spans = _has_ip(masked, current.has_ip)
    stages = _stage_hits(masked)
    districts = district_hits(masked)
    district = choose(masked, districts, lx.LOCATED_AT)
    update = {
        "track": _track(masked, current.track),
        "stage": _stage(stages, current.stage),
        "team_size": _team_size(masked, current.team_size),
        # "有客户了" is a fact and "推荐什么贷款" a question, not a need
        "needs": _needs(masked, current.needs, ip_spans + stages + _asked_for(masked)),
        "district": pick_value(masked, districts, current.district, lx.LOCATED_AT),
        "university": _university(t, current.university),
        "first_time": latest(masked, lx.FIRST_TIME, current.first_time),
        "registered_in_chengdu": _registered(masked, current.registered_in_chengdu, district),
        "has_ip": has_ip,
        "has_revenue": _has_revenue(masked, current.has_revenue),
    }
    changed = [k for k, v in update.items() if v != getattr(current, k)]
    asked = {"wants": _wants(masked, current.wants), "topics": _topics_of(t, current.topics)}
    merged = current.model_dump() | {k: update[k] for k in changed} | asked
    return Profile.model_validate(merged), changed


def summarize_profile(profile: Profile) -> str:
    """One Chinese line, e.g. "赛道：低空经济；阶段：种子期；团队 3 人；需求：场地、资金"; "" when empty."""
    parts = []
    if profile.track:
        parts.append(f"赛道：{profile.track}")
    if profile.stage:
        parts.append(f"阶段：{lx.STAGE_LABELS[profile.stage]}")
    if profile.team_size:
        parts.append(f"团队 {profile.team_size} 人")
    if profile.needs:
        parts.append("需求：" + "、".join(lx.NEED_LABELS.get(n, n) for n in profile.needs))
    if profile.district:
        parts.append(f"区域：{profile.district}")
    if profile.university:
        parts.append(f"高校：{profile.university}")
    for value, yes, no in (
        (profile.first_time, "首次创业", "连续创业"),
        (profile.registered_in_chengdu, "已在成都注册", "未在成都注册"),
        (profile.has_ip, "有知识产权", "暂无知识产权"),
        (profile.has_revenue, "已有收入", "暂无收入"),
    ):
        if value is not None:
            parts.append(yes if value else no)
    return "；".join(parts)
