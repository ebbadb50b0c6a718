"""Assistant.respond(session, text) -> Reply: understand → retrieve → route → compose → escalate.

Knows nothing of HTTP or Telegram: connectors call `respond` and deliver the Reply.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from knowledge.catalog import Catalog, Guide
from knowledge.errors import RongchuangError
from knowledge.index import KnowledgeIndex
from knowledge.search import Filters, search
from knowledge.sentences import split_sentences
from knowledge.tokenize import tokens
from knowledge.types import Hit, Passage

from . import lexicon as lx
from . import scope
from . import understand as und
from .asking import asks, is_asking_word, question_part, vague_words
from .citations import HOME_REGIONS, CitationList
from .compose import (
    HEDGE_BELOW,
    OFFICIAL_KINDS,
    Composer,
    ComposeRequest,
    ExtractiveComposer,
    best_sentences,
    body_sentences,
    query_weights,
    restates,
    retrieval_confidence,
)
from .curated import CuratedAnswers
from .eligibility import walk
from .guard import is_injection
from .handoff import PHRASE, PRIORITY, Signals, center_dict, contact_line, decide, suggest_center
from .intents import model_for
from .normalize import Normalizer
from .phrases import phrases
from .privacy import mask_pii
from .reply import Citation, Handoff, Profile, Reply
from .route import match_funds, match_parks
from .settings import Settings
from .store import Store

log = logging.getLogger("rongchuang.assistant")
# Near a tie, the official clause is quoted before the sample guide that paraphrases it (eval on the
# golden set: 0.97 raised MRR 0.963 → 0.972 and answer_evidence 0.958 → 0.972; 0.93 lowered citation
# precision). A real demotion hid evidence that the guides quote (see knowledge.search.SAMPLE_WEIGHT).
SAMPLE_TIE = 0.97
# A sample sentence restates an official one when this share of its bigrams is in it (see compose.restates).
RESTATE_MIN = 0.6
# A complaint word counts when its examples lead the policy examples by this much (dev: complaints
# lead by 0.03–0.09; "自己攒数据太慢了" in a story about the team by 0.002).
COMPLAINT_LEAD = 0.01
RESTATE_CHARS = 12
RESTATE_DEPTH = 5
OTHER_REGION_PENALTY = 0.8
REASON_NAMES = {
    "user_request": "创业者要求转人工",
    "complaint": "投诉或纠纷",
    "eligibility": "需要个人资格判断或办理进度",
    "sensitive": "敏感问题",
    "low_confidence": "连续两次没找到可靠答案",
}
LOW_CONFIDENCE = HEDGE_BELOW  # a hedged answer counts: two in a row go to a person


class MessageError(RongchuangError):
    """A message we refuse to process (empty, too long); the text says what to do."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class TurnState:
    topics: list[str] = field(default_factory=list)
    low_streak: int = 0
    parks: list[str] = field(default_factory=list)
    guide: str | None = None  # the service guide the conversation is about
    subject: str = ""  # the last question that had a subject of its own, for follow-ups

    @classmethod
    def load(cls, raw: dict | None) -> TurnState:
        raw = raw or {}
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})

    def dump(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def has_context(self) -> bool:
        return bool(self.topics or self.subject)


@dataclass
class Turn:
    session_id: str
    text: str
    lang: str
    profile: Profile
    state: TurnState
    intent: str = "policy_question"
    question: str = ""  # the asking part of the message (all of it when short): what is searched
    query: str = ""  # what the turn searches and embeds, once
    labels: list[str] = field(default_factory=list)  # what the example sentences read it as


def _search_query(
    text: str, lang: str, topics: list[str], subject: str | None = None, carried: list[str] | None = None
) -> str:
    """A follow-up (given the previous question's `subject` and `carried` topics) without a topic of
    its own searches with that subject; English questions also search with the Chinese names of their
    topics, or of the carried ones ("How do we apply?"), because the KB is Chinese."""
    query = f"{subject} {text}" if subject and not topics else text
    names = topics or carried or []
    if lang == "en" and names:
        query = f"{' '.join(names)} {query}"
    return query


class Assistant:
    def __init__(
        self,
        index: KnowledgeIndex,
        catalog: Catalog,
        store: Store,
        settings: Settings | None = None,
        composer: Composer | None = None,
    ) -> None:
        self.index = index
        self.catalog = catalog
        self.store = store
        self.settings = settings or Settings()
        # the fallback; the registry's extractive composer is the same thing, so it is that one
        self.extractive = composer if isinstance(composer, ExtractiveComposer) else ExtractiveComposer()
        self.composer = composer or self.extractive
        self.normalize = Normalizer.for_catalog(catalog)
        self.curated = CuratedAnswers(
            store,
            index.embedder,
            data_dir=self.settings.data_dir,
            per_hour=self.settings.corrections_per_hour,
        )
        und.use_dictionary(self.settings.dict_dir)
        self._learn_names()

    def _learn_names(self) -> None:
        """Park and fund names and their aliases are topics, the names single tokens, so
        "示例·低空经济产业园" is one thing. An alias the dictionary reads as another topic stays that
        topic ("科创贷" is the 科创贷 topic, whose guide answers it). Guide keywords that name one guide
        only pick it when nothing else does (see _guide_for)."""
        from knowledge.tokenize import add_words

        named = [*self.catalog.parks.values(), *self.catalog.funds.values()]
        self._names = {x.name for x in named}
        aliases = {x.name: [a for a in x.aliases if set(und.topic_terms(a)) <= {x.name}] for x in named}
        und.add_topic_terms(aliases)
        # An alias the documents do not spell ("AI产业园") searches with the name they do use.
        self._aliases = und.Lexicon({n: [a for a in al if a not in n] for n, al in aliases.items()})
        add_words([x.name.replace("示例·", "") for x in named])
        self._guide_words = _guide_keywords(list(self.catalog.guides.values()))

    # public ----------------------------------------------------------------------------------
    def respond(self, session_id: str | None, text: str, channel: str = "web") -> Reply:
        text = self._validate(text)
        sess = self.store.get_or_create_session(session_id, channel=channel)
        started = time.perf_counter()
        norm = self.normalize(text)  # understanding and search read this; the transcript keeps `text`
        turn = Turn(
            sess.id,
            norm.text,
            und.detect_language(text),
            Profile(**(sess.profile or {})),
            TurnState.load(sess.state),
        )
        turn.profile, changed = und.extract_profile(norm.text, turn.profile)
        self.store.add_message(sess.id, "founder", text)
        reply = self._turn(turn, changed)
        reply.notes = [*reply.notes, *norm.notes()]
        self.store.record_answer(
            sess.id,
            reply.answer,
            reply.model_dump(mode="json"),
            profile=reply.profile.model_dump(),
            state=turn.state.dump(),
        )
        log.info(
            "turn %s intent=%s conf=%.2f %.0fms q=%s%s",
            sess.id,
            reply.intent,
            reply.confidence,
            (time.perf_counter() - started) * 1000,
            mask_pii(text)[:80],
            f" normalized={len(norm.changes)}" if norm.changes else "",
        )
        return reply

    def request_handoff(self, session_id: str, reason: str = "user_request") -> Reply:
        """The 转人工 button: same ticket as asking in words."""
        sess = self.store.get_or_create_session(session_id)
        turn = Turn(sess.id, "", "zh", Profile(**(sess.profile or {})), TurnState.load(sess.state))
        reply = self._handoff(turn, reason, [])
        self.store.add_message(sess.id, "assistant", reply.answer, payload=reply.model_dump(mode="json"))
        return reply

    # the turn --------------------------------------------------------------------------------
    def _validate(self, text: str) -> str:
        # The limit counts the message as sent (the API schema's maxLength does too), spaces included.
        text = text or ""
        if not text.strip():
            raise MessageError("消息是空的，请输入你的问题。")
        if len(text) > self.settings.max_message_chars:
            raise MessageError(
                f"消息太长了（{len(text)} 字），请控制在 {self.settings.max_message_chars} 字以内，"
                "或者分几次问。",
                status=413,
            )
        return text.strip()

    def _turn(self, t: Turn, changed: list[str]) -> Reply:
        ph = phrases(t.lang)
        if is_injection(t.text):
            return self._reply(t, ph.get("injection_refusal"), "out_of_scope", 1.0)
        if held := self.store.open_handoff_for_session(t.session_id):
            return self._staff_have_it(t, held)  # a person has the conversation: do not talk over them
        followup = und.is_followup(t.text) and t.state.has_context
        t.question = question_part(t.text)
        topics = und.topic_terms(t.question)
        carried = t.state.topics if followup else []
        t.query = _search_query(t.question, t.lang, topics, t.state.subject if followup else None, carried)
        # What the message asks for is read from its asking part: "……想尽早拿到投资。听说有路演，多久办
        # 一次？" asks about the roadshow, not for a fund. Complaints and sensitive matters count anywhere.
        t.intent = und.classify_intent(t.question, t.profile, has_context=t.state.has_context)
        if t.intent not in ("complaint", "handoff") and t.question != t.text:
            whole = und.classify_intent(t.text, t.profile, has_context=t.state.has_context)
            t.intent = whole if whole in ("complaint", "handoff") else t.intent
        scores: dict[str, float] = {}
        if not followup:
            t.labels, scores = self._labels(t.query)
            # The nearest class alone counts, and only where the rules found nothing else to do: the
            # examples widen the rules, never overrule routing.
            # Distress outranks a complaint word: "钱全赔进去了，我觉得自己特别没用" needs care first.
            keep = t.intent == "policy_question" or (t.intent == "complaint" and t.labels[:1] == ["distress"])
            t.labels = t.labels[:1] if keep else []
        # A complaint word alone ("自己攒数据太慢了") is not a complaint: the examples must agree that the
        # message sounds more like one than like a policy question.
        complained = t.intent == "complaint" and (
            not scores or scores.get("complaint", 0.0) >= scores.get("policy", 0.0) + COMPLAINT_LEAD
        )
        if t.intent == "complaint" and not complained:
            t.intent = "policy_question"
        ruling = und.is_eligibility_ruling_request(t.text)
        signals = Signals(
            # "我的申请到哪一步了" reads like the ask-for-a-person examples; the rule says why: a status.
            explicit_request=t.intent == "handoff" or ("handoff" in t.labels and not ruling),
            complaint=complained or "complaint" in t.labels,
            eligibility_ruling=ruling,
            sensitive=und.is_sensitive(t.text),
        )
        if "distress" in t.labels and not signals.sensitive:
            return self._care(t)
        if reason := decide(signals):
            return self._handoff(t, reason, und.topic_terms(t.text))
        if t.intent == "smalltalk":
            return self._reply(t, ph.get(_smalltalk_key(t.text)), "smalltalk", 1.0)
        if t.intent == "out_of_scope" or ("out_of_scope" in t.labels and not und.is_business(t.text)):
            return self._reply(t, ph.get("out_of_scope"), "out_of_scope", 1.0)
        if "personal" in t.labels or lx.PERSONAL.search(t.text):
            return self._reply(
                t, ph.get("personal_referral", where=scope.referral(t.text)), "out_of_scope", 1.0
            )
        places = scope.other_places(t.text)
        if places and not scope.names_home(t.text):
            return self._reply(t, ph.get("other_city"), "out_of_scope", 1.0)
        parks, funds = und.routes_asked(t.question)
        parks = parks or (bool(t.profile.track) and und.names_park(t.question))
        subject = [x for x in und.topic_terms(t.question, asked_only=True) if x not in self._names]
        if t.intent in ("park_routing", "fund_routing") and not (subject and asks(t.text)):
            return self._parks(t) if t.intent == "park_routing" else self._funds(t)
        if not followup and self._vague(t):  # "有啥好处可以拿": one question with choices, not a guess
            return self._reply(t, ph.get("clarify"), "policy_question", 0.5)
        reply = self._policy(t, followup, changed)
        if (parks or funds) and reply.intent == "policy_question" and reply.confidence >= 0.3:
            self._attach_routes(t, reply, parks=parks, funds=funds)  # both needs, one reply
        if places and reply.intent == "policy_question":  # "上海和成都哪个…": Chengdu's side, said so
            reply.answer = ph.get("other_city_partial", city="、".join(places)) + "\n" + reply.answer
        return reply

    def _vague(self, t: Turn) -> bool:
        """Nothing to go on: no track known, no topic named, and only vague words (knowledge/dict/vague.txt)."""
        if t.profile.track or t.profile.needs or und.topic_terms(t.question):
            return False
        if "vague" in t.labels:  # it reads like the vague example sentences
            return True
        words = [w for w in tokens(t.question) if len(w) > 1 and not is_asking_word(w)]
        return all(w in vague_words() for w in words)

    def _labels(self, query: str) -> tuple[list[str], dict[str, float]]:
        """The turn's one embedding (cached by text, reused by dense search) read against the examples:
        the labels it reads as, and each label's best similarity."""
        embedder = self.index.embedder
        try:
            model = model_for(embedder, self.settings.data_dir)
        except RongchuangError as exc:
            log.warning("intent examples unusable, rules only: %s", exc)
            return [], {}
        vec = embedder.embed_query(query)
        return model.read(vec), model.scores(vec)

    def _staff_have_it(self, t: Turn, held) -> Reply:
        ph = phrases(t.lang)
        reply = self._reply(
            t, ph.get("staff_have_it", center=held.center_name, ticket=held.number or held.id), "handoff", 1.0
        )
        reply.handoff = held.as_reply_handoff()
        return reply

    def _care(self, t: Turn) -> Reply:
        """Distress: acknowledged first, then what the policy offers people who start again, then a person."""
        ph = phrases(t.lang)
        reply = self._handoff(t, "sensitive", [], key="handoff_care")
        hits = self._search(scope.care_query(), k=1, kinds=("policy",))
        cites = CitationList()
        quote = ""
        if hits:
            picked = best_sentences(hits[0], query_weights(scope.care_query()), limit=1)
            quote = "".join(x + cites.mark(hits[0]) for x in picked)
        reply.answer = "\n\n".join(x for x in (ph.get("care"), quote, reply.answer) if x)
        reply.citations = cites.items()
        return reply

    def _policy(self, t: Turn, followup: bool, changed: list[str]) -> Reply:
        q = t.question  # the asking part: cue words in the story before it do not steer the answer
        topics = und.topic_terms(q)
        if topics:
            t.state.topics = topics
        if set(changed) - {"needs"} and not asks(t.text):
            return self._profile_update(t)
        # "那怎么申请？" means the previous question's subject: t.query searches with it.
        carried = t.state.topics if followup else []
        query = t.query
        en_terms = (topics or carried) if t.lang == "en" else []
        if curated := self._curated(t):
            return curated
        asked = und.topic_terms(q, asked_only=True)  # "还没注册公司，有什么支持？" asks nothing specific
        generic = bool(t.profile.track) and not asked and any(w in q for w in lx.GENERIC_SUPPORT)
        if generic:  # "what support is there for us?": the policy's own words on this track first
            query = f"{t.profile.track} {q}"
            hits = self._search(query, kinds=("policy",)) or self._search(query)
        else:
            hits = self._search(query)
        conf = retrieval_confidence(hits, " ".join(en_terms) if en_terms else query, self.index.idf)
        guide, named = self._guide_for(hits, topics, followup and t.state.guide, q)
        req = ComposeRequest(
            question=q,
            query=query,
            lang=t.lang,
            hits=hits,
            confidence=conf,
            profile=t.profile,
            restated=self._restated,
        )
        if not followup:
            t.state.guide = guide.id if guide else None
        if guide:
            if named and (
                focus := self._focus(guide, q)
            ):  # only a guide the question is about  # "需要什么材料？" → the guide's materials, first
                ids = {h.passage.passage_id for h in focus}
                for h in focus:
                    h.score, h.extra = (hits[0].score if hits else 1.0), {"cosine": None, "focus": True}
                req.hits = [*focus, *(h for h in hits if h.passage.passage_id not in ids)]
            if followup or any(w in q.lower() for w in lx.NEXT_CUES):  # not for "does the policy…?"
                req.next_steps = self._next_steps(guide, hits, query)
            if any(w in q for w in lx.CONDITIONS):
                req.eligibility, req.ask = walk(
                    guide, t.profile, self._section(guide.id, "谁可以申请"), t.lang
                )
        composed = self._compose(req)
        if not followup and conf >= 0.3:
            t.state.subject = q
        if composed.handoff_reason:
            return self._handoff(t, composed.handoff_reason, topics)
        if generic and conf < LOW_CONFIDENCE:  # "有什么支持？" with no clause that fits: the routes answer it
            routed = self._reply(t, "", "policy_question", conf, [])
            self._attach_routes(t, routed)
            if routed.parks or routed.funds:
                t.state.low_streak = 0
                return routed
        t.state.low_streak = t.state.low_streak + 1 if conf < LOW_CONFIDENCE else 0
        if t.state.low_streak >= 2:
            t.state.low_streak = 0
            return self._handoff(t, "low_confidence", topics)
        reply = self._reply(t, composed.answer, "policy_question", conf, composed.citations)
        reply.eligibility, reply.mode, reply.notes = composed.eligibility, composed.mode, composed.notes
        if generic and conf >= 0.3:
            self._attach_routes(t, reply)
        return reply

    def _profile_update(self, t: Turn) -> Reply:
        """A message that only tells us about the team: confirm, and route if we can."""
        ph = phrases(t.lang)
        reply = self._reply(
            t, ph.get("profile_updated", profile=und.summarize_profile(t.profile)), "policy_question", 0.9
        )
        if t.profile.track:
            reply.intent = "park_routing"
            self._attach_routes(t, reply, funds=False)
        return reply

    def _compose(self, req: ComposeRequest):
        if self.composer is self.extractive:
            return self.extractive.compose(req)
        try:
            return self.composer.compose(req)
        except Exception as exc:  # any LLM failure: the founder still gets the extractive answer
            log.warning("composer %s failed, falling back: %s", self.composer.mode, exc)
            composed = self.extractive.compose(req)
            composed.notes.append(f"llm_fallback: {type(exc).__name__}: {str(exc)[:200]}")
            return composed

    # retrieval helpers -----------------------------------------------------------------------
    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The passages a standalone policy question is answered from: the query the turn would build
        and the same ranking (what `rongchuang eval` measures as hit@k)."""
        lang = und.detect_language(question)
        question = question_part(self.normalize(question).text)
        return self._search(_search_query(question, lang, und.topic_terms(question)), k=k)

    def _search(self, query: str, k: int = 8, **filters) -> list[Hit]:
        names = [h.value for h in self._aliases.hits(_norm(query)) if h.value not in query]
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

    def _guide_for(
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
            g = self.catalog.guides.get(hits[0].passage.doc_id)
            if g:
                return g, any(w and w in question for w in (g.topic, *g.keywords))
        found = self._guide_words.hits(_norm(question))  # a keyword only one guide lists
        return (self.catalog.guides.get(found[0].value), True) if found else (None, False)

    def _restated(self, sentence: str) -> tuple[Hit, str] | None:
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

    def _section(self, doc_id: str, needle: str) -> Hit | None:
        for p in self.index.passages_of(doc_id):
            if needle in p.section:
                return Hit(passage=p, score=1.0)
        return None

    def _focus(self, guide: Guide, text: str) -> list[Hit]:
        """All passages of the guide section the question asks for (a long one is cut in several)."""
        for cues, section in lx.FOCUS:
            if any(c in text.lower() for c in cues):
                return [
                    Hit(passage=p, score=1.0)
                    for p in self.index.passages_of(guide.id)
                    if section in p.section
                ]
        return []

    def _next_steps(self, guide: Guide, hits: list[Hit], query: str) -> list[Hit]:
        wanted = ["办理流程", "在哪里办"] if any(w in query for w in lx.HOW_TO) else ["在哪里办"]
        if any(w in query for w in lx.MATERIALS):
            wanted.insert(0, "需要准备的材料")
        return [h for s in wanted if (h := self._section(guide.id, s))]

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
        return self._reply(t, answer, "policy_question", 0.95, [cit])

    # routing ---------------------------------------------------------------------------------
    def _parks(self, t: Turn) -> Reply:
        ph = phrases(t.lang)
        if not t.profile.track:
            return self._reply(t, ph.get("ask_track"), "park_routing", 0.5)
        reply = self._reply(t, "", "park_routing", 0.9)
        self._attach_routes(t, reply, funds=False)
        if not reply.parks:
            reply.answer = ph.get("no_answer")
            reply.confidence = 0.2
        return reply

    def _funds(self, t: Turn) -> Reply:
        ph = phrases(t.lang)
        if not (t.profile.stage or t.profile.needs):
            return self._reply(t, ph.get("ask_stage"), "fund_routing", 0.5)
        reply = self._reply(t, "", "fund_routing", 0.9)
        self._attach_routes(t, reply, parks=False)
        if not reply.funds:
            reply.answer = ph.get("no_answer")
            reply.confidence = 0.2
        return reply

    def _attach_routes(self, t: Turn, reply: Reply, parks: bool = True, funds: bool = True) -> None:
        """Park and fund cards, with their lines appended to the answer, each line cited."""
        from .routing_text import fund_lines, park_lines

        ph = phrases(t.lang)
        cites = CitationList()
        for c in reply.citations:  # keep the numbers the answer already uses
            cites.mark(Hit(passage=_passage_from(c), score=c.score))
        blocks = [reply.answer] if reply.answer else []
        profile_text = und.summarize_profile(t.profile)
        if parks and (matches := match_parks(t.profile, self.catalog)):
            lines, reply.parks = park_lines(matches, self.index, cites, t.profile, self._restated)
            lead_key = "parks_lead" if len(reply.parks) > 1 else "parks_lead_one"
            if lines:
                blocks.append(ph.get(lead_key, profile=profile_text) + "\n" + lines)
            t.state.parks = [m.park.id for m in matches]
        if funds and (fmatches := match_funds(t.profile, self.catalog)):
            lines, reply.funds = fund_lines(fmatches, self.index, cites, self._restated)
            lead = ph.get("funds_also") if reply.parks else ph.get("funds_lead", profile=profile_text)
            blocks.append(lead + "\n" + lines)
        reply.answer = "\n\n".join(blocks)
        reply.citations = cites.items()
        if any(c.sample for c in reply.citations) and ph.get("sample_note") not in reply.answer:
            reply.answer += "\n\n" + ph.get("sample_note")

    # handoff ---------------------------------------------------------------------------------
    def _handoff(self, t: Turn, reason: str, topics: list[str], key: str | None = None) -> Reply:
        ph = phrases(t.lang)
        existing = self.store.open_handoff_for_session(t.session_id)
        if existing:
            text = ph.get(
                "handoff_existing", center=existing.center_name, ticket=existing.number or existing.id
            )
            reply = self._reply(t, text, "handoff", 1.0)
            reply.handoff = existing.as_reply_handoff()
            return reply
        center = suggest_center(self.catalog, t.profile, topics or t.state.topics, t.state.parks, t.text)
        cdict = center_dict(center)
        history = self.store.messages(t.session_id)
        citations = _last_citations(history)
        summary = _summary(t, history, reason)
        ticket = self.store.create_handoff(
            t.session_id,
            reason=reason,
            summary=summary,
            profile=t.profile.model_dump(),
            transcript=None,
            citations=citations,
            center=cdict,
            priority=PRIORITY[reason],
        )
        key = key or PHRASE[reason]
        values = {"center": cdict["name"], "ticket": ticket.number or ticket.id}
        if key == "handoff_created":
            values["contact"] = contact_line(ph, cdict["contact"])
        reply = self._reply(t, ph.get(key, **values), "handoff", 1.0)
        reply.handoff = Handoff(
            id=ticket.id, number=ticket.number, reason=reason, center=cdict, status=ticket.status
        )
        return reply

    def _reply(
        self, t: Turn, answer: str, intent: str, confidence: float, citations: list[Citation] | None = None
    ) -> Reply:
        return Reply(
            session_id=t.session_id,
            answer=answer,
            citations=citations or [],
            intent=intent,
            profile=t.profile,
            confidence=round(min(max(confidence, 0.0), 1.0), 3),
            mode="extractive",
        )


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()  # as understand matches


def _guide_keywords(guides: list[Guide]) -> und.Lexicon:
    """Keywords that name one guide: listed by no other, two Han characters or three Latin letters
    at least ("融资担保" is in three guides, "PC" is too short), and no profile word."""
    owners: dict[str, set[str]] = {}
    for g in guides:
        for k in g.keywords:
            owners.setdefault(_norm(k), set()).add(g.id)
    # A track, need or want word ("融资", "算力") says what the team does or lacks, not which guide.
    profile_words = {v for table in (lx.TRACKS, lx.NEEDS, lx.WANTS) for vs in table.values() for v in vs}

    def names_one(k: str) -> bool:
        long = len(lx.HAN.findall(k)) >= 2 or len(re.findall(r"[A-Za-z]", k)) >= 3
        return long and len(owners[k]) == 1 and k not in profile_words

    return und.Lexicon({g.id: [k for k in map(_norm, g.keywords) if names_one(k)] for g in guides})


def _smalltalk_key(text: str) -> str:
    low = text.lower()
    if any(w in low for w in lx.THANKS):
        return "thanks"
    if any(w in low for w in lx.IDENTITY):
        return "identity"
    return "greeting"


def _passage_from(c: Citation) -> Passage:
    from knowledge.types import DocMeta

    meta = DocMeta(
        doc_id=c.doc_id,
        kind=c.kind,
        title=c.title,
        doc_number=c.doc_number,
        region=c.region,
        sample=c.sample,
        review="pending" if c.pending else "confirmed",
    )
    return Passage(
        passage_id=f"{c.doc_id}@{c.section}@{c.n}",
        doc_id=c.doc_id,
        seq=0,
        section=c.section,
        text=c.text,
        meta=meta,
    )


def _last_citations(history) -> list[dict]:
    for m in reversed(history):
        if m.role == "assistant" and m.payload and m.payload.get("citations"):
            return m.payload["citations"]
    return []


def _summary(t: Turn, history, reason: str) -> str:
    questions = [m.text for m in history if m.role == "founder"][-3:]
    profile = und.summarize_profile(t.profile)
    asked = " / ".join(mask_pii(q)[:60] for q in questions) or "（通过转人工按钮发起）"
    return f"原因：{REASON_NAMES.get(reason, reason)}。画像：{profile or '未知'}。最近的问题：{asked}"


__all__ = ["Assistant", "MessageError", "best_sentences", "body_sentences"]
