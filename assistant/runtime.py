"""The long-lived parts of a running assistant, built once per process from settings.

Connectors (web, Telegram, CLI chat) call `Runtime.start(settings)`; on first start with an empty
index it ingests the bundled knowledge base, logging progress, so `make run` works on a clean clone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from knowledge.catalog import Catalog
from knowledge.index import KnowledgeIndex, Progress
from knowledge.search import search

from .compose import Composer, ExtractiveComposer
from .engine import Assistant
from .services import build_index, load_catalog
from .settings import Settings
from .store import Store

log = logging.getLogger("rongchuang")


class LogProgress(Progress):
    def __init__(self) -> None:
        self.files = self.passages = self.done_files = self.done_passages = 0

    def start(self, files: int, passages: int) -> None:
        self.files, self.passages = files, passages
        if files:
            log.info("建立知识库索引：%d 个文件，%d 段（首次启动需要约一分钟）", files, passages)

    def file_done(self, source: str) -> None:
        self.done_files += 1
        if self.done_files % 10 == 0 or self.done_files == self.files:
            log.info(
                "索引进度：%d/%d 个文件，%d/%d 段",
                self.done_files,
                self.files,
                self.done_passages,
                self.passages,
            )

    def passages_done(self, n: int) -> None:
        self.done_passages += n


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
        settings = settings or Settings()
        index = build_index(settings)
        if ensure_index:
            report = index.ingest(settings.kb_roots, progress=LogProgress())
            for source, why in report.skipped:
                log.warning("跳过 %s：%s", source, why)
            for doc in report.flagged:
                log.warning("需要检查 %s", doc.describe())
        catalog = load_catalog(settings)
        store = Store.open(settings.db_url)
        if purged := store.purge(settings.retention_days):  # the privacy notice promises this
            log.info("已删除 %d 个超过 %d 天未活动的对话", purged, settings.retention_days)
        composer = composer or _composer(settings, index, catalog)
        assistant = Assistant(index, catalog, store, settings, composer=composer)
        rt = cls(settings, index, catalog, store, assistant)
        rt.warm_up()
        return rt

    def warm_up(self) -> None:
        """Load jieba, the embedder and BM25 now, not on the first founder's question."""
        if self.index.count():
            search(self.index, "算力券", k=1)
        from .intents import model_for

        model_for(self.index.embedder, self.settings.data_dir)  # example vectors, kept on disk

    def close(self) -> None:
        self.store.close()


def _composer(settings: Settings, index: KnowledgeIndex, catalog: Catalog) -> Composer:
    if not settings.llm_enabled:
        return ExtractiveComposer()
    from .llm import make_composer

    return make_composer(settings, index, catalog)
