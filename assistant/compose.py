"""Composers turn retrieved passages into an answer with [n] citations.

ExtractiveComposer (the offline default) writes only sentences taken word for word from retrieved
passages, each followed by its marker, plus fixed phrases from prompts/. It cannot invent a policy,
an amount, a date or a 文号 because it has no way to write one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from knowledge.sentences import split_sentences
from knowledge.synonyms import alternatives, widen
from knowledge.tokenize import tokens
from knowledge.types import Hit

from .asking import asking_sentence, is_asking_word
from .citations import CitationList, caveats, renumber
from .facts import PHONE, asked_facts, states, wanted_facts
from .passages import (
    MAX_PASSAGES,
    asks_same,
    best_sentences,
    body_sentences,
    choose_passages,
    query_weights,
    sentences_with_questions,
)
from .phrases import phrases
from .reply import Citation, Eligibility, Profile

MAX_MAIN_SENTENCES = 4
SAMPLE_MARK = "（示例）"


@dataclass
class EligibilityCheck:
    condition: str
    status: Literal["met", "not_met", "unknown"]
    hit: Hit | None = None


@dataclass
class ComposeRequest:
    question: str
    query: str  # what was searched: the question plus the conversation's topic
    lang: str
    hits: list[Hit]
    confidence: float
    profile: Profile = field(default_factory=Profile)
    next_steps: list[Hit] = field(default_factory=list)  # the matching guide's how-to passages
    eligibility: list[EligibilityCheck] = field(default_factory=list)
    ask: list[str] = field(default_factory=list)  # questions for unknown profile fields
    # The official sentence a sample sentence restates, if any (the real document is cited instead).
    restated: Callable[[str], tuple[Hit, str] | None] | None = None
    # The official sentence a quoted sample item rests on (its based_on clauses), about the question.
    basis: Callable[[Hit, str, str], tuple[Hit, str] | None] | None = None


@dataclass
class Composed:
    answer: str
    citations: list[Citation]
    eligibility: list[Eligibility] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mode: str = "extractive"
    handoff_reason: str | None = None  # set when an LLM agent called request_handoff


class Composer(Protocol):
    mode: str

    def compose(self, req: ComposeRequest) -> Composed: ...


NO_ANSWER_BELOW = 0.30
HEDGE_BELOW = 0.5
BASIS_LEADS = 0.3  # share of the lead sample sentence the official one holds, to be quoted before it


class ExtractiveComposer:
    mode = "extractive"

    def compose(self, req: ComposeRequest) -> Composed:
        ph = phrases(req.lang)
        if not req.hits or req.confidence < NO_ANSWER_BELOW:
            return Composed(answer=ph.get("no_answer"), citations=[])
        cites = CitationList()
        blocks: list[str] = []
        if req.confidence < HEDGE_BELOW:
            blocks.append(ph.get("low_confidence"))
        elif req.lang == "en":  # the quotes stay Chinese: say so first
            blocks.append(ph.get("lead"))
        asking = asking_sentence(req.question)  # what is asked for is read here, not in the story
        asked = asked_facts(asking)
        contact = any(f.name == "contact" for f in asked)
        main = self._main(req, cites, wanted_facts(asking))
        blocks.append(main)
        elig = self._eligibility(req, cites, blocks)
        steps = self._next_steps(req, cites)
        if steps:
            blocks.append(ph.get("next_steps") + "\n" + steps)
        said = strip_markers(f"{main}\n{steps}")  # "去哪里领" is answered by the steps' 申领平台 too
        missing = [
            f.label_en if req.lang == "en" else f.label
            for f in asked
            if f.name != "contact" and not states(said, f, asking)
        ]
        if contact and not any(not c.sample and PHONE.search(c.text) for c in cites.items()):
            blocks.insert(0, ph.get("no_contact"))  # never a sample's phone number as the answer
        if missing:  # say first what the documents do not state, then what they do
            blocks.insert(0, ph.get("not_stated", what=(" or " if req.lang == "en" else "、").join(missing)))
        passages = {h.passage.doc_id: h.passage for h in [*req.hits, *req.next_steps]} | cites.docs
        notes = caveats(cites.items(), passages, ph)
        blocks += notes
        if missing:
            blocks.append(ph.get("not_stated_ask"))
        answer, items, new = renumber("\n\n".join(b for b in blocks if b), cites.items())
        for e in elig:
            e.citation = new.get(e.citation, e.citation) if e.citation else e.citation
        return Composed(answer=answer, citations=items, eligibility=elig)

    def _main(self, req: ComposeRequest, cites: CitationList, wants) -> str:
        qtok = query_weights(widen(req.query))  # "老板" also finds the sentence about 企业家
        focus = [h for h in req.hits if h.extra.get("focus")]
        rest = req.hits[len(focus) :]
        if focus:  # context for a how-to answer comes from the same guide, not a neighbour
            rest = [h for h in rest if h.passage.doc_id == focus[0].passage.doc_id]
        lines = [_quote(h, _no_sample_phone(h, body_sentences(h)[:6]), cites) for h in focus]  # all of it
        said = Said(x for h in focus for x in body_sentences(h)[:6])
        budget = 1 if focus else MAX_MAIN_SENTENCES  # then a little context, or the best sentences
        chosen = choose_passages(rest, qtok)[: 1 if focus else MAX_PASSAGES] if rest else []
        chosen.sort(
            key=lambda h: -asks_same(sentences_with_questions(h), req.question)
        )  # an FAQ asking this very question leads
        for hit in chosen:
            picked = best_sentences(hit, qtok, limit=2 if lines else 3, wants=wants, question=req.question)
            # A guide and a catalog entry often quote the same clause: say it once.
            picked = [x for x in picked if x not in said][:budget]
            picked = _no_sample_phone(hit, picked)
            if req.restated and not is_official(hit):  # a guide or card restating a clause: the clause
                real = [(x, req.restated(x)) for x in picked]
                for _, found in real:
                    if found and found[1] not in said:
                        said.add(found[1])
                        lines.append(_quote(found[0], [found[1]], cites))
                        budget -= 1
                picked = [x for x, found in real if not found]
            said.update(picked)
            if picked:
                lines.append(_quote(hit, picked, cites))
                budget -= len(picked)
            if budget <= 0:
                break
        lines = [x for x in lines if x]
        if not lines:  # nothing matched word for word: fall back to the top passage's opening
            lines.append(_quote(req.hits[0], body_sentences(req.hits[0])[:2], cites))
        # The answer first: a line holding the kind of fact asked for ("五折收费") leads its context.
        patterns = [w for w in wants if not isinstance(w, str)]
        lead = next((i for i, x in enumerate(lines) if any(w.search(strip_markers(x)) for w in patterns)), 0)
        lines.insert(0, lines.pop(lead))
        if req.basis and cites.items() and not any(not c.sample for c in cites.items()):
            # only sample content so far: the official clause it rests on, so a real document is cited
            first = next(h for h in [*focus, *chosen, *req.hits] if cites.has(h))
            found = req.basis(first, req.question, strip_markers("".join(lines)))
            if found and found[1] not in said:
                real = _quote(found[0], [found[1]], cites)
                # the real document first when the lead sample sentence says the same thing in part
                lead = split_sentences(strip_markers(lines[0]))[:1]
                lines.insert(0 if lead and restates(lead[0], found[1]) >= BASIS_LEADS else len(lines), real)
        return "\n".join(lines)

    def _next_steps(self, req: ComposeRequest, cites: CitationList) -> str:
        used = set(cites.passage_ids())
        lines = []
        for hit in req.next_steps:
            if hit.passage.passage_id in used:
                continue
            sents = body_sentences(hit)[:3]
            if sents:
                lines.append(_quote(hit, sents, cites))
        return "\n".join(lines)

    def _eligibility(self, req: ComposeRequest, cites: CitationList, blocks: list[str]) -> list[Eligibility]:
        if not req.eligibility:
            return []
        ph = phrases(req.lang)
        lines = [ph.get("eligibility_lead")]
        out = []
        for chk in req.eligibility:
            marker = cites.mark(chk.hit) if chk.hit else ""
            n = int(marker[1:-1]) if marker else None
            lines.append(ph.get(f"eligibility_{chk.status}", condition=chk.condition) + marker)
            out.append(Eligibility(condition=chk.condition, status=chk.status, citation=n))
        if req.ask:
            lines.append(ph.get("eligibility_ask", questions="；".join(req.ask)))
        blocks.append("\n".join(lines))
        return out


_MARKER = re.compile(r"\[\d+\]")
_NOT_TEXT = re.compile(r"[\s\W_]+|（示例）|示例")
_CITES_DOC = re.compile(r"(?:按|依据|根据)?\S{1,8}〔\d{4}〕\d+号(?:提出|明确|要求|规定)?[，,：:]?")

SAME_SENTENCE = 0.8  # bigram Jaccard from which two sentences say the same thing


class Said:
    """The sentences already in an answer. A sentence is said again when its bigrams (without 示例
    marks and punctuation) mostly match one of them: a guide that copies a clause and adds （示例）
    says it again."""

    def __init__(self, sentences: Iterable[str] = ()) -> None:
        self._grams: list[set[str]] = []
        self.update(sentences)

    @staticmethod
    def _bigrams(sentence: str) -> set[str]:
        t = _NOT_TEXT.sub("", unicodedata.normalize("NFKC", strip_markers(sentence)))
        return {t[i : i + 2] for i in range(len(t) - 1)}

    def add(self, sentence: str) -> None:
        self._grams.append(self._bigrams(sentence))

    def update(self, sentences: Iterable[str]) -> None:
        for x in sentences:
            self.add(x)

    def __contains__(self, sentence: object) -> bool:
        g = self._bigrams(str(sentence))
        return bool(g) and any(len(g & h) / len(g | h) >= SAME_SENTENCE for h in self._grams if h)


def restates(sample: str, real: str) -> float:
    """Share of the sample sentence's bigrams (without its 示例 mark and "川府发〔2026〕8号提出") that
    the official sentence holds: 1.0 when the guide copied the clause."""
    s = _NOT_TEXT.sub("", unicodedata.normalize("NFKC", _CITES_DOC.sub("", sample)))
    r = _NOT_TEXT.sub("", unicodedata.normalize("NFKC", real))
    if len(s) < 6:
        return 0.0
    have = {r[i : i + 2] for i in range(len(r) - 1)}
    grams = [s[i : i + 2] for i in range(len(s) - 1)]
    return sum(g in have for g in grams) / len(grams)


OFFICIAL_KINDS = ("policy", "law", "page")


def is_official(hit: Hit) -> bool:
    """A policy or law text itself, not a guide, park, fund or center page that restates one."""
    return hit.passage.meta.kind in OFFICIAL_KINDS and not hit.passage.meta.sample


def _no_sample_phone(hit: Hit, sentences: list[str]) -> list[str]:
    """A sample page's phone number is never offered: it would be dialled."""
    if not hit.passage.meta.sample:
        return sentences
    return [x for x in sentences if not PHONE.search(x)]


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text)


