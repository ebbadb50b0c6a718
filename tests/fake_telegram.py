"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 at `/bot<TOKEN>/<method>`, speaking the
wire protocol python-telegram-bot uses (form bodies with JSON-encoded values, or JSON bodies), so the
real `Application`, `Updater` and `Bot` run in tests.

    api = FakeTelegram().start()
    api.enqueue_update(message_update(42, "算力太贵了，有没有补贴？"))
    ... ApplicationBuilder().token(api.token).base_url(api.base_url) ...
    api.wait_sent(1)[0]["text"]
    api.fail_next(1, retry_after=1)      # the next sendMessage answers 429
    api.blocked.add(42)                  # sendMessage to chat 42 answers 403

Like Telegram, sendMessage with parse_mode=HTML refuses malformed HTML and texts over 4,096 characters.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

from tests.loopback import LoopbackServer

TOKEN = "123456:TEST-fake-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "蓉创助手", "username": "rongchuang_test_bot"}
MAX_TEXT = 4096
LONG_POLL_CAP = 0.5  # seconds a getUpdates call waits for an update: long polling, but fast tests
STRING_FIELDS = {"text", "parse_mode", "url", "secret_token", "callback_query_id", "caption", "action"}
TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+(?:="[^"<>]*")?)*)\s*>')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def parse_html(text: str) -> str:
    """The visible text of Telegram-HTML `text`; ValueError like Telegram's "can't parse entities"."""
    out, stack, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "<":
            m = _TAG.match(text, i)
            if not m or m.group(2) not in TAGS:
                raise ValueError(f"Unsupported start tag at byte offset {i}")
            if m.group(1):
                if not stack or stack.pop() != m.group(2):
                    raise ValueError(f"Unmatched end tag at byte offset {i}")
            else:
                stack.append(m.group(2))
            i = m.end()
        elif c == "&":
            m = _ENTITY.match(text, i)
            if not m:
                raise ValueError(f"Unsupported entity at byte offset {i}")
            out.append(html.unescape(m.group()))
            i = m.end()
        elif c == ">":
            raise ValueError(f"Unexpected > at byte offset {i}")
        else:
            out.append(c)
            i += 1
    if stack:
        raise ValueError(f"Can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int = 200


@dataclass
class Failure:
    count: int
    method: str
    status: int
    description: str
    parameters: dict | None = None


@dataclass
class FakeTelegram(LoopbackServer):
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted sendMessage params
    blocked: set[int] = field(default_factory=set)  # 403: bot was blocked by the user
    missing: set[int] = field(default_factory=set)  # 400: chat not found
    webhook: dict[str, Any] = field(default_factory=dict)
    commands: list[dict] = field(default_factory=list)
    handler_attr = "api"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def __post_init__(self) -> None:
        self._updates: list[dict] = []
        self._failures: list[Failure] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1000)

    # test API ----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def enqueue_update(self, update: dict) -> dict:
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def fail_next(self, n: int, method: str = "sendMessage", retry_after: int = 1, status: int = 429) -> None:
        """The next n calls of `method` fail: 429 Too Many Requests with `retry_after`, or `status`."""
        if status == 429:
            failure = Failure(
                n, method, 429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        else:
            failure = Failure(n, method, status, f"scripted failure {status}")
        self._failures.append(failure)

    def wait_sent(self, n: int = 1, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Block until at least n messages were sent; the sent messages."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.sent) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} sent messages, got {len(self.sent)}: {self.sent}")
                self._cond.wait(left)
            return list(self.sent)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # the Bot API ---------------------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any]) -> Any:
        self._scripted_failure(method)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(params)

    def _scripted_failure(self, method: str) -> None:
        for f in self._failures:
            if f.method == method and f.count > 0:
                f.count -= 1
                raise ApiError(f.status, f.description, f.parameters)

    def _api_getMe(self, _p: dict) -> dict:
        return {
            **BOT,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getUpdates(self, p: dict) -> list[dict]:
        if self.webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset, limit = int(p.get("offset") or 0), int(p.get("limit") or 100)
        wait = min(float(p.get("timeout") or 0), LONG_POLL_CAP)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait > 0:
                self._cond.wait(wait)
            return self._updates[:limit]

    def _api_deleteWebhook(self, _p: dict) -> bool:
        self.webhook = {}
        return True

    def _api_setWebhook(self, p: dict) -> bool:
        self.webhook = dict(p)
        return True

    def _api_getWebhookInfo(self, _p: dict) -> dict:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }

    def _api_setMyCommands(self, p: dict) -> bool:
        self.commands = p.get("commands") or []
        return True

    def _api_sendChatAction(self, _p: dict) -> bool:
        return True

    def _api_answerCallbackQuery(self, _p: dict) -> bool:
        return True

    def _api_sendMessage(self, p: dict) -> dict:
        chat_id = p.get("chat_id")
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing or not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        self._check_text(p)
        msg = self._message(chat_id, p["text"])
        with self._cond:
            self.sent.append({**p, "message_id": msg["message_id"]})
            self._cond.notify_all()
        return msg

    def _api_editMessageText(self, p: dict) -> dict:
        self._check_text(p)
        return self._message(p.get("chat_id"), p["text"], p.get("message_id"))

    def _check_text(self, p: dict) -> None:
        text = p.get("text") or ""
        visible = text
        if str(p.get("parse_mode", "")).upper() == "HTML":
            try:
                visible = parse_html(text)
            except ValueError as exc:
                raise ApiError(400, f"Bad Request: can't parse entities: {exc}") from exc
        if not visible.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        _check_markup(p.get("reply_markup"))

    def _message(self, chat_id: Any, text: str, message_id: int | None = None) -> dict:
        return {
            "message_id": message_id or next(self._ids),
            "date": int(time.time()),
            "from": BOT,
            "chat": {"id": chat_id, "type": "private", "first_name": "创业者"},
            "text": text,
        }


def _check_markup(markup: Any) -> None:
    for row in (markup or {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


class _Handler(BaseHTTPRequestHandler):
    api: FakeTelegram

    def log_message(self, *_args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        m = re.fullmatch(r"/bot([^/]+)/(\w+)", self.path.split("?")[0])
        params = self._params()
        method = m.group(2) if m else "?"
        call = Call(method, params, time.monotonic())
        self.api.calls.append(call)
        try:
            if not m or m.group(1) != self.api.token:
                raise ApiError(401, "Unauthorized")
            result = self.api.call(method, params)
            body: dict[str, Any] = {"ok": True, "result": result}
        except ApiError as exc:
            call.status = exc.status
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
        self._json(call.status, body)

    def _params(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            return json.loads(raw or b"{}")
        return {k: v if k in STRING_FIELDS else _json_value(v) for k, v in parse_qsl(raw.decode())}

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client went away (shutdown mid long-poll)


def _json_value(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


# updates as Telegram sends them -------------------------------------------------------------------
_update_ids = itertools.count(1)


def _user(chat_id: int) -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": "创业者", "language_code": "zh-hans"}


def message_update(chat_id: int, text: str, update_id: int | None = None) -> dict:
    """A private-chat text message; a leading /command gets its bot_command entity."""
    msg: dict[str, Any] = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "text": text,
        "chat": {"id": chat_id, "type": "private", "first_name": "创业者"},
        "from": _user(chat_id),
    }
    if text.startswith("/"):
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id or next(_update_ids), "message": msg}


def callback_update(chat_id: int, data: str, update_id: int | None = None) -> dict:
    """A press of an inline button with `data` under a message the bot sent."""
    message = {
        "message_id": next(_update_ids),
        "date": int(time.time()),
        "text": "…",
        "from": BOT,
        "chat": {"id": chat_id, "type": "private", "first_name": "创业者"},
    }
    query = {
        "id": str(next(_update_ids)),
        "from": _user(chat_id),
        "chat_instance": "ci",
        "data": data,
        "message": message,
    }
    return {"update_id": update_id or next(_update_ids), "callback_query": query}
