"""The vocabulary `understand.py` and the engine match founder messages against, read from data.

Every word, variant and cue lives in knowledge/dict/ (README: "添加同义词、话题和园区别名"), where
service-center staff edit it; `dictionary.py` reads those files and this module builds the tables and
patterns under the names below. `load(extra)` rebuilds them with a staff directory's files (RONGCHUANG_DICT_DIR)
added to the bundled ones: same file names, entries appended.

Two kinds of file:
- tables (*.tsv): "canonical<TAB>variant|variant" (needs and wants: "code<TAB>label<TAB>variants"); a
  canonical may take several rows. Canonical "-" marks stop phrases, which match and mean nothing
  ("软件著作权" is IP, not a software track; "多少钱" asks a price, not for money). Variants are
  matched on NFKC-normalised, lower-cased text, longest first; Latin ones only as whole words.
- lists (*.txt): "[name]" or "[name param]" heads a list. Word lists (words.txt) are substrings, "a|b"
  on a line being two words. Pattern lists (intents.txt, profile.txt) are regular expressions, one
  alternative a line, joined with "|" in file order (the first alternative that matches at a position
  wins); "{name}" inserts another list or a fragment built here.
"""

from __future__ import annotations

import re
from pathlib import Path

from knowledge import synonyms
from knowledge.catalog import STAGE_NAMES

from .dictionary import DictionaryError, Source, bundled_dir
from .scope import place_words


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _flagged(src: Source, file: str, name: str) -> list[tuple[re.Pattern[str], bool]]:
    # "[first_time yes]" / "[first_time no]" lists, in file order.
    out = []
    for value in src.family(file, name):
        if value not in ("yes", "no"):
            raise DictionaryError(bundled_dir() / file, None, f"[{name} {value}] 只能是 yes 或 no")
        out.append((src.pattern(file, f"{name} {value}"), value == "yes"))
    return out


def _table(src: Source, name: str) -> dict[str, tuple[str, ...]]:
    return {k: tuple(vs) for k, vs in src.tables[name].variants.items()}


# --- the tables and patterns understand.py and the engine read ------------------------------------
# Declared here, built by load(); regular expressions run over normalised text (NFKC, lower case:
# "，" is ",", "？" is "?").
Table = dict[str, tuple[str, ...]]
Flagged = list[tuple[re.Pattern[str], bool]]
TRACKS: Table
NEEDS: Table
WANTS: Table
DISTRICTS: Table
UNIVERSITIES: Table
TOPICS: Table
TRACK_STOPS: tuple[str, ...]
NEED_STOPS: tuple[str, ...]
WANT_STOPS: tuple[str, ...]
UNIVERSITY_STOPS: tuple[str, ...]
TOPIC_STOPS: tuple[str, ...]
NEED_LABELS: dict[str, str]
WANT_LABELS: dict[str, str]
STAGE_LABELS = STAGE_NAMES  # one wording for stages, shared with the catalog pages
SMALLTALK: tuple[str, ...]
OTHER_CITIES: tuple[str, ...]
OTHER_CITIES_EN: tuple[str, ...]
STAGES: list[tuple[re.Pattern[str], str]]
FIRST_TIME: Flagged
HAS_IP: Flagged
HAS_REVENUE: Flagged
REGISTERED: Flagged
REGISTERED_FACTS: set[re.Pattern[str]]  # no plan words can turn these into a plan
# The engine's cues: substrings (tuples) and patterns.
NEXT_CUES: tuple[str, ...]
HOW_TO: tuple[str, ...]
MATERIALS: tuple[str, ...]
GENERIC_SUPPORT: tuple[str, ...]
CONDITIONS: tuple[str, ...]
ABOUT_CENTERS: tuple[str, ...]
THANKS: tuple[str, ...]
IDENTITY: tuple[str, ...]
FOCUS: tuple[tuple[tuple[str, ...], str], ...]  # cues → the guide section that answers them
# Patterns named after their list in intents.txt / profile.txt (upper case), e.g. COMPLAINT, NEGATION.
HANDOFF: re.Pattern[str]
COMPLAINT: re.Pattern[str]
IP_WORDS: re.Pattern[str]
IP_DISPUTE: re.Pattern[str]
PARK: re.Pattern[str]
FUND: re.Pattern[str]
RECOMMEND_ME: re.Pattern[str]
OUT_OF_SCOPE: re.Pattern[str]
CONTEXT_OK: re.Pattern[str]
BUSINESS: re.Pattern[str]
ELIGIBILITY: re.Pattern[str]
GENERAL_CONDITION: re.Pattern[str]
SENSITIVE: re.Pattern[str]
FOLLOWUP: re.Pattern[str]
FILLER: re.Pattern[str]
PLACE: re.Pattern[str]
QUESTION: re.Pattern[str]
NEGATION: re.Pattern[str]
NOT_DONE: re.Pattern[str]
CORRECTION: re.Pattern[str]
INTENDING: re.Pattern[str]
DOING: re.Pattern[str]
LOCATED_AT: re.Pattern[str]
FIRST_PERSON: re.Pattern[str]
NOT_A_FACT: re.Pattern[str]
THIRD_PARTY: re.Pattern[str]
UNIVERSITY_CUE: re.Pattern[str]
NEED_DENIED_AFTER: re.Pattern[str]
ASKED_FOR: re.Pattern[str]
SHORT_OF: re.Pattern[str]
NOT_TEAM_BEFORE: re.Pattern[str]
HYPOTHETICAL: re.Pattern[str]
OTHER_CITY_BEFORE: re.Pattern[str]

