"""Understand one founder message: language, profile facts, intent, topics. Deterministic rules only.

Everything matches on NFKC-normalised, lower-cased text, so full-width letters, digits and punctuation
look like their ASCII forms. Positions matter: a later statement ("不是三个人，是五个人") corrects an
earlier one, and a negation just before a word ("不是做AI的") keeps the word from being taken.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from . import lexicon as lx
from .asking import asks, clause_asks, clauses
from .reply import Intent, Profile

__all__ = [
    "add_topic_terms",
    "classify_intent",
    "detect_language",
    "extract_profile",
    "is_business",
    "is_eligibility_ruling_request",
    "is_followup",
    "is_sensitive",
    "names_park",
    "parse_count",
    "routes_asked",
    "summarize_profile",
    "topic_terms",
    "use_dictionary",
]

_STAGE_ORDER = ("idea", "seed", "early", "growth")


@lru_cache(maxsize=1024)
def _norm(text: str) -> str:
    # Cached: NFKC is the slowest step, and one message passes through several functions.
    return unicodedata.normalize("NFKC", text).lower()


# The normaliser glosses a Latin word in an English message ("generative AI（人工智能） service filing");
# a topic's English alias must still match the words as typed.
_GLOSS = re.compile(r"(?<=[a-z0-9])\([\u4e00-\u9fff]+\)")


def _topic_text(text: str) -> str:
    return _GLOSS.sub("", _norm(text))


def _is_latin(ch: str) -> bool:
    return "a" <= ch <= "z" or "0" <= ch <= "9"


def _trie_pattern(node: dict, root: bool = False) -> str:
    # A trie keeps the regex fast (one branch per first character) and, with each node's children
    # tried before its own end, the longest variant wins. Latin variants must be whole words ("ai" must
    # not fire inside "said"), with an optional plural.
    alts = []
    for ch in sorted(k for k in node if k):
        # The word-start guard sits after the first character so that every top-level branch starts
        # with a literal, which lets the regex engine skip positions by first character.
        guard = r"(?<![a-z0-9].)" if root and _is_latin(ch) else ""
        alts.append(re.escape(ch) + guard + _trie_pattern(node[ch]))
    if "" in node:
        alts.append(r"(?:s|es)?(?![a-z])" if _is_latin(node[""][-1]) else "")
    return alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"


def _compile_words(words: Iterable[str]) -> re.Pattern[str]:
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = word
    return re.compile(_trie_pattern(trie, root=True))


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    value: str


class Lexicon:
    """Variants to canonical values, longest match first; stop phrases (value "") swallow look-alikes."""

    def __init__(self, table: dict[str, Iterable[str]], stops: Iterable[str] = ()):
        self.canon = {v.lower(): k for k, vs in table.items() for v in vs}
        for stop in stops:
            self.canon.setdefault(stop.lower(), "")
        self.pattern = _compile_words(self.canon)

    def _value(self, matched: str) -> str:
        for key in (matched, matched.removesuffix("s"), matched.removesuffix("es")):
            if key in self.canon:
                return self.canon[key]
        return ""

    def hits(self, text: str) -> list[Hit]:
        found = ((m, self._value(m.group())) for m in self.pattern.finditer(text))
        return [Hit(m.start(), m.end(), value) for m, value in found if value]


_topics_lock = threading.Lock()
_dictionary: Path | None = None


def _build_lexicons() -> None:
    global _TRACKS, _NEEDS, _WANTS, _DISTRICTS, _UNIVERSITIES, _SMALLTALK, _topics
    _TRACKS = Lexicon(lx.TRACKS, lx.TRACK_STOPS)
    _NEEDS = Lexicon(lx.NEEDS, lx.NEED_STOPS)
    _WANTS = Lexicon(lx.WANTS, lx.WANT_STOPS)
    _DISTRICTS = Lexicon(lx.DISTRICTS)
    _UNIVERSITIES = Lexicon(lx.UNIVERSITIES, lx.UNIVERSITY_STOPS)
    _SMALLTALK = _compile_words(lx.SMALLTALK)
    _topics = Lexicon(lx.TOPICS, lx.TOPIC_STOPS)


_build_lexicons()


def use_dictionary(extra: Path | str | None) -> None:
    """The bundled vocabulary plus staff's dictionary directory (RONGCHUANG_DICT_DIR). Changing it
    forgets topics taught with add_topic_terms: teach them again after."""
    global _dictionary
    extra = Path(extra) if extra else None
    if extra != _dictionary:
        with _topics_lock:
            lx.load(extra)
            _build_lexicons()
            _dictionary = extra


# --- shared helpers -------------------------------------------------------------------------------


def _clause_before(text: str, pos: int) -> str:
    """The part of the clause that precedes `pos` (a negation never crosses a comma)."""
    head = text[:pos]
    ends = (head.rfind(sep) + len(sep) for sep in lx.CLAUSE_SEPARATORS if sep in head)
    return head[max(ends, default=0) :]


def _negated(text: str, pos: int) -> bool:
    clause = _clause_before(text, pos)
    negations = list(lx.NEGATION.finditer(clause))
    if not negations:
        return False
    gap = clause[negations[-1].end() :]
    return len(gap) <= (16 if re.search("[a-z]", gap) else 4)


def _not_done(text: str, pos: int) -> bool:
    """ "还没注册公司": the words just before `pos` say it has not happened ("有没有" is a question)."""
    clause = _clause_before(text, pos)
    found = list(lx.NOT_DONE.finditer(clause))
    return bool(found) and len(clause) - found[-1].end() <= 2


def _intending(text: str, pos: int) -> bool:
    """True when the words before `pos` express a plan or a question, not a fact ("想在高新区注册")."""
    return bool(lx.INTENDING.search(_clause_before(text, pos)[-8:]))


def _stated(text: str, hit: Hit) -> bool:
    """Not denied ("不是做AI的") and not about someone else ("我朋友在高新区")."""
    return not _negated(text, hit.start) and not lx.THIRD_PARTY.search(_clause_before(text, hit.start))


def _choose(text: str, hits: list[Hit], cue: re.Pattern[str] | None = None) -> Hit | None:
    """Pick the mention that states the fact: after a correction marker, else cued, else the first."""
    live = [h for h in hits if _stated(text, h)]
    if not live:
        return None
    marks = [m.end() for m in lx.CORRECTION.finditer(text)]
    after = [h for h in live if marks and h.start >= marks[-1]]
    if after:
        return after[0]
    if cue is not None:
        cued = [h for h in live if cue.search(text[max(0, h.start - 4) : h.start])]
        if cued:
            return cued[0]
    return live[0]


def _pick_value(
    text: str, hits: list[Hit], current: str | None, cue: re.Pattern[str] | None = None
) -> str | None:
    chosen = _choose(text, hits, cue)
    if chosen is not None:
        return chosen.value
    # The founder denied what we had ("我们不是做AI的") and said nothing new: forget it.
    if current is not None and any(h.value == current for h in hits):
        return None
    return current


Keep = Callable[[str, re.Match[str]], bool]


def _latest(text: str, rules, current: bool | None, keep: Keep | None = None, extra=()) -> bool | None:
    """The value of the last statement: "没有发明专利，但有实用新型专利" ends on True."""
    found = [(m.start(), v) for p, v in rules for m in p.finditer(text) if keep is None or keep(text, m)]
    found += extra
    return max(found, key=lambda e: e[0])[1] if found else current


def _mask(text: str, hits: Iterable[Hit]) -> str:
    # Keep positions: "电子科技大学" must not read as 电子信息, "四川农业大学" not as 现代农业.
    for h in hits:
        text = text[: h.start] + "_" * (h.end - h.start) + text[h.end :]
    return text


# --- language --------------------------------------------------------------------------------------


def detect_language(text: str) -> Literal["zh", "en"]:
    """Return "en" when Latin words outweigh Han characters (a Chinese word is about two characters)."""
    plain = unicodedata.normalize("NFKC", text)
    han = len(lx.HAN.findall(plain))
    words = re.findall(r"[A-Za-z]+", plain)
    if han == 0:
        return "en" if words else "zh"
    # Acronyms (AI, GPU, SaaS-like caps) sit in Chinese sentences all the time.
    real = [w for w in words if not w.isupper()]
    return "en" if len(real) * 2 > han else "zh"


# --- profile ---------------------------------------------------------------------------------------


def _track(text: str, current: str | None) -> str | None:
    return _pick_value(text, _TRACKS.hits(text), current, lx.DOING)


def _stage_hits(text: str) -> list[Hit]:
    found = []
    for pattern, stage in lx.STAGES:
        for m in pattern.finditer(text):
            short = stage == "growth" and lx.SHORT_OF.search(m.group())
            if not short and not _negated(text, m.start()):
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
    chosen = _choose(text, _team_hits(text))
    return int(chosen.value) if chosen else current


def _needs(text: str, current: list[str], skip: list[Hit]) -> list[str]:
    out = list(current)
    for h in _NEEDS.hits(text):
        if any(s.start <= h.start < s.end for s in skip):
            continue  # "我们有专利" states a fact, not a need
        if _negated(text, h.start) or lx.NEED_DENIED_AFTER.search(text[h.end : h.end + 12]):
            if h.value in out:
                out.remove(h.value)  # "不缺钱了": a correction removes
        elif h.value not in out:
            out.append(h.value)
    return out


def _asked_for(text: str) -> list[Hit]:
    """Kinds of money the message asks about ("推荐什么贷款") rather than says the team lacks."""
    return [h for h in _WANTS.hits(text) if lx.ASKED_FOR.search(_clause_before(text, h.start))]


def _wants(text: str, current: list[str]) -> list[str]:
    """The kinds of money this message names ("想申请贷款" → loan), in order; else what we had, less
    the kinds now turned down ("不想贷款")."""
    hits = _WANTS.hits(text)
    said = list(dict.fromkeys(h.value for h in hits if _stated(text, h)))
    if said:
        return said
    denied = {h.value for h in hits if _negated(text, h.start)}
    return [w for w in current if w not in denied]


def _topics_of(text: str, current: list[str]) -> list[str]:
    """The domain topics of the latest message that names any ("在做中试" → 中试)."""
    seen = list(dict.fromkeys(h.value for h in _topics.hits(text) if not _negated(text, h.start)))
    return seen or current


def _district_hits(text: str) -> list[Hit]:
    hits = _DISTRICTS.hits(text)
    return [h for h in hits if not lx.OTHER_CITY_BEFORE.search(text[max(0, h.start - 4) : h.start])]


def _located(text: str, hit: Hit) -> bool:
    """'我们……在高新区' states where the company is; '高新区有什么政策' does not."""
    before = text[max(0, hit.start - 3) : hit.start]
    return (
        bool(lx.LOCATED_AT.search(before))
        and bool(lx.FIRST_PERSON.search(text[: hit.start]))
        and not _intending(text, hit.start)
    )


def _registered(text: str, current: bool | None, district: Hit | None) -> bool | None:
    def keep(t: str, m: re.Match[str]) -> bool:
        # "还没注册" is a fact however it is phrased; "想在成都注册" is a plan and "在成都注册要多久"
        # a question: a place counts only when the founder or their company is the subject.
        if m.re in lx.REGISTERED_FACTS:
            return True
        return bool(lx.FIRST_PERSON.search(t[: m.end()])) and not _intending(t, m.start())

    located = [(district.start, True)] if district is not None and _located(text, district) else []
    return _latest(text, lx.REGISTERED, current, keep, located)


def _university(text: str, current: str | None) -> str | None:
    hits = [
        h for h in _UNIVERSITIES.hits(text) if lx.UNIVERSITY_CUE.search(text[max(0, h.start - 6) : h.end + 6])
    ]
    return _pick_value(text, hits, current)


def _has_ip(text: str, current: bool | None) -> tuple[bool | None, list[Hit]]:
    def keep(t: str, m: re.Match[str]) -> bool:
        before = t[max(0, m.start() - 3) : m.start()]
        return not lx.HYPOTHETICAL.search(before) and not t[m.end() : m.end() + 2] == "的话"

    # Only "有专利" is a statement of fact; "没有专利" still leaves IP work to do.
    spans = [Hit(m.start(), m.end(), "") for p, v in lx.HAS_IP if v for m in p.finditer(text)]
    return _latest(text, lx.HAS_IP, current, keep), spans


def _has_revenue(text: str, current: bool | None) -> bool | None:
    def keep(t: str, m: re.Match[str]) -> bool:
        return not lx.HYPOTHETICAL.search(t[max(0, m.start() - 3) : m.start()])  # "要求有收入" is a rule

    return _latest(text, lx.HAS_REVENUE, current, keep)


def extract_profile(text: str, current: Profile) -> tuple[Profile, list[str]]:
    """Update the founder profile from one message; returns the new profile and the changed fields.

    `wants` and `topics` say what the message asks about, not who the team is: they are kept in the
    profile for routing but never reported as changed (a bare "专精特新" is a question, not news)."""
    t = _norm(text)
    universities = _UNIVERSITIES.hits(t)
    not_facts = [Hit(m.start(), m.end(), "") for m in lx.NOT_A_FACT.finditer(t)]
    masked = _mask(t, universities + not_facts)
    has_ip, ip_spans = _has_ip(masked, current.has_ip)
    stages = _stage_hits(masked)
    districts = _district_hits(masked)
    district = _choose(masked, districts, lx.LOCATED_AT)
    update = {
        "track": _track(masked, current.track),
        "stage": _stage(stages, current.stage),
        "team_size": _team_size(masked, current.team_size),
        # "有客户了" is a fact and "推荐什么贷款" a question, not a need
        "needs": _needs(masked, current.needs, ip_spans + stages + _asked_for(masked)),
        "district": _pick_value(masked, districts, current.district, lx.LOCATED_AT),
        "university": _university(t, current.university),
        "first_time": _latest(masked, lx.FIRST_TIME, current.first_time),
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


# --- topics ----------------------------------------------------------------------------------------


def topic_terms(text: str, asked_only: bool = False) -> list[str]:
    """Canonical domain topics in order of first mention, e.g. "创新券怎么领" → ["科技创新券"]. With
    `asked_only`, not those said of the team in the negative ("还没注册公司" is a fact, not a topic)."""
    t = _topic_text(text)
    seen: dict[str, None] = {}
    for h in _topics.hits(t):
        if not (asked_only and (_negated(t, h.start) or _not_done(t, h.start))):
            seen.setdefault(h.value)
    return list(seen)


def add_topic_terms(variants: dict[str, Iterable[str]]) -> None:
    """Teach more topics (park and fund names from the catalog): canonical name → variants."""
    global _topics
    with _topics_lock:
        table: dict[str, list[str]] = {}
        for variant, canonical in _topics.canon.items():
            if canonical:
                table.setdefault(canonical, []).append(variant)
        for canonical, names in variants.items():
            table.setdefault(canonical, []).extend([canonical, *names])
        _topics = Lexicon(table, lx.TOPIC_STOPS)


# --- intent ----------------------------------------------------------------------------------------


def _has(pattern: re.Pattern[str], text: str, ok: Callable[[re.Match[str]], bool] = lambda m: True) -> bool:
    return any(ok(m) for m in pattern.finditer(text))


def _is_complaint(t: str) -> bool:
    ip_context = bool(lx.IP_WORDS.search(t))

    def ok(m: re.Match[str]) -> bool:
        if ip_context and lx.IP_DISPUTE.fullmatch(m.group()):
            return False  # "专利被侵权怎么维权" is an IP-service question, not a complaint about us
        return not _negated(t, m.start())

    return _has(lx.COMPLAINT, t, ok)


def _first_live(pattern: re.Pattern[str], t: str) -> re.Match[str] | None:
    # "We don't need office space" is not a request for a park.
    return next((m for m in pattern.finditer(t) if not _negated(t, m.start())), None)


def _routing(t: str, profile: Profile) -> Intent | None:
    park, fund = _first_live(lx.PARK, t), _first_live(lx.FUND, t)
    if park and fund:
        return "park_routing" if park.start() <= fund.start() else "fund_routing"
    if park or fund:
        return "park_routing" if park else "fund_routing"
    if lx.RECOMMEND_ME.search(t):
        # "有什么适合我们的？" names no object: lean on what the founder said they need.
        if "space" in profile.needs:
            return "park_routing"
        if "funding" in profile.needs or profile.wants:
            return "fund_routing"
    return None


def routes_asked(text: str) -> tuple[bool, bool]:
    """Does the message ask for a park, for money (a fund, a loan)? Both can be true: "科技副总怎么
    申请？再帮忙推荐个园区" asks a policy question and for a park, and gets both."""
    t = _norm(text)
    return _first_live(lx.PARK, t) is not None, _first_live(lx.FUND, t) is not None


