"""The park and fund routing replies: the cards, and their lines appended to an answer, each cited."""

from __future__ import annotations

from knowledge.catalog import Catalog
from knowledge.index import KnowledgeIndex
from knowledge.sentences import split_sentences
from knowledge.types import Hit, Passage

from . import understand as und
from .citations import CitationList
from .compose import Said, strip_markers
from .phrases import phrases
from .reply import Citation, Reply
from .route import close_fits, match_funds, match_parks
from .routing_text import Restated, fund_lines, park_lines
from .turn import Turn, reply_to

# Fund cards beside a policy answer: at most this many, each scoring this share of the best at least
# (the dev set's mixed cases listed four or five instruments after the answer; the founder asked for one).
SIDE_FUNDS, SIDE_FIT = 2, 0.75


class Routes:
    def __init__(self, index: KnowledgeIndex, catalog: Catalog, restated: Restated) -> None:
        self.index = index
        self.catalog = catalog
        self.restated = restated

    def parks(self, t: Turn) -> Reply:
        return self._cards(t, parks=True, known=bool(t.profile.track), ask="ask_track")

    def funds(self, t: Turn) -> Reply:
        return self._cards(t, parks=False, known=bool(t.profile.stage or t.profile.needs), ask="ask_stage")

    def _cards(self, t: Turn, parks: bool, known: bool, ask: str) -> Reply:
        """Park or fund cards alone; without the profile fact they rank by, one question for it."""
        ph = phrases(t.lang)
        intent = "park_routing" if parks else "fund_routing"
        if not known:
            return reply_to(t, ph.get(ask), intent, 0.5)
        reply = reply_to(t, "", intent, 0.9)
        self.attach(t, reply, parks=parks, funds=not parks)
        if not (reply.parks if parks else reply.funds):
            reply.answer = ph.get("no_answer")
            reply.confidence = 0.2
        return reply

    def attach(self, t: Turn, reply: Reply, parks: bool = True, funds: bool = True) -> None:
        """Park and fund cards, with their lines appended to the answer, each line cited."""
        ph = phrases(t.lang)
        cites = CitationList()
        for c in reply.citations:  # keep the numbers the answer already uses
            cites.mark(Hit(passage=_passage_from(c), score=c.score))
        blocks = [reply.answer] if reply.answer else []
        profile_text = und.summarize_profile(t.profile)
        said = Said(split_sentences(strip_markers(reply.answer)))  # the cards do not say it again
        matches = match_parks(t.profile, self.catalog) if parks else []
        named = [m for m in matches if m.park.name in und.topic_terms(t.question)]
        if named:  # "AI产业园的共享工位…": that park's card, not two more for the track
            matches = named
        if matches:
            lines, reply.parks = park_lines(matches, self.index, cites, t.profile, self.restated, said)
            lead_key = "parks_lead" if len(reply.parks) > 1 else "parks_lead_one"
            if lines:
                blocks.append(ph.get(lead_key, profile=profile_text) + "\n" + lines)
            t.state.parks = [m.park.id for m in matches]
        fmatches = match_funds(t.profile, self.catalog) if funds else []
        if blocks:  # beside an answer, only the instruments that fit about as well as the best one
            fmatches = close_fits(fmatches, SIDE_FIT, SIDE_FUNDS)
        if fmatches:
            lines, reply.funds = fund_lines(fmatches, self.index, cites, self.restated, said)
            lead = ph.get("funds_also") if reply.parks else ph.get("funds_lead", profile=profile_text)
            blocks.append(lead + ("\n" + lines if lines else ""))
        reply.answer = "\n\n".join(blocks)
        reply.citations = cites.items()
        if any(c.sample for c in reply.citations) and ph.get("sample_note") not in reply.answer:
            reply.answer += "\n\n" + ph.get("sample_note")


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
