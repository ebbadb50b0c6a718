"""Embedders and composers by name, in one small registry.

The built-ins (assistant/builtins.py) register with the same decorator an alternative uses. An
alternative installed as a package names a module under the `rongchuang` entry-point group, e.g.
`[project.entry-points.rongchuang] mine = "my_pkg.rongchuang_plugin"`; that module calls
`embedders.register("name")` or `composers.register("name")`; the group is looked up whenever a
name is not among the built-ins (looking through installed packages costs start-up time).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Generic, TypeVar

from knowledge.errors import ConfigError

if TYPE_CHECKING:
    from knowledge.catalog import Catalog
    from knowledge.embed import Embedder
    from knowledge.index import KnowledgeIndex

    from .compose import Composer
    from .settings import Settings

ENTRY_POINTS = "rongchuang"
F = TypeVar("F", bound=Callable[..., object])


class Registry(Generic[F]):
    def __init__(self, what: str, setting: str) -> None:
        self.what = what  # for the error message, in Chinese
        self.setting = setting
        self._factories: dict[str, F] = {}

    def register(self, name: str) -> Callable[[F], F]:
        def add(factory: F) -> F:
            self._factories[name] = factory
            return factory

        return add

    def get(self, name: str) -> F:
        _load_builtins()
        if name not in self._factories:
            _load_plugins()
        try:
            return self._factories[name]
        except KeyError:
            known = "、".join(sorted(self._factories))
            raise ConfigError(f"不认识的{self.what} {name!r}：{self.setting} 可选 {known}") from None

    def names(self) -> list[str]:
        _load_builtins()
        _load_plugins()
        return sorted(self._factories)


EmbedderFactory = Callable[["Settings"], "Embedder"]
ComposerFactory = Callable[["Settings", "KnowledgeIndex", "Catalog"], "Composer"]

embedders: Registry[EmbedderFactory] = Registry("嵌入模型", "RONGCHUANG_EMBEDDER")
composers: Registry[ComposerFactory] = Registry("回答方式", "RONGCHUANG_COMPOSER")


def _load_builtins() -> None:
    importlib.import_module("assistant.builtins")  # registers on first import only


def _load_plugins() -> None:
    # Looked up each time a name is missing, not once: a package installed since still counts.
    # Importing a plugin module twice is a no-op, so its registrations run once.
    for ep in entry_points(group=ENTRY_POINTS):
        ep.load()