def policy_clauses(text: str) -> str:
    """When a message asks for a park or money and, in other clauses, something else ("想了解宣传视频
    征集，也想找个园区"), those other asking clauses: the policy question to answer beside the cards."""
    parts = clauses(text)
    # a clause that asks for a park or money ("也想找点启动资金"), not one that tells ("我们也没钱")
    routed = [
        bool(_first_live(lx.PARK, _norm(c)) or _first_live(lx.FUND, _norm(c))) and clause_asks(c)
        for c in parts
    ]
    if len(parts) < 2 or not any(routed):
        return ""
    return "，".join(c.strip() for c, r in zip(parts, routed, strict=True) if not r and clause_asks(c))


def names_park(text: str) -> bool:
    """The message is about a park ("AI园区有没有路演的场地"): with a known track, its card answers too."""
    t = _norm(text)
    return _first_live(lx.PLACE, t) is not None


def _is_smalltalk(t: str) -> bool:
    rest = lx.FILLER.sub("", _SMALLTALK.sub("", t))
    return not lx.WORDY.search(rest)


def _business(t: str) -> bool:
    return bool(lx.BUSINESS.search(t) or _TRACKS.hits(t) or _topics.hits(t))


def is_business(text: str) -> bool:
    """The message names a track, a domain topic or a business word: not out of scope."""
    return _business(_norm(text))


