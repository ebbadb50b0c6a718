"""The intent rules: complaint, handoff, park or fund routing, smalltalk, out of scope, and the
checks for a personal ruling and a sensitive matter. The patterns are knowledge/dict/intents.txt;
the example sentences that widen them are intents.py."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import lexicon as lx
from . import vocabulary as vocab
from .asking import clause_asks
from .asking import clauses as split_clauses
from .clauses import negated
from .reply import Intent, Profile
from .vocabulary import norm


def _has(pattern: re.Pattern[str], text: str, ok: Callable[[re.Match[str]], bool] = lambda m: True) -> bool:
    return any(ok(m) for m in pattern.finditer(text))


def _is_complaint(t: str, context: str = "") -> bool:
    ip_context = bool(lx.IP_WORDS.search(t) or lx.IP_WORDS.search(context))

    def ok(m: re.Match[str]) -> bool:
        if ip_context and lx.IP_DISPUTE.fullmatch(m.group()):
            return False  # "专利被侵权怎么维权" is an IP-service question, not a complaint about us
        return not negated(t, m.start())

    return _has(lx.COMPLAINT, t, ok)


def _first_live(pattern: re.Pattern[str], t: str) -> re.Match[str] | None:
    # "We don't need office space" is not a request for a park.
    return next((m for m in pattern.finditer(t) if not negated(t, m.start())), None)


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
    t = norm(text)
    return _first_live(lx.PARK, t) is not None, _first_live(lx.FUND, t) is not None


def policy_clauses(text: str) -> str:
    """When a message asks for a park or money and, in other clauses, something else ("想了解宣传视频
    征集，也想找个园区"), those other asking clauses: the policy question to answer beside the cards."""
    parts = split_clauses(text)
    # a clause that asks for a park or money ("也想找点启动资金"), not one that tells ("我们也没钱")
    routed = [
        bool(_first_live(lx.PARK, norm(c)) or _first_live(lx.FUND, norm(c))) and clause_asks(c) for c in parts
    ]
    if len(parts) < 2 or not any(routed):
        return ""
    return "，".join(c.strip() for c, r in zip(parts, routed, strict=True) if not r and clause_asks(c))


def names_park(text: str) -> bool:
    """The message is about a park ("AI园区有没有路演的场地"): with a known track, its card answers too."""
    t = norm(text)
    return _first_live(lx.PLACE, t) is not None


def is_smalltalk(t: str) -> bool:
    rest = lx.FILLER.sub("", vocab.smalltalk.sub("", t))
    return not lx.WORDY.search(rest)


def _business(t: str) -> bool:
    return bool(lx.BUSINESS.search(t) or vocab.tracks.hits(t) or vocab.topics.hits(t))


def is_business(text: str) -> bool:
    """The message names a track, a domain topic or a business word: not out of scope."""
    return _business(norm(text))


def classify_intent(text: str, profile: Profile, has_context: bool, context: str = "") -> Intent:
    """Complaint, then handoff, then routing, then smalltalk and out-of-scope; policy_question by default.

    A complaint is checked before a plain handoff request: both escalate, the complaint says why.
    `has_context` lets a request about our previous answer ("那翻译成英文呢") stay in scope; `context`
    is what the conversation is about: after "我们产品外观被别个抄了", "去维权要带些啥材料" asks about IP.
    """
    t = norm(text).strip()
    if _is_complaint(t, norm(context)):
        return "complaint"
    if lx.HANDOFF.search(t):
        return "handoff"
    routed = _routing(t, profile)
    if routed:
        return routed
    if is_smalltalk(t):
        return "smalltalk"
    if lx.OUT_OF_SCOPE.search(t) and not _business(t) and not (has_context and lx.CONTEXT_OK.search(t)):
        return "out_of_scope"
    return "policy_question"


def asks_for_person(text: str) -> bool:
    """The words of an ask for a person ("想找人处理", "转人工"), whatever else the message says."""
    return bool(lx.HANDOFF.search(norm(text)))


def is_eligibility_ruling_request(text: str) -> bool:
    """A personal ruling or an application's status: only staff can give it ("我能不能拿到")."""
    t = norm(text)
    return _has(lx.ELIGIBILITY, t, lambda m: not lx.GENERAL_CONDITION.search(m.group()))


def is_sensitive(text: str) -> bool:
    """Bribery, fraud, self-harm, threats, petitions: a person must handle these."""
    return bool(lx.SENSITIVE.search(norm(text)))