_INTENTS = (
    "handoff complaint ip_words ip_dispute park fund recommend_me out_of_scope context_ok business "
    "eligibility general_condition sensitive followup filler place"
).split()
_PROFILE = (
    "negation not_done correction intending doing located_at first_person not_a_fact third_party "
    "university_cue need_denied_after asked_for short_of not_team_before hypothetical"
).split()
_CUES = "next_cues how_to materials generic_support conditions about_centers thanks identity".split()

# Mechanisms, not vocabulary: scripts, clause punctuation and numerals.
HAN = re.compile(r"[\u4e00-\u9fff]")
WORDY = re.compile(r"[a-z0-9\u4e00-\u9fff]")
CLAUSE_SEPARATORS = (",", ";", "!", "?", "。", "\n", ". ")
CN_DIGITS = dict(zip("零一二两三四五六七八九", (0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
CN_UNITS = {"十": 10, "百": 100}
EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    )
} | {"twenty": 20, "thirty": 30, "a dozen": 12, "dozen": 12}
_EN_NUM = r"(?<![a-z])(?:\d{1,4}|a dozen|" + _alt(list(EN_NUMBERS)) + r")(?![a-z])"
TEAM = re.compile(
    r"(?P<solo>就我(?:自己)?一个人?|只有我(?:自己)?(?:一个人)?|我自己(?:一个人)?(?:创业|干|做|搞|单干)|单干"
    r"|独立创业|solo founder|just me(?![a-z])|by myself|on my own|one-person)"
    r"|(?P<n1>(?:\d{1,4}|[一二两三四五六七八九十百几]{1,4})[多来余]?)\s*(?:个|名|位)?\s*"
    r"(?:人|成员|员工|伙伴|小伙伴|合伙人|联合创始人|创始人|同事|号人)(?![才工民形均次口事力一])"
    rf"|team of (?P<n2>{_EN_NUM})|(?P<n3>{_EN_NUM})[- ](?:person|people|member|man)[- ]team"
    rf"|(?:we are|we're|there are) (?P<n4>{_EN_NUM})(?![a-z0-9])"
    rf"|(?P<n5>{_EN_NUM}) (?:people|persons|co-?founders|founders|members|engineers|employees|of us)(?![a-z])"
)


def _build(src: Source) -> dict:
    out: dict = {}
    for name in ("tracks", "needs", "wants", "districts", "universities", "topics"):
        out[name.upper()] = _table(src, name)
    for name, stops in (
        ("track", "tracks"),
        ("need", "needs"),
        ("want", "wants"),
        ("university", "universities"),
        ("topic", "topics"),
    ):
        out[f"{name.upper()}_STOPS"] = tuple(src.tables[stops].stops)
    out["NEED_LABELS"], out["WANT_LABELS"] = src.tables["needs"].labels, src.tables["wants"].labels
    for name in ("smalltalk", "other_cities", "other_cities_en", *_CUES):
        out[name.upper()] = src.words(name)
    # the places themselves are one list, places.txt (scope reads it too); words.txt adds 外地, 国外…
    places = place_words()
    out["OTHER_CITIES"] = (*out["OTHER_CITIES"], *(w for w in places if not w.isascii()))
    out["OTHER_CITIES_EN"] = (*out["OTHER_CITIES_EN"], *(w for w in places if w.isascii()))
    out["FOCUS"] = tuple((src.words(f"focus {s}"), s) for s in src.family("words.txt", "focus"))
    for name in _INTENTS:
        out[name.upper()] = src.pattern("intents.txt", name)
    out["QUESTION"] = src.pattern("intents.txt", "question", re.I)
    for name in _PROFILE:
        out[name.upper()] = src.pattern("profile.txt", name)
    out["STAGES"] = [
        (src.pattern("profile.txt", f"stage {s}"), s) for s in src.family("profile.txt", "stage")
    ]
    if unknown := {s for _, s in out["STAGES"]} - set(STAGE_NAMES):
        raise DictionaryError(bundled_dir() / "profile.txt", None, f"不认识的阶段 {sorted(unknown)}")
    for name in ("first_time", "has_ip", "has_revenue"):
        out[name.upper()] = _flagged(src, "profile.txt", name)
    # Places: "在高新区注册" is here, "在北京注册" and "西安高新区" are not.
    here = [v for vs in out["DISTRICTS"].values() for v in vs] + list(src.words("chengdu"))
    city, city_en = _alt(out["OTHER_CITIES"]), _alt(out["OTHER_CITIES_EN"])
    out["OTHER_CITY_BEFORE"] = re.compile(f"(?:{city})$")
    slots = {"here": _alt(here), "city": city, "city_en": city_en}
    reg = {
        k: src.pattern("profile.txt", f"registered {k}", **slots)
        for k in ("here", "done", "elsewhere", "not_yet")
    }
    out["REGISTERED"] = [
        (reg["here"], True),
        (reg["done"], True),
        (reg["elsewhere"], False),
        (reg["not_yet"], False),
    ]
    out["REGISTERED_FACTS"] = {reg["done"], reg["not_yet"]}
    src.check_used()
    return out


def load(extra: Path | str | None = None) -> None:
    """(Re)build every table from the bundled dictionary plus `extra`'s files; a malformed entry
    raises DictionaryError naming its file and line, and leaves the tables as they were."""
    dirs = [bundled_dir(), *([Path(extra)] if extra else [])]
    src = Source(dirs)
    globals().update(_build(src))
    synonyms.use_extra(src.synonyms)


load()
