"""One settings class, read from the environment (prefix RONGCHUANG_) and an optional .env file.
Every field is documented in README.md; tests/test_docs.py fails the build when one is not."""

from __future__ import annotations

import os
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.errors import ConfigError


def bundled_kb() -> Path:
    return Path(str(resources.files("knowledge") / "data"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RONGCHUANG_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite in the data directory
    kb_paths: list[Path] = Field(default_factory=list)  # extra folders ingested beside the bundled KB
    dict_dir: Path | None = None  # staff's dictionary files, added to knowledge/dict/

    embedder: Literal["e5", "openai"] = "e5"
    embed_base_url: str = ""
    embed_model: str = ""
    embed_api_key: str = ""

    llm_base_url: str = ""  # empty: offline extractive answers only
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_max_retries: int = 2

    max_message_chars: int = 2000
    upload_max_mb: int = 20
    rate_limit_per_minute: int = 30
    retention_days: int = 180
    secret_key: str = "dev-insecure-change-me"
    trust_forwarded: bool = False
    chat_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)  # answers computed at once
    response_target_minutes: int = 120  # staff console: a ticket older than this is overdue

    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_base_url: str = "https://api.telegram.org/bot"

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.env == "production" and self.secret_key.startswith("dev-"):
            raise ConfigError("生产环境必须设置 RONGCHUANG_SECRET_KEY（一串足够长的随机字符）")
        if self.embedder == "openai" and not (self.embed_base_url and self.embed_model):
            raise ConfigError(
                "RONGCHUANG_EMBEDDER=openai 时需要设置 RONGCHUANG_EMBED_BASE_URL 和 RONGCHUANG_EMBED_MODEL"
            )
        if bool(self.llm_base_url) != bool(self.llm_model):
            raise ConfigError("LLM 模式需要同时设置 RONGCHUANG_LLM_BASE_URL 和 RONGCHUANG_LLM_MODEL")
        return self

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rongchuang.sqlite3').resolve()}"

    @property
    def kb_roots(self) -> list[Path]:
        return [bundled_kb(), *self.kb_paths]

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)