def _quote(hit: Hit, sentences: list[str], cites: CitationList) -> str:
    """Sentences of one passage, each followed by that passage's marker; a sentence that starts a
    line in the passage (第一步… 第二步…, a list of materials) starts a line in the answer too."""
    text = hit.passage.text
    out = []
    for i, s in enumerate(sentences):
        if i and f"\n{s}" in text:
            out.append("\n")
        out.append((mark_sample(s) if hit.passage.meta.sample else s) + cites.mark(hit))
    return "".join(out)


_END = re.compile(r"[。；;！!？?.]$")


def mark_sample(sentence: str) -> str:
    """A sentence of sample content says so itself: "…须在成都注册（示例）。", not only the footer."""
    if "示例" in sentence:
        return sentence
    if m := _END.search(sentence):
        return sentence[: m.start()] + SAMPLE_MARK + sentence[m.start() :]
    return sentence + SAMPLE_MARK


def retrieval_confidence(hits: list[Hit], query: str, idf=None) -> float:
    """How sure we are the top passages answer the query, in [0, 1]. Two signals, both needed:
    dense similarity (e5 scores unrelated Chinese text around 0.84, so the scale starts there) and
    how much of the query's specific vocabulary (IDF-weighted) the best of the top passages covers:
    a question about 股票 or 量子通信 shares only common words with our corpus."""
    if not hits:
        return 0.0
    # Question words ("哪里", "多久") say nothing of what is asked: a passage that shares only them
    # covers nothing ("注册公司要去哪里办？要多久？" is not answered by another guide's 时限).
    content = [t for t in set(tokens(query)) if not is_asking_word(t)] or list(set(tokens(query)))
    terms = [t for t in content if len(t) >= 2] or content
    weight = {t: (idf(t) if idf else 1.0) for t in terms}
    total = sum(weight.values()) or 1.0
    coverage = 0.0
    for h in hits[:2]:
        head = f"{h.passage.meta.title}{h.passage.section}{h.passage.text}".lower()
        found = sum(w for t, w in weight.items() if t in head or any(a in head for a in alternatives(t)))
        coverage = max(coverage, found / total)
    cos = max((h.extra.get("cosine") or 0.0) for h in hits[:2])
    dense = min(max((cos - 0.84) / 0.06, 0.0), 1.0)
    return round(0.4 * dense + 0.6 * coverage, 3)
