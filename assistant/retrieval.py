"""The passages a policy answer is drawn from: the search with the assistant's weights, the guide a
question is about and its sections, and the official sentence a sample sentence restates."""

from __future__ import annotations

import math
import re

import numpy as np

from knowledge.catalog import GUIDE_MATERIALS, GUIDE_STEPS, GUIDE_WHERE, Catalog, Fund, Guide, Park
from knowledge.index import KnowledgeIndex
from knowledge.search import Filters, search
from knowledge.sentences import split_sentences
from knowledge.synonyms import widen
from knowledge.tokenize import tokens
from knowledge.types import Hit, Passage

from . import lexicon as lx
from . import understand as und
from .asking import is_asking_word, question_part
from .citations import HOME_REGIONS
from .compose import OFFICIAL_KINDS, restates
from .facts import wanted_facts
from .normalize import Normalizer
from .passages import query_weights
from .turn import search_query
from .vocabulary import Lexicon, norm

# Near a tie, the official clause is quoted before the sample guide that paraphrases it (eval on the
# golden set: 0.97 raised MRR 0.963 → 0.972 and answer_evidence 0.958 → 0.972; 0.93 lowered citation
# precision). A real demotion hid evidence that the guides quote (see knowledge.search.SAMPLE_WEIGHT).
SAMPLE_TIE = 0.97
# A sample sentence restates an official one when this share of its bigrams is in it (see compose.restates).
RESTATE_MIN = 0.6
RESTATE_CHARS = 12
RESTATE_DEPTH = 5
OTHER_REGION_PENALTY = 0.8
# Each passage's score grows with the share (by IDF) of the question's content words it holds: the
# fused rank of a passage that shares the question's rare words with another it does not hold falls
# behind. On the dev set pass rate rose 0.853 -> 0.862 for every weight from 0.3 to 0.8 (1.2: 0.864);
# the held-out set fell from 0.535 at 0.3 to 0.517 at 0.8, so the smallest weight is kept.
RERANK = 0.3
# Documents whose sections all share one subject (a guide's title topic is in every section): which
# section answers is decided by the question's other words.
SECTIONED_KINDS = ("guide", "park")
# A word held by fewer than ~1 in 12 passages (idf ≥ 2.5 over the bundled 362) says what a clause is about.
BASIS_IDF = 2.5
BASIS_SHARE = 0.8
BASIS_RESTATES = 0.3
_CLAUSE_REF = re.compile(r"(?P<number>\S+〔\d{4}〕\d+号)(?P<clause>（[一二三四五六七八九十]+）)")


