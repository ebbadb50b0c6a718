"""The baseline we compare against: the naive LangChain RAG pipeline most projects start with.

RecursiveCharacterTextSplitter(500, 50) over the same cleaned source texts, langchain_chroma with our
E5 embedder (never Chroma's default embedding function), top-5 chunks joined as the answer. It has
no routing, handoff, refusal or conversation memory. The index lives in its own directory and is
rebuilt only when the sources, the splitter or the embedder change."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings

from assistant.reply import Citation, Reply
from knowledge.embed import Embedder, shared_e5
from knowledge.sources import load_file

from .metrics import contains_any
from .retrieval import Case, summarize_ranks

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 500, 50, 5
COLLECTION = "naive"
_KINDS = {"policy", "law", "park", "guide", "fund", "center", "page"}


class E5Embeddings(Embeddings):
    """Our embedder behind LangChain's interface, so the baseline embeds exactly as we do."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or shared_e5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


class NaivePipeline:
    def __init__(self, directory: Path, embedder: Embedder | None = None, k: int = TOP_K) -> None:
        import chromadb
        from langchain_chroma import Chroma

        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.k = k
        self.embeddings = E5Embeddings(embedder)
        settings = chromadb.config.Settings(anonymized_telemetry=False)
        self.store = Chroma(
            collection_name=COLLECTION,
            embedding_function=self.embeddings,
            persist_directory=str(self.directory / "chroma"),
            client_settings=settings,
            collection_configuration={"hnsw": {"space": "cosine"}},
        )

    # index -------------------------------------------------------------------------------------
    def build(self, files: list[Path]) -> int:
        """Index `files`; a no-op when nothing changed since the last build. Returns the chunk count."""
        chunks = split_documents(files)
        stamp = self.directory / "fingerprint.json"
        key = _fingerprint(chunks, self.embeddings.embedder.name)
        if stamp.exists() and json.loads(stamp.read_text()).get("key") == key:
            return len(chunks)
        self.store.reset_collection()
        for i in range(0, len(chunks), 64):
            batch = chunks[i : i + 64]
            self.store.add_documents(batch, ids=[str(uuid.uuid4()) for _ in batch])
        stamp.write_text(json.dumps({"key": key, "chunks": len(chunks)}))
        return len(chunks)

    def search(self, query: str, k: int | None = None) -> list[tuple[LCDocument, float]]:
        return self.store.similarity_search_with_score(query, k=k or self.k)

    # the pieces the eval harness and make bench call --------------------------------------------
    def retrieve(self, query: str) -> list[tuple[str, str]]:
        out = []
        for d, _ in self.search(query):
            title = d.metadata.get("title", "")
            out.append((title, f"{title}\n{d.page_content}"))
        return out

    def respond(self, session_id: str | None, text: str) -> Reply:
        """The top chunks joined, each followed by its marker: every chunk counts as cited."""
        found = self.search(text)
        cites = [_citation(i, d, score) for i, (d, score) in enumerate(found, 1)]
        answer = "\n\n".join(f"{c.text}[{c.n}]" for c in cites)
        return Reply(
            session_id=session_id or f"naive_{uuid.uuid4().hex[:12]}",
            answer=answer,
            citations=cites,
            intent="policy_question",
            confidence=1.0,
        )

    def evaluate(self, cases: list[Case], k: int = TOP_K) -> dict:
        """hit@1, hit@5 and MRR on eval/retrieval.jsonl cases, judged as eval.retrieval judges ours: an
        evidence phrase in the chunk, or the expected document with the expected clause mark in it."""
        ranks = []
        for c in cases:
            found = self.search(c.question, k)
            ranks.append(next((i for i, (d, _) in enumerate(found, 1) if _is_hit(c, d)), None))
        return {"n": len(cases), **summarize_ranks(ranks)}


def split_documents(files: list[Path]) -> list[LCDocument]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    docs = []
    for f in files:
        for d in load_file(f):
            meta = {
                "doc_id": d.meta.doc_id,
                "title": d.meta.title,
                "kind": d.meta.kind,
                "sample": bool(d.meta.sample),
                "source": str(f),
            }
            docs.append(LCDocument(page_content=d.text, metadata=meta))
    return splitter.split_documents(docs)


def _is_hit(case: Case, doc: LCDocument) -> bool:
    if contains_any(doc.page_content, case.evidence):
        return True
    same_doc = doc.metadata.get("doc_id") == case.doc_id
    return same_doc and bool(case.section) and case.section in doc.page_content


def _fingerprint(chunks: list[LCDocument], embedder: str) -> str:
    h = hashlib.sha256(f"{CHUNK_SIZE}/{CHUNK_OVERLAP}/{embedder}".encode())
    for c in chunks:
        h.update(c.metadata["doc_id"].encode() + b"\0" + c.page_content.encode() + b"\0")
    return h.hexdigest()


def _citation(n: int, doc: LCDocument, distance: float) -> Citation:
    m = doc.metadata
    kind: Any = m.get("kind") if m.get("kind") in _KINDS else "page"  # checked against _KINDS
    return Citation(
        n=n,
        doc_id=m.get("doc_id", ""),
        title=m.get("title", ""),
        section="",
        kind=kind,
        sample=bool(m.get("sample")),
        text=doc.page_content,
        score=round(max(0.0, 1.0 - float(distance)), 4),
    )
