"""Checking an LLM answer against what it cites, one sentence at a time.

A sentence survives when its [n] markers name passages the model was shown and every number, date and
文号 in it appears in one of those passages. A sentence without a valid marker survives only as a fixed
phrase from prompts/phrases.*.md. Surviving markers are renumbered 1..k in order of first use as the
sentences are accepted, so a streamed answer and the final one carry the same numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

from knowledge.errors import RongchuangError
from knowledge.sentences import normalise_ws, split_sentences

from .phrases import phrases

MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKER_VARIANT = re.compile(r"[\[［【](\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)[\]］】]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}\])+")
_ONLY_MARKERS = re.compile(r"^(?:\s*[\[［【]\d{0,3}[\]］】]?)*\s*$")  # the last one may be unfinished
_REPEATED_MARKER = re.compile(r"(\[\d+\])\1+")
_EN_BREAK = re.compile(r"(?<=[.!?\]])\s+(?=[A-Z])")  # English full stops: split_sentences keeps "."
_LIST_LEAD = re.compile(r"^(?:\d{1,2}[.、)）]|[-*•#>]+)\s*")

# Facts a sentence may only state when a cited passage states them too, tried in this order.
DOC_NUMBER = re.compile(r"(\S{1,8})〔(\d{4})〕(\d+)号")
DATE = re.compile(r"\d{4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月\d{1,2}日")
CN_AMOUNT = re.compile(r"[零一二三四五六七八九十百千两]+(?:万元|亿元|元)|百分之[零一二三四五六七八九十百]+")
NUMBER = re.compile(
    r"\d+(?:[.,]\d+)*(?:万元|亿元|元|%|个百分点|个月|个|年|月|日|天|倍|家|人|项|平方米|万|亿)?"
)
_LEAD_IN = re.compile(
    r"^.*(?:根据|按照|依据|参照|对照|见|和|与|及|或|是|即|为|由|的|在|了|[“”《》()\[\]：:，,、；;。])"
)
_BRACKET_YEAR = re.compile(r"[\[【(（]((?:19|20)\d{2})[\]】)）](?=\d+号)")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_NUMERAL = "0-9.零一二三四五六七八九十百千两"

STANDALONE = ("no_answer", "out_of_scope", "injection_refusal", "identity")  # may stand with no citation


class Ungrounded(RongchuangError):
    """No sentence of the model's answer could be checked against its citations."""


@dataclass
class Segment:
    text: str
    br: str = ""  # the line breaks that follow it


@dataclass
class Verdict:
    text: str  # the sentence with unknown markers removed (the model's numbering)
    cited: list[int]
    kind: str  # cited | phrase | drop
    why: str = ""
    phrase: str | None = None


def normalize_markers(text: str) -> str:
    """[1,2], ［1］ and 【1】 become [1][2] and [1]."""
    return _MARKER_VARIANT.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m[1])), text)


def segments(text: str) -> list[Segment]:
    """Sentences with the markers that follow them attached, and the line breaks after each."""
    out: list[Segment] = []
    for part in re.split(r"(\n+)", normalize_markers(text)):
        if part.startswith("\n"):
            if out:
                out[-1].br = "\n\n" if len(part) > 1 else "\n"
            continue
        for piece in _pieces(part):
            lead = _LEADING_MARKERS.match(piece)
            if lead and out:  # "。[1]": the marker closes the sentence before it
                out[-1].text += lead[0].replace(" ", "")
                piece = piece[lead.end() :].strip()
            if piece:
                out.append(Segment(piece))
    return out


def _pieces(line: str) -> list[str]:
    return [p.strip() for s in split_sentences(line) for p in _EN_BREAK.split(s) if p.strip()]


def norm(text: str) -> str:
    """One spelling for comparing facts: NFKC, no spaces, 〔year〕 brackets, dates as 年月日."""
    text = normalise_ws(unicodedata.normalize("NFKC", text))
    text = _BRACKET_YEAR.sub(r"〔\1〕", text)
    return _ISO_DATE.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", text)


def facts(sentence: str) -> list[str]:
    """The 文号, dates, amounts and numbers a sentence states (markers and list numbers excluded)."""
    text = norm(_LIST_LEAD.sub("", MARKER.sub("", sentence).strip()))
    found: list[str] = []

    def take(m: re.Match[str]) -> str:
        found.append(m[0] if m.re is not DOC_NUMBER else _doc_number(m))
        return "\x00"

    for pattern in (DOC_NUMBER, DATE, CN_AMOUNT, NUMBER):
        text = pattern.sub(take, text)
    return found


def _doc_number(m: re.Match[str]) -> str:
    issuer = _LEAD_IN.sub("", m[1]) or m[1]  # "根据川府发〔…" names 川府发
    return f"{issuer}〔{m[2]}〕{m[3]}号"


def stated_in(fact: str, ground: str) -> bool:
    """`fact` occurs in `ground` as a whole number: 5万元 is not in 15万元."""
    right = rf"(?![{_NUMERAL}])" if fact[-1] in _NUMERAL else ""
    return re.search(rf"(?<![{_NUMERAL}]){re.escape(fact)}{right}", ground) is not None


