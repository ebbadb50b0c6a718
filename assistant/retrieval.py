"""The passages a policy answer is drawn from: the search with the assistant's weights, the guide a
question is about and its sections, and the official sentence a sample sentence restates."""

from __future__ import annotations

import re

import numpy as np

from knowledge.catalog import GUIDE_MATERIALS, GUIDE_STEPS, GUIDE_WHERE, Catalog, Fund, Guide, Park
from knowledge.index import KnowledgeIndex
from knowledge.search import Filters, search
from knowledge.sentences import split_sentences
from knowledge.types import Hit, Passage

from . import lexicon as lx
from . import understand as und
from .asking import question_part
from .citations import HOME_REGIONS
from .compose import OFFICIAL_KINDS, restates
from .normalize import Normalizer
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


class Retrieval:
    def __init__(self, index: KnowledgeIndex, catalog: Catalog, normalize: Normalizer) -> None:
        self.index = index
        self.catalog = catalog
        self.normalize = normalize
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
        return self.search(search_query(question, lang, und.topic_terms(question)), k=k)

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
        the best BM25 passages of policy and law texts, and in them the sentence covering most of it."""
        if len(sentence) < RESTATE_CHARS:
            return None
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
