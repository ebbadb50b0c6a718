"""The replies that give a conversation to a person: the handoff ticket, the care reply to distress
(acknowledged, then what the policy offers, then a person), and the line while staff have it."""

from __future__ import annotations

from collections.abc import Callable

from knowledge.catalog import Catalog
from knowledge.types import Hit

from . import scope
from . import understand as und
from .citations import CitationList
from .handoff import PHRASE, PRIORITY, REASON_NAMES, center_dict, contact_line, suggest_center
from .passages import best_sentences, query_weights
from .phrases import phrases
from .privacy import mask_pii
from .reply import Handoff, Reply
from .store import Store
from .turn import Turn, reply_to

Search = Callable[..., list[Hit]]


class Escalation:
    def __init__(self, store: Store, catalog: Catalog, search: Search) -> None:
        self.store = store
        self.catalog = catalog
        self.search = search

    def handoff(self, t: Turn, reason: str, topics: list[str], key: str | None = None) -> Reply:
        ph = phrases(t.lang)
        existing = self.store.open_handoff_for_session(t.session_id)
        if existing:
            text = ph.get(
                "handoff_existing",
                center=existing.center_name,  # type: ignore[arg-type]  # unchecked before the split too
                ticket=existing.number or existing.id,
            )
            reply = reply_to(t, text, "handoff", 1.0)
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
        reply = reply_to(t, ph.get(key, **values), "handoff", 1.0)
        reply.handoff = Handoff(
            id=ticket.id, number=ticket.number, reason=reason, center=cdict, status=ticket.status
        )
        return reply

    def care(self, t: Turn) -> Reply:
        """Distress: acknowledged first, then what the policy offers people who start again, then a person."""
        ph = phrases(t.lang)
        reply = self.handoff(t, "sensitive", [], key="handoff_care")
        hits = self.search(scope.care_query(), k=1, kinds=("policy",))
        cites = CitationList()
        quote = ""
        if hits:
            picked = best_sentences(hits[0], query_weights(scope.care_query()), limit=1)
            quote = "".join(x + cites.mark(hits[0]) for x in picked)
        reply.answer = "\n\n".join(x for x in (ph.get("care"), quote, reply.answer) if x)
        reply.citations = cites.items()
        return reply


def staff_have_it(t: Turn, held) -> Reply:
    ph = phrases(t.lang)
    reply = reply_to(
        t, ph.get("staff_have_it", center=held.center_name, ticket=held.number or held.id), "handoff", 1.0
    )
    reply.handoff = held.as_reply_handoff()
    return reply


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
