"""Assistant.respond(session, text) -> Reply: understand → retrieve → route → compose → escalate.

Knows nothing of HTTP or Telegram: connectors call `respond` and deliver the Reply. The turn is
dispatched here; the paths it takes live beside it: `answering` (the policy answer), `retrieval`
(the passages), `route_replies` (park and fund cards), `escalation` (a person takes over), `turn`.
"""

from __future__ import annotations

import logging
import time

from knowledge.catalog import Catalog
from knowledge.errors import RongchuangError
from knowledge.index import KnowledgeIndex
from knowledge.tokenize import tokens
from knowledge.types import Hit

from . import lexicon as lx
from . import scope
from . import understand as und
from .answering import PolicyAnswers
from .asking import asking_sentence, asks, is_asking_word, question_part, vague_words_longest_first
from .compose import Composer, ExtractiveComposer
from .curated import CuratedAnswers
from .escalation import Escalation, staff_have_it
from .facts import asked_facts
from .guard import is_injection
from .handoff import Signals, decide
from .intents import model_for, referral_model
from .normalize import Normalizer
from .passages import best_sentences, body_sentences
from .phrases import phrases
from .privacy import mask_pii
from .reply import Profile, Reply
from .retrieval import Retrieval
from .route_replies import Routes
from .settings import Settings
from .store import Store
from .turn import Turn, TurnState, reply_to, search_query

log = logging.getLogger("rongchuang.assistant")
# A complaint word counts when its examples lead the policy examples by this much (dev: complaints
# lead by 0.03–0.09; "自己攒数据太慢了" in a story about the team by 0.002).
COMPLAINT_LEAD = 0.01
SHORT_QUESTION = 12  # Han characters
REFERRAL_FLOOR = 0.87  # e5 puts unrelated Chinese sentences near 0.84


