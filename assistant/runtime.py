"""The composition root: settings → embedder → index, catalog, store, composer → assistant.

Everything long-lived is built here, once per process; connectors (web, Telegram, CLI) call
`Runtime.start(settings)`, and commands that need only the index call `build_index(settings)`.
Embedders and composers come from assistant.registry by name. On first start with an empty index
it ingests the bundled knowledge base, logging progress, so `make run` works on a clean clone.

Heavy parts (the engine, the store, the composer's libraries) are imported where they are built,
so `rongchuang search` and the offline mode load nothing they do not use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from knowledge.catalog import Catalog
from knowledge.index import KnowledgeIndex
from knowledge.progress import LineProgress

from .registry import composers, embedders
from .settings import Settings, bundled_kb

if TYPE_CHECKING:
    from knowledge.embed import Embedder

    from .compose import Composer
    from .engine import Assistant
    from .store import Store

log = logging.getLogger("rongchuang")
WARM_UP_QUERY = "算力券"


# the parts -------------------------------------------------------------------------------------
def build_embedder(settings: Settings) -> Embedder:
    return embedders.get(settings.embedder)(settings)


def build_index(settings: Settings) -> KnowledgeIndex:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Scale-out: vectors on the Chroma server, the manifest in the shared database.
    manifest_url = settings.db_url if settings.chroma_url else ""
    return KnowledgeIndex(
        settings.data_dir, build_embedder(settings), chroma_url=settings.chroma_url, manifest_url=manifest_url
    )


def build_composer(settings: Settings, index: KnowledgeIndex, catalog: Catalog) -> Composer:
    return composers.get(settings.composer_name)(settings, index, catalog)


@cache
def bundled_catalog() -> Catalog:
    return Catalog.load(bundled_kb())


def load_catalog(settings: Settings) -> Catalog:
    cat = Catalog.load(bundled_kb())
    for extra in settings.kb_paths:
        more = Catalog.load(extra)
        cat.parks.update(more.parks)
        cat.guides.update(more.guides)
        cat.funds.update(more.funds)
        cat.centers.update(more.centers)
    return cat


def open_store(settings: Settings) -> Store:
    from .store import Store

    store = Store.open(settings.db_url)
    if purged := store.purge(settings.retention_days):  # the privacy notice promises this
        log.info("已删除 %d 个超过 %d 天未活动的对话", purged, settings.retention_days)
    return store


def prepare(settings: Settings, index: KnowledgeIndex) -> None:
    """Build now, at ingest, what the first start would otherwise build and keep beside the index:
    the typo repair's pinyin of the vocabulary and the intent examples' vectors."""
    from . import normalize
    from .intents import prepare_models

    normalize.prepare(load_catalog(settings))
    prepare_models(index.embedder, settings.data_dir)


@dataclass
class Runtime:
    settings: Settings
    index: KnowledgeIndex
    catalog: Catalog
    store: Store
    assistant: Assistant

    @classmethod
    def start(
        cls, settings: Settings | None = None, *, ensure_index: bool = True, composer: Composer | None = None
    ) -> Runtime:
        from .engine import Assistant

        settings = settings or Settings()
        # A line every few seconds while starting (models load slowly on a busy machine).
        with LineProgress(log.info) as progress:
            progress.phase("正在打开知识库索引")
            index = build_index(settings)
            if ensure_index:
                report = index.ingest(settings.kb_roots, progress=progress)
                for source, why in report.skipped:
                    log.warning("跳过 %s：%s", source, why)
                for doc in report.flagged:
                    log.warning("需要检查 %s", doc.describe())
            catalog = load_catalog(settings)
            store = open_store(settings)
            composer = composer or build_composer(settings, index, catalog)
            assistant = Assistant(index, catalog, store, settings, composer=composer)
            rt = cls(settings, index, catalog, store, assistant)
            progress.phase("正在加载分词、检索和嵌入模型")
            rt.warm_up()
        return rt

    def warm_up(self) -> None:
        """Load jieba, the embedder and BM25 now, not on the first founder's question."""
        from knowledge.search import search

        if self.index.count():
            search(self.index, WARM_UP_QUERY, k=1)
        from .intents import prepare_models

        prepare_models(self.index.embedder, self.settings.data_dir)  # example vectors, kept on disk

    def close(self) -> None:
        self.store.close()
