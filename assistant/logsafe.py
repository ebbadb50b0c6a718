"""Log lines that cannot be forged or leak: control characters escaped, personal numbers masked,
session ids (the founders' bearer credentials) shortened. Installed on the handlers by the connectors."""

from __future__ import annotations

import logging
import re

from .privacy import mask_pii

ACCESS_LOGGER = "uvicorn.access"
SESSION_ID = re.compile(r"\bs_[A-Za-z0-9_-]{8,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(ch: str) -> str:
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
        ch, f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"
    )


def short_session(session_id: str) -> str:
    """Enough to tell two conversations apart, not enough to open one."""
    return f"{session_id[:6]}…"


def safe_text(text: str) -> str:
    """One log line: control characters (CR, LF, ESC, BEL, NUL, lone surrogates) escaped, phone, ID
    and card numbers masked, session ids shortened."""
    text = SESSION_ID.sub(lambda m: short_session(m[0]), text)
    return _CONTROL.sub(lambda m: _escape(m[0]), mask_pii(text))


class SafeLogFilter(logging.Filter):
    """Rewrites the record's message once, before any formatter sees it (tracebacks are left as is:
    they are ours, not the founder's)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.name == ACCESS_LOGGER
            and isinstance(record.args, tuple)
            and not getattr(record, "_rc_safe", False)
        ):
            # uvicorn's access formatter unpacks the five args itself: clean each, keep the tuple.
            record.args = tuple(safe_text(a) if isinstance(a, str) else a for a in record.args)
            record._rc_safe = True
        if not getattr(record, "_rc_safe", False):
            try:
                message = record.getMessage()
            except Exception:  # a bad format string: log what we have rather than nothing
                message = f"{record.msg!r} {record.args!r}"
            record.msg, record.args = safe_text(message), None
            record._rc_safe = True
        return True


def install(*logger_names: str) -> None:
    """Put the filter on every handler of the root logger and of the named loggers."""
    for name in ("", *logger_names):
        for handler in logging.getLogger(name or None).handlers:
            if not any(isinstance(f, SafeLogFilter) for f in handler.filters):
                handler.addFilter(SafeLogFilter())
