"""Build the long-lived parts (index, catalog) from settings, once per process."""

from __future__ import annotations

from functools import cache

from knowledge.catalog import Catalog
from knowledge.embed import make_embedder
from knowledge.index import KnowledgeIndex

from .settings import Settings, bundled_kb


def build_index(settings: Settings) -> KnowledgeIndex:
    embedder = make_embedder(
        settings.embedder,
        base_url=settings.embed_base_url,
        model=settings.embed_model,
        api_key=settings.embed_api_key,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Scale-out: vectors on the Chroma server, the manifest in the shared database.
    manifest_url = settings.db_url if settings.chroma_url else ""
    return KnowledgeIndex(
        settings.data_dir, embedder, chroma_url=settings.chroma_url, manifest_url=manifest_url
    )


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