@cache
def _phrase_sentences(lang: str) -> dict[str, str]:
    """Normalised sentence → phrase key, for the phrases that have no placeholders."""
    out: dict[str, str] = {}
    for key, template in phrases(lang).items.items():
        if "{" not in template:
            out.update((normalise_ws(s.text), key) for s in segments(template))
    return out


def _grams(text: str, n: int = 6) -> set[str]:
    flat = re.sub(r"[\W_]+", "", text)
    return {flat[i : i + n] for i in range(len(flat) - n + 1)}


class Checker:
    """Judges one sentence against the passages (the model's numbers → their text) and the prompt."""

    def __init__(self, grounds: Mapping[int, str], lang: str, prompt: str) -> None:
        self.grounds = grounds  # live: tools add passages while the model works
        self.lang = lang
        self._normed: dict[int, str] = {}
        self._prompt = _grams(prompt)

    def check(self, sentence: str) -> Verdict:
        known = [n for n in dict.fromkeys(int(x) for x in MARKER.findall(sentence)) if n in self.grounds]
        text = MARKER.sub(lambda m: m[0] if int(m[1]) in self.grounds else "", sentence).strip()
        bare = MARKER.sub("", text).strip()
        if not bare:
            return Verdict(text, [], "drop", "empty")
        if not known:
            key = _phrase_sentences(self.lang).get(normalise_ws(bare))
            return (
                Verdict(text, [], "phrase", phrase=key) if key else Verdict(text, [], "drop", "no_citation")
            )
        if self._echoes_prompt(bare):
            return Verdict(text, [], "drop", "prompt_echo")
        for fact in facts(bare):
            if not any(stated_in(fact, self._ground(n)) for n in known):
                return Verdict(text, [], "drop", f"ungrounded {fact}")
        return Verdict(text, known, "cited")

    def _ground(self, n: int) -> str:
        if n not in self._normed:
            self._normed[n] = norm(self.grounds[n])
        return self._normed[n]

    def _echoes_prompt(self, text: str) -> bool:
        grams = _grams(text)
        return bool(grams) and len(grams & self._prompt) / len(grams) >= 0.5


class Emitter:
    """Model text in, accepted sentences out: buffers to a sentence end, checks, renumbers.

    Uncited phrases wait until a cited sentence has been accepted, so an answer that turns out to have
    nothing grounded raises before anything was yielded."""

    def __init__(self, checker: Checker, lang: str = "zh") -> None:
        self.checker = checker
        self.sep = " " if lang == "en" else ""
        self.order: dict[int, int] = {}  # the model's number → the answer's
        self.dropped: list[str] = []  # why each dropped sentence went
        self.removed: list[int] = []  # unknown markers taken out
        self.parts: list[str] = []  # what was yielded
        self.grounded = 0
        self._buf = ""
        self._done = 0  # segments of the buffer already judged
        self._held: list[tuple[Verdict, str]] = []
        self._break = ""  # line breaks owed before the next sentence

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def feed(self, delta: str) -> Iterator[str]:
        self._buf += delta
        segs = segments(self._buf)
        hold = 2 if len(segs) > 1 and _ONLY_MARKERS.match(segs[-1].text) else 1
        for seg in segs[self._done : len(segs) - hold]:
            yield from self._accept(seg)
        self._done = max(self._done, len(segs) - hold)

    def end_text(self) -> Iterator[str]:
        """The model's message ended: its last sentence is complete."""
        for seg in segments(self._buf)[self._done :]:
            yield from self._accept(seg)
        if self._buf and self.parts:
            self._break = self._break or "\n\n"
        self._buf, self._done = "", 0

    def close(self) -> Iterator[str]:
        """No more text: release what waits, or raise when nothing could be checked."""
        if not self.grounded and not any(v.phrase in STANDALONE for v, _ in self._held):
            raise Ungrounded(f"no sentence of the answer is grounded in its citations ({self._why()})")
        yield from self._release()

    def note(self, text: str) -> Iterator[str]:
        """A caveat of our own after the answer."""
        piece = ("\n\n" if self.parts else "") + text
        self.parts.append(piece)
        yield piece

    def _accept(self, seg: Segment) -> Iterator[str]:
        v = self.checker.check(seg.text)
        self.removed += [int(n) for n in MARKER.findall(seg.text) if int(n) not in self.checker.grounds]
        if v.kind == "drop":
            self.dropped.append(v.why)
            self._break = max(self._break, seg.br, key=len)
        elif v.kind == "phrase" and not self.grounded:
            self._held.append((v, seg.br))
        else:
            yield from self._release()
            yield self._emit(v, seg.br)

    def _release(self) -> Iterator[str]:
        held, self._held = self._held, []
        for v, br in held:
            yield self._emit(v, br)

    def _emit(self, v: Verdict, br: str) -> str:
        text = _REPEATED_MARKER.sub(r"\1", MARKER.sub(lambda m: f"[{self._number(int(m[1]))}]", v.text))
        piece = (self._break or (self.sep if self.parts else "")) + text
        self._break = br
        self.grounded += v.kind == "cited"
        self.parts.append(piece)
        return piece

    def _number(self, old: int) -> int:
        return self.order.setdefault(old, len(self.order) + 1)

    def _why(self) -> str:
        return ", ".join(self.dropped[:5]) or "no text"
