"""One settings class, read from the environment (prefix RONGCHUANG_) and an optional .env file.
Every field is documented in README.md; tests/test_docs.py fails the build when one is not."""

from __future__ import annotations

import os
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.errors import ConfigError

MIN_SECRET_CHARS = 32  # 192 bits of urlsafe base64; a short key can be guessed offline from one cookie


def bundled_kb() -> Path:
    return Path(str(resources.files("knowledge") / "data"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RONGCHUANG_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""  # empty: SQLite in the data directory
    chroma_url: str = ""  # empty: Chroma in the data directory; else a `chroma run` server (scale-out)
    kb_paths: list[Path] = Field(default_factory=list)  # extra folders ingested beside the bundled KB
    dict_dir: Path | None = None  # staff's dictionary files, added to knowledge/dict/

    embedder: str = "e5"  # a name in assistant.registry.embedders: e5, openai, or a plugin's
    embed_base_url: str = ""
    embed_model: str = ""
    embed_api_key: str = ""

    composer: str = ""  # empty: "llm" when the LLM is configured, else "extractive"; or a plugin's
    llm_base_url: str = ""  # empty: offline extractive answers only
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_max_retries: int = 2

    max_message_chars: int = 2000
    upload_max_mb: int = 20
    rate_limit_per_minute: int = 30
    corrections_per_hour: int = 20  # staff corrections (drafts) per staff member per hour
    retention_days: int = 180
    secret_key: str = "dev-insecure-change-me"
    trust_forwarded: bool = False
    chat_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)  # answers computed at once
    response_target_minutes: int = 120  # staff console: a ticket older than this is overdue

    telegram_token: str = ""
    telegram_webhook_secret: str = ""
    telegram_base_url: str = "https://api.telegram.org/bot"

    # 微信客服 through WeCom; the channel is on when any of the first four is set (then all four must be)
    wecom_corp_id: str = ""
    wecom_kf_secret: str = ""
    wecom_kf_token: str = ""
    wecom_kf_aes_key: str = ""
    wecom_base_url: str = "https://qyapi.weixin.qq.com"
    # the Official Account (公众号); AES key only for safe mode
    wechat_oa_app_id: str = ""
    wechat_oa_app_secret: str = ""
    wechat_oa_token: str = ""
    wechat_oa_aes_key: str = ""
    wechat_oa_base_url: str = "https://api.weixin.qq.com"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:  # a bad value in the environment is a setting that cannot work
            raise ConfigError(_describe(exc)) from None

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.env == "production" and (
            self.secret_key.startswith("dev-") or len(self.secret_key) < MIN_SECRET_CHARS
        ):
            raise ConfigError(
                f"生产环境必须把 RONGCHUANG_SECRET_KEY 设为至少 {MIN_SECRET_CHARS} 个字符的随机串，"
                "例如 python -c 'import secrets; print(secrets.token_urlsafe(48))' 的输出"
            )
        if self.embedder == "openai" and not (self.embed_base_url and self.embed_model):
            raise ConfigError(
                "RONGCHUANG_EMBEDDER=openai 时需要设置 RONGCHUANG_EMBED_BASE_URL 和 RONGCHUANG_EMBED_MODEL"
            )
        if self.chroma_url and not self.database_url:
            raise ConfigError(
                "RONGCHUANG_CHROMA_URL 需要和共享数据库一起用：请同时设置 RONGCHUANG_DATABASE_URL"
                "（如 postgresql+psycopg://user@host/db），索引清单放在那里，所有服务进程都能读到"
            )
        if bool(self.llm_base_url) != bool(self.llm_model):
            raise ConfigError("LLM 模式需要同时设置 RONGCHUANG_LLM_BASE_URL 和 RONGCHUANG_LLM_MODEL")
        _all_or_none(
            self, "微信客服", ("wecom_corp_id", "wecom_kf_secret", "wecom_kf_token", "wecom_kf_aes_key")
        )
        oa = ("wechat_oa_app_id", "wechat_oa_app_secret", "wechat_oa_token")
        _all_or_none(self, "公众号", oa + (("wechat_oa_aes_key",) if self.wechat_oa_aes_key else ()))
        return self

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'rongchuang.sqlite3').resolve()}"

    @property
    def shared(self) -> bool:
        """Index and database can be shared by several worker processes."""
        return bool(self.chroma_url) and not self.db_url.startswith("sqlite")

    @property
    def kb_roots(self) -> list[Path]:
        return [bundled_kb(), *self.kb_paths]

    @property
    def wecom_kf_enabled(self) -> bool:
        return bool(self.wecom_corp_id)

    @property
    def wechat_oa_enabled(self) -> bool:
        return bool(self.wechat_oa_app_id)

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @property
    def composer_name(self) -> str:
        return self.composer or ("llm" if self.llm_enabled else "extractive")


def _describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        name = "RONGCHUANG_" + "_".join(str(p) for p in err["loc"]).upper()
        secret = any(w in name for w in ("KEY", "TOKEN", "SECRET", "URL"))  # never echo credentials
        lines.append(f"{name}：{err['msg']}" + ("" if secret else f"（现在是 {err.get('input')!r}）"))
    return "设置的值不对，请改正后再启动：" + "；".join(lines)


def _all_or_none(settings: Settings, channel: str, names: tuple[str, ...]) -> None:
    """A half-configured channel refuses to start, naming what is missing."""
    missing = [n for n in names if not getattr(settings, n)]
    if missing and len(missing) < len(names):
        names_text = "、".join(f"RONGCHUANG_{n.upper()}" for n in missing)
        raise ConfigError(f"{channel}只配置了一半：还需要设置 {names_text}（见 README「Run on WeChat」）。")
