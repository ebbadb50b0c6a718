"""The policy answer: an approved staff answer, else the passages searched and the guide's sections
composed into a cited answer; a weak answer twice in a row goes to a person, and a general "有什么
支持" with no clause that fits is answered by the park and fund routes."""

from __future__ import annotations

import logging
import re

from knowledge.catalog import GUIDE_WHO
from knowledge.tokenize import tokens

from . import lexicon as lx
from . import understand as und
from .asking import asking_sentence, asks
from .compose import (
    HEDGE_BELOW,
    Composer,
    ComposeRequest,
    ExtractiveComposer,
    retrieval_confidence,
)
from .curated import CuratedAnswers
from .eligibility import walk
from .escalation import Escalation
from .facts import WHICH, asked_facts
from .phrases import phrases
from .reply import Citation, Reply
from .retrieval import Retrieval
from .route_replies import Routes
from .turn import Turn, reply_to

log = logging.getLogger("rongchuang.assistant")
LOW_CONFIDENCE = HEDGE_BELOW  # a hedged answer counts: two in a row go to a person


class PolicyAnswers:
    def __init__(
        self,
        retrieval: Retrieval,
        composer: Composer,
        extractive: ExtractiveComposer,
        curated: CuratedAnswers,
        routes: Routes,
        escalation: Escalation,
    ) -> None:
        self.retrieval = retrieval
        self.composer = composer
        self.extractive = extractive
        self.curated = curated
        self.routes = routes
        self.escalation = escalation

    def answer(self, t: Turn, followup: bool, changed: list[str]) -> Reply:
        r = self.retrieval
        q = t.question  # the asking part: cue words in the story before it do not steer the answer
        topics = und.topic_terms(q)
        if topics:
            t.state.topics = topics
        if set(changed) - {"needs"} and not asks(t.text):
            return self._profile_update(t)
        # "那怎么申请？" means the previous question's subject: t.query searches with it.
        carried = t.state.topics if followup else []
        query = t.query
        # An English question is measured on its policy words (topic names and the normaliser's
        # glosses, "filing（备案）"): its English words never occur in a Chinese passage.
        en_terms = [*(topics or carried), *_han_words(q)] if t.lang == "en" else []
        if curated := self._curated(t):
            return curated
        asked = und.topic_terms(q, asked_only=True)  # "还没注册公司，有什么支持？" asks nothing specific
        generic = bool(t.profile.track) and not asked and any(w in q for w in lx.GENERIC_SUPPORT)
        if generic:  # "what support is there for us?": the policy's own words on this track first
            query = f"{t.profile.track} {q}"
            hits = r.search(query, kinds=("policy",)) or r.search(query)
        else:
            hits = r.search(query)
        hits = r.lead_section(hits, query)
        conf = retrieval_confidence(hits, " ".join(en_terms) if en_terms else query, r.index.idf)
        guide, named = r.guide_for(hits, topics, t.state.guide if followup else None, q)
        req = ComposeRequest(
            question=q,
            query=query,
            lang=t.lang,
            hits=hits,
            confidence=conf,
            profile=t.profile,
            restated=r.restated,
            basis=r.basis,
        )
        if not followup:
            t.state.guide = guide.id if guide else None
        if guide:
            # "多久办一次" asks how often, which no guide's 在哪里办 (its 时限) answers
            often = any(f.name == "frequency" for f in asked_facts(asking_sentence(q)))
            if (
                named and not often and (focus := r.focus(guide, q))
            ):  # only a guide the question is about  # "需要什么材料？" → the guide's materials, first
                ids = {h.passage.passage_id for h in focus}
                for h in focus:
                    h.score, h.extra = (hits[0].score if hits else 1.0), {"cosine": None, "focus": True}
                req.hits = [*focus, *(h for h in hits if h.passage.passage_id not in ids)]
            # A guide's how-to follows only for a guide the question is about, asked how or where:
            # "先在哪几个区试点" asks which districts, not where to apply.
            how = WHICH.sub("", q.lower())
            if followup or (named and any(w in how for w in lx.NEXT_CUES)):  # not for "does the policy…?"
                req.next_steps = r.next_steps(guide, hits, query)
            if any(w in q for w in lx.CONDITIONS):
                req.eligibility, req.ask = walk(guide, t.profile, r.section(guide.id, GUIDE_WHO), t.lang)
        composed = self.compose(req)
        if not followup and conf >= 0.3 and asks(q):  # a statement ("只给银行做私有化部署") is no subject
            t.state.subject = q
        if composed.handoff_reason:
            return self.escalation.handoff(t, composed.handoff_reason, topics)
        if generic and conf < LOW_CONFIDENCE:  # "有什么支持？" with no clause that fits: the routes answer it
            routed = reply_to(t, "", "policy_question", conf, [])
            self.routes.attach(t, routed)
            if routed.parks or routed.funds:
                t.state.low_streak = 0
                return routed
        t.state.low_streak = t.state.low_streak + 1 if conf < LOW_CONFIDENCE else 0
        if t.state.low_streak >= 2:
            t.state.low_streak = 0
            return self.escalation.handoff(t, "low_confidence", topics)
        reply = reply_to(t, composed.answer, "policy_question", conf, composed.citations)
        reply.eligibility, reply.mode, reply.notes = composed.eligibility, composed.mode, composed.notes
        if generic and conf >= 0.3:
            self.routes.attach(t, reply)
        return reply

    def _profile_update(self, t: Turn) -> Reply:
        """A message that only tells us about the team: confirm, and route if we can."""
        ph = phrases(t.lang)
        reply = reply_to(
            t, ph.get("profile_updated", profile=und.summarize_profile(t.profile)), "policy_question", 0.9
        )
        if t.profile.track:
            reply.intent = "park_routing"
            self.routes.attach(t, reply, funds=False)
        return reply

    def compose(self, req: ComposeRequest):
        if self.composer is self.extractive:
            return self.extractive.compose(req)
        try:
            return self.composer.compose(req)
        except Exception as exc:  # any LLM failure: the founder still gets the extractive answer
            log.warning("composer %s failed, falling back: %s", self.composer.mode, exc)
            composed = self.extractive.compose(req)
            composed.notes.append(f"llm_fallback: {type(exc).__name__}: {str(exc)[:200]}")
            return composed

    def _curated(self, t: Turn) -> Reply | None:
        found = self.curated.find(t.text)  # approved answers only
        if not found:
            return None
        ph = phrases(t.lang)
        cit = Citation(
            n=1,
            doc_id=f"curated-{found.id}",
            title="服务中心答复",
            doc_number=None,
            section=f"{found.center_name or '服务中心'} {(found.reviewed_at or found.created_at):%Y-%m-%d}",
            kind="curated",
            sample=False,
            text=found.answer,
            score=1.0,
        )
        answer = f"{ph.get('curated_lead')}\n{found.answer}[1]"
        return reply_to(t, answer, "policy_question", 0.95, [cit])


def _han_words(text: str) -> list[str]:
    return [w for w in tokens(" ".join(re.findall(r"[\u4e00-\u9fff]+", text))) if len(w) >= 2]