class Retrieval:
    def __init__(self, index: KnowledgeIndex, catalog: Catalog, normalize: Normalizer) -> None:
        self.index = index
        self.catalog = catalog
        self.normalize = normalize
        self._by_number: dict[str, list[Passage]] = {}
        self._restated: dict[str, tuple[Hit, str] | None] = {}
        self._learn_names()

    def _learn_names(self) -> None:
        """Park and fund names and their aliases are topics, the names single tokens, so
        "示例·低空经济产业园" is one thing. An alias the dictionary reads as another topic stays that
        topic ("科创贷" is the 科创贷 topic, whose guide answers it). Guide keywords that name one guide
        only pick it when nothing else does (see guide_for)."""
        from knowledge.tokenize import add_words

        named: list[Park | Fund] = [*self.catalog.parks.values(), *self.catalog.funds.values()]
        self.names = {x.name for x in named}
        aliases = {x.name: [a for a in x.aliases if set(und.topic_terms(a)) <= {x.name}] for x in named}
        und.add_topic_terms(aliases)
        # An alias the documents do not spell ("AI产业园") searches with the name they do use.
        self._aliases = Lexicon({n: [a for a in al if a not in n] for n, al in aliases.items()})
        add_words([x.name.replace("示例·", "") for x in named])
        self._guide_words = _guide_keywords(list(self.catalog.guides.values()))

    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The passages a standalone policy question is answered from: the query the turn would build
        and the same ranking (what `rongchuang eval` measures as hit@k)."""
        lang = und.detect_language(question)
        question = question_part(self.normalize(question).text)
        query = search_query(question, lang, und.topic_terms(question))
        return self.lead_section(self.search(query, k=k), query)[:k]

    def lead_section(self, hits: list[Hit], query: str) -> list[Hit]:
        """The top document's section that holds what the question asks beyond the document's subject.
        Every section of the 高企 guide says 高新技术企业; "高企证书管几年" is answered by the one that also
        says 证书, not by 一、这是什么, which shares the subject best. A question word is not what is asked;
        a word every section holds weighs nothing; a section leads only if it holds more of the rest."""
        if not hits or hits[0].passage.meta.kind not in SECTIONED_KINDS:
            return hits
        top = hits[0]
        sections = self.index.passages_of(top.passage.doc_id)
        if len(sections) < 3:
            return hits
        texts = {p.passage_id: p.text.lower() for p in sections}
        subject = self._subject(top.passage)
        weights = {}
        for t, w in query_weights(widen(query)).items():
            df = sum(t in x for x in texts.values())
            if len(t) >= 2 and df and not is_asking_word(t) and t not in subject:
                weights[t] = w * (1 - df / len(texts))

        wants = [w for w in wanted_facts(query) if not isinstance(w, str)]

        if not weights and not wants:
            return hits

        def held(pid: str) -> tuple[float, bool]:  # words held, then the kind of fact asked ("有效期三年")
            words = sum(w for t, w in weights.items() if t in texts[pid])
            # the fact in one sentence with a question word: "近三年的报表" is not 证书's 三年
            fact = bool(wants) and any(
                any(w.search(x) for w in wants) and (not weights or any(t in x for t in weights))
                for x in split_sentences(texts[pid])
            )
            return words, fact

        score = {p.passage_id: held(p.passage_id) for p in sections}
        best = max(sections, key=lambda p: score[p.passage_id])
        if score[best.passage_id] <= score[top.passage.passage_id]:  # the top section itself, or no better
            return hits
        lead = Hit(passage=best, score=top.score, extra={**top.extra, "lead_section": True})
        return [lead, *(h for h in hits if h.passage.passage_id != best.passage_id)]

    def search(self, query: str, k: int = 8, **filters) -> list[Hit]:
        names = [h.value for h in self._aliases.hits(norm(query)) if h.value not in query]
        query = " ".join([query, *dict.fromkeys(names)])
        hits = search(self.index, query, k=k + 4, filters=Filters(**filters))
        about_centers = any(w in query for w in lx.ABOUT_CENTERS)
        for h in hits:
            if h.passage.meta.region not in HOME_REGIONS:
                h.score *= OTHER_REGION_PENALTY  # a Chengdu assistant prefers Chengdu's rules
            if h.passage.meta.kind == "center" and not about_centers:
                h.score *= 0.7  # a directory entry rarely answers a policy question
            if h.passage.meta.sample:
                h.score *= SAMPLE_TIE
        if hits:
            words = {t for t in tokens(widen(query)) if len(t) >= 2 and not is_asking_word(t)}
            idf = {t: self.index.idf(t) for t in words}
            total = sum(idf.values()) or 1.0
            for h in hits:
                text = f"{h.passage.meta.title}{h.passage.section}{h.passage.text}".lower()
                h.score *= 1 + RERANK * sum(v for t, v in idf.items() if t in text) / total
        hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def guide_for(
        self, hits: list[Hit], topics: list[str], previous: str | None, question: str
    ) -> tuple[Guide | None, bool]:
        """The guide the answer draws on, and whether the question is about it (the conversation's
        guide, a topic of the question, or a word of the guide's own in it). Only then do its cue
        sections (在哪里办, 材料) answer: "注册公司要多久" is not asking the listing guide's 时限."""
        if previous and previous in self.catalog.guides:
            return self.catalog.guides[previous], True
        if topics:
            for g in self.catalog.guides.values():
                if any(t == g.topic or t in g.keywords for t in topics):
                    return g, True
        if hits and hits[0].passage.meta.kind == "guide":
            top = self.catalog.guides.get(hits[0].passage.doc_id)
            if top:
                return top, any(w and w in question for w in (top.topic, *top.keywords))
        found = self._guide_words.hits(norm(question))  # a keyword only one guide lists
        return (self.catalog.guides.get(found[0].value), True) if found else (None, False)

    def restated(self, sentence: str) -> tuple[Hit, str] | None:
        """The official sentence a guide, park or fund sentence restates ("…按川府发〔2026〕8号扩大至…"):
        the best BM25 passages of policy and law texts, and in them the sentence covering most of it.
        Kept per sentence until the index changes: the same guide sentences come back turn after turn."""
        if len(sentence) < RESTATE_CHARS:
            return None
        key = f"{self.index.count()}#{sentence}"
        if key not in self._restated:
            if len(self._restated) >= 4096:
                self._restated.clear()
            self._restated[key] = self._find_restated(sentence)
        return self._restated[key]

    def _find_restated(self, sentence: str) -> tuple[Hit, str] | None:
        passages, scores = self.index.bm25_scores(sentence)
        if not len(scores):
            return None
        keep = Filters()
        best: tuple[float, Passage, str] | None = None
        for i in np.argsort(-scores)[:RESTATE_DEPTH]:
            p = passages[int(i)]
            if scores[i] <= 0 or p.meta.sample or p.meta.kind not in OFFICIAL_KINDS or not keep.accepts(p):
                continue
            for real in split_sentences(p.text):
                cov = restates(sentence, real)
                if cov >= RESTATE_MIN and (best is None or cov > best[0]):
                    best = (cov, p, real)
        return (Hit(passage=best[1], score=1.0), best[2]) if best else None

    def _subject(self, p: Passage) -> str:
        """What a guide or park is about, in all its names: "高企" is the 高新技术企业 guide's subject even
        where only its overview spells it so."""
        g, park = self.catalog.guides.get(p.doc_id), self.catalog.parks.get(p.doc_id)
        names = [
            p.meta.title,
            *([g.topic, *g.keywords] if g else []),
            *([park.name, *park.aliases] if park else []),
        ]
        return " ".join(names).lower()

    def basis(self, hit: Hit, question: str, quoted: str = "") -> tuple[Hit, str] | None:
        """The official sentence a sample guide or park rests on (its `based_on` clauses) that is
        about the question: the 示例 park's 训练场 hours rest on 川府发〔2026〕8号（十三）'s sentence on
        the 机器人训练场. A sentence counts only when it shares a specific word (one few passages hold)
        with the question or the quoted sample sentences: "政府" or "上市" alone tie any clause to any
        question."""
        doc = hit.passage.doc_id
        item: Guide | Park | None = self.catalog.guides.get(doc) or self.catalog.parks.get(doc)
        if item is None or not item.based_on:  # a fund card is official: it cites its own clause
            return None
        asked = {t for t in tokens(widen(question)) if len(t) >= 2 and not is_asking_word(t)}
        words = asked | {t for t in tokens(quoted) if len(t) >= 2}
        idf = {t: self.index.idf(t) for t in words}
        samples = [x for x in split_sentences(quoted) if len(x) >= RESTATE_CHARS]
        best: tuple[float, float, Passage, str] | None = None
        for ref in item.based_on:
            m = _CLAUSE_REF.match(ref)
            if not m:
                continue
            for p in self._official(m["number"]):
                if m["clause"] not in p.section:
                    continue
                for real in split_sentences(p.text):
                    low = real.lower()
                    shared = [t for t in words if t in low]
                    if not any(idf[t] >= BASIS_IDF and t in asked for t in shared):
                        continue
                    # the sentence a quoted one restates in part first ("…探索中试服务加股权模式…，并将…
                    # 纳入…" joins two), then the one sharing the most specific words
                    said = max((restates(x, real) for x in samples), default=0.0)
                    said = said if said >= BASIS_RESTATES else 0.0
                    score = sum(idf[t] for t in shared) / math.sqrt(max(len(real), 20) / 20)
                    if best is None or (said, score) > best[:2]:
                        best = (said, score, p, real)
        if best is None:
            return None

        def covers(text: str) -> float:  # how much of what is asked a sentence holds
            return sum(idf[t] for t in asked if t in text.lower())

        # The clause is cited beside the sample only when it answers about as much of the question: the
        # sample park's "每年免费使用训练场200小时" is not answered by the clause that builds 训练场.
        said = max((covers(x) for x in split_sentences(quoted)), default=0.0)
        if covers(best[3]) < BASIS_SHARE * said:
            return None
        return Hit(passage=best[2], score=hit.score), best[3]

    def _official(self, number: str) -> list[Passage]:
        """The passages of the official document with this 文号."""
        key = f"{number}#{self.index.count()}"  # an upload changes the count, and the answer
        if key not in self._by_number:
            ids = {
                p.doc_id for p in self.index.passages() if p.meta.doc_number == number and not p.meta.sample
            }
            self._by_number[key] = [p for d in sorted(ids) for p in self.index.passages_of(d)]
        return self._by_number[key]

    def section(self, doc_id: str, needle: str) -> Hit | None:
        for p in self.index.passages_of(doc_id):
            if needle in p.section:
                return Hit(passage=p, score=1.0)
        return None

    def focus(self, guide: Guide, text: str) -> list[Hit]:
        """All passages of the guide section the question asks for (a long one is cut in several)."""
        for cues, section in lx.FOCUS:
            if any(c in text.lower() for c in cues):
                return [
                    Hit(passage=p, score=1.0)
                    for p in self.index.passages_of(guide.id)
                    if section in p.section
                ]
        return []

    def next_steps(self, guide: Guide, hits: list[Hit], query: str) -> list[Hit]:
        wanted = [GUIDE_STEPS, GUIDE_WHERE] if any(w in query for w in lx.HOW_TO) else [GUIDE_WHERE]
        if any(w in query for w in lx.MATERIALS):
            wanted.insert(0, GUIDE_MATERIALS)
        return [h for s in wanted if (h := self.section(guide.id, s))]


def _guide_keywords(guides: list[Guide]) -> Lexicon:
    """Keywords that name one guide: listed by no other, two Han characters or three Latin letters
    at least ("融资担保" is in three guides, "PC" is too short), and no profile word."""
    owners: dict[str, set[str]] = {}
    for g in guides:
        for k in g.keywords:
            owners.setdefault(norm(k), set()).add(g.id)
    # A track, need or want word ("融资", "算力") says what the team does or lacks, not which guide.
    profile_words = {v for table in (lx.TRACKS, lx.NEEDS, lx.WANTS) for vs in table.values() for v in vs}

    def names_one(k: str) -> bool:
        long = len(lx.HAN.findall(k)) >= 2 or len(re.findall(r"[A-Za-z]", k)) >= 3
        return long and len(owners[k]) == 1 and k not in profile_words

    return Lexicon({g.id: [k for k in map(norm, g.keywords) if names_one(k)] for g in guides})