class MessageError(RongchuangError):
    """A message we refuse to process (empty, too long); the text says what to do."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


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
        self.retrieval = Retrieval(index, catalog, self.normalize)  # teaches the catalog's names
        self.routes = Routes(index, catalog, self.retrieval.restated)
        self.escalation = Escalation(store, catalog, self.retrieval.search)
        self.policy = PolicyAnswers(
            self.retrieval, self.composer, self.extractive, self.curated, self.routes, self.escalation
        )

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
        reply = self.escalation.handoff(turn, reason, [])
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
            return reply_to(t, ph.get("injection_refusal"), "out_of_scope", 1.0)
        if held := self.store.open_handoff_for_session(t.session_id):
            return staff_have_it(t, held)  # a person has the conversation: do not talk over them
        followup = und.is_followup(t.text) and t.state.has_context
        t.question = question_part(t.text)
        # "想了解宣传视频征集，也想找个园区": the cards answer one clause, the policy the others.
        parks, funds = und.routes_asked(t.question)
        others = "" if followup else und.policy_clauses(t.question)
        if others:
            t.question = others
        topics = und.topic_terms(t.question)
        carried = t.state.topics if followup else []
        t.query = search_query(t.question, t.lang, topics, t.state.subject if followup else None, carried)
        # What the message asks for is read from its asking part: "……想尽早拿到投资。听说有路演，多久办
        # 一次？" asks about the roadshow, not for a fund. Complaints and sensitive matters count anywhere.
        about = " ".join([*t.state.topics, t.state.subject or ""]) if followup else ""
        t.intent = und.classify_intent(t.question, t.profile, has_context=t.state.has_context, context=about)
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
            # A short question with no complaint word ("补贴多久到账？") asks; a complaint tells a story.
            if t.labels == ["complaint"] and asks(t.text) and len(lx.HAN.findall(t.text)) <= SHORT_QUESTION:
                t.labels = []
        # A message that names nothing ("在不在，有个事想问一哈") reads like anything; without a rule's
        # word for a person or a complaint it is not one: it gets the clarifying question.
        vague = not followup and self._vague(t)
        if vague:
            t.labels = [x for x in t.labels if x not in ("handoff", "complaint")]
        # A complaint word alone ("自己攒数据太慢了") is not a complaint: the examples must agree that the
        # message sounds more like one than like a policy question.
        complained = t.intent == "complaint" and (
            not scores or scores.get("complaint", 0.0) >= scores.get("policy", 0.0) + COMPLAINT_LEAD
        )
        if t.intent == "complaint" and not complained:  # still a person when asked for one
            t.intent = "handoff" if und.asks_for_person(t.text) else "policy_question"
        ruling = und.is_eligibility_ruling_request(t.text)
        signals = Signals(
            # "我的申请到哪一步了" reads like the ask-for-a-person examples; the rule says why: a status.
            explicit_request=t.intent == "handoff" or ("handoff" in t.labels and not ruling),
            complaint=complained or "complaint" in t.labels,
            eligibility_ruling=ruling,
            sensitive=und.is_sensitive(t.text),
        )
        if "distress" in t.labels and not signals.sensitive:
            return self.escalation.care(t)
        if reason := decide(signals):
            return self.escalation.handoff(t, reason, und.topic_terms(t.text))
        if t.intent == "smalltalk":
            return reply_to(t, ph.get(_smalltalk_key(t.text)), "smalltalk", 1.0)
        if t.intent == "out_of_scope" or ("out_of_scope" in t.labels and not und.is_business(t.text)):
            return reply_to(t, ph.get("out_of_scope"), "out_of_scope", 1.0)
        if "personal" in t.labels or scope.names_personal(t.text):
            where = scope.referral(t.text, self._nearest_referral(t.query))
            return reply_to(t, ph.get("personal_referral", where=where), "out_of_scope", 1.0)
        places = scope.other_places(t.text)
        if places and not scope.names_home(t.text):
            return reply_to(t, ph.get("other_city"), "out_of_scope", 1.0)
        parks = parks or (bool(t.profile.track) and und.names_park(t.question))
        subject = [x for x in und.topic_terms(t.question, asked_only=True) if x not in self.retrieval.names]
        # "路演和融资对接一般多久办一次？" asks a fact of the policy, not for fund cards alone.
        fact = bool(asked_facts(asking_sentence(t.question)))
        if (
            t.intent in ("park_routing", "fund_routing")
            and not (subject and asks(t.text))
            and not others
            and not fact
        ):
            return self.routes.parks(t) if t.intent == "park_routing" else self.routes.funds(t)
        if vague:  # "有啥好处可以拿": one question with choices, not a guess
            return reply_to(t, ph.get("clarify"), "policy_question", 0.5)
        reply = self.policy.answer(t, followup, changed)
        if (parks or funds) and reply.intent == "policy_question" and reply.confidence >= 0.3:
            self.routes.attach(t, reply, parks=parks, funds=funds)  # both needs, one reply
        if places and reply.intent == "policy_question":  # "上海和成都哪个…": Chengdu's side, said so
            reply.answer = ph.get("other_city_partial", city="、".join(places)) + "\n" + reply.answer
        return reply

    def _vague(self, t: Turn) -> bool:
        """Nothing to go on: no track known, no topic named, and only vague words (knowledge/dict/vague.txt)."""
        if t.profile.track or t.profile.needs or und.topic_terms(t.question):
            return False
        if "vague" in t.labels:  # it reads like the vague example sentences
            return True
        # Read by the characters left, not by tokens: the segmenter joins "有个事想问一哈" into 事想.
        rest = t.question.lower()
        for w in vague_words_longest_first():
            rest = rest.replace(w, " ")
        words = [w for w in tokens(rest) if len(w) > 1 and not is_asking_word(w)]
        return not words

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

    def _nearest_referral(self, query: str) -> str | None:
        """The referral class (scope.toml) whose examples the turn's vector is closest to, if close."""
        embedder = self.index.embedder
        try:
            model = referral_model(embedder, self.settings.data_dir)
        except RongchuangError as exc:
            log.warning("referral examples unusable, words only: %s", exc)
            return None
        return model.nearest(embedder.embed_query(query), REFERRAL_FLOOR) if model else None

    def retrieve(self, question: str, k: int = 5) -> list[Hit]:
        """The passages a standalone policy question is answered from (see Retrieval.retrieve); a
        distress message is answered from the care search, so that is what it is measured on."""
        text = question_part(self.normalize(question).text)
        labels, _ = self._labels(search_query(text, und.detect_language(question), und.topic_terms(text)))
        if labels[:1] == ["distress"] and not und.is_sensitive(question):
            return self.retrieval.search(scope.care_query(), k=k, kinds=("policy",))
        return self.retrieval.retrieve(question, k=k)


def _smalltalk_key(text: str) -> str:
    low = text.lower()
    if any(w in low for w in lx.THANKS):
        return "thanks"
    if any(w in low for w in lx.IDENTITY):
        return "identity"
    return "greeting"


__all__ = ["Assistant", "MessageError", "best_sentences", "body_sentences"]