def classify_intent(text: str, profile: Profile, has_context: bool) -> Intent:
    """Complaint, then handoff, then routing, then smalltalk and out-of-scope; policy_question by default.

    A complaint is checked before a plain handoff request: both escalate, the complaint says why.
    `has_context` lets a request about our previous answer ("那翻译成英文呢") stay in scope.
    """
    t = _norm(text).strip()
    if _is_complaint(t):
        return "complaint"
    if lx.HANDOFF.search(t):
        return "handoff"
    routed = _routing(t, profile)
    if routed:
        return routed
    if _is_smalltalk(t):
        return "smalltalk"
    if lx.OUT_OF_SCOPE.search(t) and not _business(t) and not (has_context and lx.CONTEXT_OK.search(t)):
        return "out_of_scope"
    return "policy_question"


def is_eligibility_ruling_request(text: str) -> bool:
    """A personal ruling or an application's status: only staff can give it ("我能不能拿到")."""
    t = _norm(text)
    return _has(lx.ELIGIBILITY, t, lambda m: not lx.GENERAL_CONDITION.search(m.group()))


def is_sensitive(text: str) -> bool:
    """Bribery, fraud, self-harm, threats, petitions: a person must handle these."""
    return bool(lx.SENSITIVE.search(_norm(text)))


def is_followup(text: str) -> bool:
    """A short question that leans on the conversation ("那怎么申请？", "要交几年的报表"): no topic of its
    own. A topic said of the team ("还没注册公司可以报吗") is a fact about them, not a new subject."""
    t = _norm(text).strip()
    if len(lx.HAN.findall(t)) > 12 or len(re.findall(r"[a-z]+", t)) > 10:
        return False
    if topic_terms(text, asked_only=True) or _TRACKS.hits(t) or _district_hits(t) or _is_smalltalk(t):
        return False
    return bool(lx.FOLLOWUP.search(t)) or asks(text)
