"""LangChain adapter over knowledge.search: `retriever.invoke("算力券怎么申请")` → Documents."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .index import KnowledgeIndex
from .search import Filters, Mode, search
from .types import Hit


class KnowledgeRetriever(BaseRetriever):
    """LangChain adapter: `retriever.invoke("算力券怎么申请")` → Documents with our metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: KnowledgeIndex
    k: int = 5
    filters: Filters = Filters()
    mode: Mode = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [to_langchain(h) for h in search(self.index, query, self.k, self.filters, self.mode)]


def to_langchain(hit: Hit) -> LCDocument:
    p = hit.passage
    meta = {
        "passage_id": p.passage_id,
        "doc_id": p.doc_id,
        "title": p.meta.title,
        "section": p.section,
        "doc_number": p.meta.doc_number,
        "kind": p.meta.kind,
        "region": p.meta.region,
        "sample": p.meta.sample,
        "score": hit.score,
    }
    return LCDocument(page_content=p.text, metadata=meta, id=p.passage_id)
