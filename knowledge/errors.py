"""The error tree. Every error a user can cause says what went wrong and what to do.

Each class lives with the code that raises it (imports only point down, so `assistant` errors cannot
live here); this docstring is the one list, and tests/test_errors.py fails when a class is missing.

RongchuangError
├── IngestError          a file that cannot be ingested (file, page or field, reason, what to do)
│   └── UploadTooLarge   an uploaded file over RONGCHUANG_UPLOAD_MAX_MB
├── ConfigError          a setting that cannot work (assistant.settings turns bad values into one)
│   └── DictionaryError  a knowledge/dict entry that cannot work, with file and line (assistant.dictionary)
├── MessageError         a founder's message we refuse to process: empty, too long (assistant.engine)
├── LLMError             the model's reply could not be used; the turn falls back (assistant.llm)
├── Ungrounded           no sentence of the model's answer rests on its citations (assistant.grounding)
├── WeChatError          the WeChat API answered with an errcode (connectors.wechat.api)
├── CryptoError          a WeChat callback that cannot be trusted or read (connectors.wechat.crypto)
│   ├── SignatureError   the signature does not match: the request did not come from WeChat
│   ├── ReceiveIdError   decrypted, but for another CorpID / AppID
│   └── BadCiphertext    not base64, not whole blocks, bad padding or a length past the end
└── StoreError           the store refused an operation (assistant.store.records)
    ├── NotFound         no such session, ticket or staff member
    ├── ClaimConflict    the ticket was claimed or resolved by someone else first
    ├── Forbidden        the staff member may not do this
    ├── Duplicate        the name is taken
    └── TooMany          too many corrections from one staff member in an hour (429, Retry-After)
"""

from __future__ import annotations


class RongchuangError(Exception):
    """Base of every error this project raises on purpose."""


class IngestError(RongchuangError):
    def __init__(
        self, path: str, reason: str, hint: str = "", *, page: int | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.reason = reason
        self.hint = hint
        self.page = page
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path
        if self.page is not None:
            where += f" 第{self.page}页"
        if self.field:
            where += f" 字段 {self.field}"
        text = f"{where}：{self.reason}"
        if self.hint:
            text += f"。{self.hint}"
        return text


class UploadTooLarge(IngestError):
    def __init__(self, path: str, limit_mb: int) -> None:
        self.limit_mb = limit_mb
        super().__init__(path, f"文件太大，上限 {limit_mb} MB", "请压缩或拆分成几个文件后再上传")


class ConfigError(RongchuangError):
    pass
