"""One turn's state: what the conversation carries between messages (TurnState, kept with the
session), what this message is (Turn), and the Reply a turn ends in."""

from __future__ import annotations

from dataclasses import dataclass, field

from .reply import Citation, Profile, Reply


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


def search_query(
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


def reply_to(
    t: Turn, answer: str, intent: str, confidence: float, citations: list[Citation] | None = None
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
