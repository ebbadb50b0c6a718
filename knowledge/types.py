"""Documents in, passages out: the two shapes every part of `knowledge/` speaks."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["policy", "law", "park", "guide", "fund", "center", "page", "curated"]
KINDS: tuple[str, ...] = ("policy", "law", "park", "guide", "fund", "center", "page", "curated")


class DocMeta(BaseModel):
    """What we know about a document; copied onto every passage cut from it."""

    model_config = ConfigDict(extra="forbid")

    doc_id: str
    kind: Kind
    title: str
    doc_number: str | None = None  # 文号, e.g. 川府发〔2026〕8号
    issuer: str | None = None
    date: dt.date | None = None
    region: str = "成都"  # 成都 / 四川 / national / another city's name (广州, 北京 …)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    superseded_by: str | None = None
    source: str = ""  # path the document was loaded from
    sample: bool = False  # True when the content is an invented example, not a real document
    url: str | None = None
    # "pending": uploaded and not yet confirmed by an admin (title, 文号, issuer); cited as 待审核
    review: Literal["confirmed", "pending"] = "confirmed"

    @property
    def pending(self) -> bool:
        return self.review == "pending"

    def expired_on(self, day: dt.date) -> bool:
        """Replaced, or past its end date: left out of answers unless asked for."""
        return bool(self.superseded_by or (self.effective_to and self.effective_to < day))

    def is_valid_on(self, day: dt.date) -> bool:
        if self.superseded_by:
            return False
        if self.effective_from and day < self.effective_from:
            return False
        return not (self.effective_to and day > self.effective_to)


class Document(BaseModel):
    """A loaded, cleaned document. `text` keeps headings on their own lines."""

    meta: DocMeta
    text: str


class Passage(BaseModel):
    """One citable unit: a whole clause or a sentence-aligned piece of a long one."""

    passage_id: str
    doc_id: str
    seq: int
    section: str  # heading trail, e.g. "三、… > （八）加强政府资金引导保障"
    text: str  # the passage body, always whole sentences
    meta: DocMeta
    # What the ingest screen found (knowledge/screen.py): instructions, payment or credential requests,
    # links, account numbers. A flagged passage is never quoted.
    flags: list[str] = Field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return passage_hash(self.section, self.text)

    def embed_text(self) -> str:
        """What the embedder sees: title and heading trail give the body its context."""
        head = " > ".join(x for x in (self.meta.title, self.section) if x)
        return f"{head}\n{self.text}" if head else self.text


class Hit(BaseModel):
    """A passage returned by search, with its fused score and per-retriever ranks."""

    passage: Passage
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    extra: dict = Field(default_factory=dict)


def passage_hash(section: str, text: str) -> str:
    return hashlib.sha256(f"{section}\n{text}".encode()).hexdigest()[:32]
