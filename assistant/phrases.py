"""Fixed phrases, loaded from prompts/phrases.{lang}.md into a strict model.

A phrase may only use the placeholders it declares; a missing or unknown variable is an error, not
a silent blank (the same discipline as simonw/llm's templates)."""

from __future__ import annotations

import re
import string
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from knowledge.errors import ConfigError

_HEAD = re.compile(r"^## (\w+)\s*$", re.M)


class Phrases(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lang: str
    items: dict[str, str]

    def get(self, key: str, **values: str) -> str:
        try:
            template = self.items[key]
        except KeyError as exc:
            raise ConfigError(f"prompts/phrases.{self.lang}.md 缺少短语 “{key}”") from exc
        wanted = {f for _, f, _, _ in string.Formatter().parse(template) if f}
        if wanted != set(values):
            raise ConfigError(f"短语 {key} 需要变量 {sorted(wanted)}，实际给了 {sorted(values)}")
        return template.format(**values)

    def patterns(self) -> list[re.Pattern[str]]:
        """Each phrase as a regex (placeholders match anything): how tests recognise template text."""
        out = []
        for template in self.items.values():
            parts = re.split(r"\{\w+\}", template)
            out.append(re.compile("^" + ".+?".join(re.escape(p) for p in parts) + "$", re.S))
        return out


def parse(text: str, lang: str) -> Phrases:
    chunks = _HEAD.split(text)
    items = {chunks[i]: chunks[i + 1].strip() for i in range(1, len(chunks) - 1, 2)}
    return Phrases(lang=lang, items=items)


@cache
def phrases(lang: str = "zh") -> Phrases:
    lang = "en" if lang == "en" else "zh"
    text = (resources.files("prompts") / f"phrases.{lang}.md").read_text(encoding="utf-8")
    return parse(text, lang)
