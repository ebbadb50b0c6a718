"""The built-in embedders and composers, registered exactly as a plugin registers its own.

Each factory imports its implementation when called: the offline mode never imports LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import composers, embedders

if TYPE_CHECKING:
    from knowledge.catalog import Catalog
    from knowledge.embed import Embedder
    from knowledge.index import KnowledgeIndex

    from .compose import Composer
    from .settings import Settings


@embedders.register("e5")
def e5(settings: Settings) -> Embedder:
    """Bundled multilingual-e5-small, offline; one model per process."""
    from knowledge.embed import shared_e5

    return shared_e5()


@embedders.register("openai")
def openai_compatible(settings: Settings) -> Embedder:
    """Any OpenAI-compatible /embeddings endpoint."""
    from knowledge.embed import OpenAIEmbedder

    return OpenAIEmbedder(settings.embed_base_url, settings.embed_model, settings.embed_api_key)


@composers.register("extractive")
def extractive(settings: Settings, index: KnowledgeIndex, catalog: Catalog) -> Composer:
    """Sentences taken from the retrieved passages, each cited; no network."""
    from .compose import ExtractiveComposer

    return ExtractiveComposer()


@composers.register("llm")
def llm(settings: Settings, index: KnowledgeIndex, catalog: Catalog) -> Composer:
    """An OpenAI-compatible model through a small tool-calling agent, checked against its citations."""
    from .llm import LLMComposer

    return LLMComposer(settings, index, catalog)
