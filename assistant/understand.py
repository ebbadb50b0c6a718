"""Understand one founder message: language, profile facts, intent, topics. Deterministic rules only.

Everything matches on NFKC-normalised, lower-cased text, so full-width letters, digits and punctuation
look like their ASCII forms. Positions matter: a later statement ("不是三个人，是五个人") corrects an
earlier one, and a negation just before a word ("不是做AI的") keeps the word from being taken.

`understand` is the entry point the engine reads a turn with; the readers live beside it:
`profile_facts` (the profile), `intent_rules` (intents and the checks that escalate), `clauses`
(negation, plans, corrections) and `vocabulary` (the matchers built from knowledge/dict/).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from . import lexicon as lx
from . import vocabulary as vocab
from .asking import asks
from .clauses import negated, not_done
from .intent_rules import (
    asks_for_person,
    classify_intent,
    is_business,
    is_eligibility_ruling_request,
    is_sensitive,
    is_smalltalk,
    names_park,
    policy_clauses,
    routes_asked,
)
from .profile_facts import district_hits, extract_profile, parse_count, summarize_profile
from .reply import Profile
from .vocabulary import Lexicon, add_topic_terms, norm, use_dictionary

__all__ = [
    "asks_for_person",
    "add_topic_terms",
    "classify_intent",
    "detect_language",
    "extract_profile",
    "is_business",
    "is_eligibility_ruling_request",
    "is_followup",
    "is_sensitive",
    "Lexicon",
    "names_park",
    "parse_count",
    "policy_clauses",
    "Profile",
    "routes_asked",
    "summarize_profile",
    "topic_terms",
    "use_dictionary",
]

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


# --- topics ----------------------------------------------------------------------------------------


# The normaliser glosses a Latin word in an English message ("generative AI（人工智能） service filing");
# a topic's English alias must still match the words as typed.
_GLOSS = re.compile(r"(?<=[a-z0-9])\([\u4e00-\u9fff]+\)")


def topic_terms(text: str, asked_only: bool = False) -> list[str]:
    """Canonical domain topics in order of first mention, e.g. "创新券怎么领" → ["科技创新券"]. With
    `asked_only`, not those said of the team in the negative ("还没注册公司" is a fact, not a topic)."""
    t = _GLOSS.sub("", norm(text))
    seen: dict[str, None] = {}
    for h in vocab.topics.hits(t):
        if not (asked_only and (negated(t, h.start) or not_done(t, h.start))):
            seen.setdefault(h.value)
    return list(seen)


def is_followup(text: str) -> bool:
    """A short question that leans on the conversation ("那怎么申请？", "要交几年的报表"): no topic of its
    own. A topic said of the team ("还没注册公司可以报吗") is a fact about them, not a new subject."""
    t = norm(text).strip()
    # about as long as 12 Chinese characters: an English question takes more words to say as much
    if len(lx.HAN.findall(t)) > 12 or len(re.findall(r"[a-z]+", t)) > 16:
        return False
    if topic_terms(text, asked_only=True) or vocab.tracks.hits(t) or district_hits(t) or is_smalltalk(t):
        return False
    return bool(lx.FOLLOWUP.search(t)) or asks(text)
