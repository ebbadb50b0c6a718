"""Limits and headers applied before any route runs: body size, security headers, rate limits.

The two middlewares are pure ASGI (no BaseHTTPMiddleware): the body limit must count bytes as they
arrive, before FastAPI parses anything, and neither may buffer a response.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.store import Store

UPLOAD_PREFIX = "/api/admin/"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so FastAPI's body parsing passes it through as is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_text(limit))


def too_large_text(limit: int) -> str:
    size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
    return f"请求内容太大（上限 {size}）。请缩短内容，或上传更小的文件。"


async def send_json(send: Send, status: int, body: dict, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    head = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(data)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": head + list(headers)})
    await send({"type": "http.response.body", "body": data})


class BodyLimitMiddleware:
    """413 for a body over the limit: at once from Content-Length, else while counting the bytes."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"].startswith(UPLOAD_PREFIX) else self.max_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_json(send, 413, {"detail": too_large_text(limit)}, [(b"connection", b"close")])
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:  # raised somewhere that did not turn it into a response itself
                await send_json(send, 413, {"detail": too_large_text(limit)})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class SecurityHeadersMiddleware:
    """CSP without inline script or style, no framing, nosniff; API answers are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in {k for k, _ in HEADERS}]
                headers += HEADERS
                if api:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class SlidingWindow:
    """At most `limit` hits per key in any `window` seconds, counted in the database, so every worker
    sees the same count. `clock` is wall time (shared by the workers), injectable for tests."""

    def __init__(
        self,
        store: Store,
        bucket: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.bucket = bucket
        self.limit = limit
        self.window = window
        self.clock = clock

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it is under the limit."""
        return self.store.rate_retry_after(self.bucket, key, self.limit, self.window, self.clock())

    def record(self, key: str, cost: int = 1) -> None:
        """Count `cost` hits now (a long message costs several)."""
        if self.limit > 0:
            self.store.rate_record(self.bucket, key, self.window, self.clock(), cost)

    def hit(self, key: str, cost: int = 1) -> int | None:
        """Record `cost` hits unless over the limit (one atomic step); the wait in seconds when over it."""
        return self.store.rate_hit(self.bucket, key, self.limit, self.window, self.clock(), cost)


def message_cost(text: str) -> int:
    """What a message costs against the rate limit: 1 for a question, more for a long story (its
    answer is more CPU work), so one client sending long messages cannot starve the others."""
    return 1 + len(text) // COST_CHARS


COST_CHARS = 250  # a 2,000-character message costs 9 of the minute's budget
HEAVY_CHARS = 300  # longer messages also wait for a "heavy" answer slot (see deps.get_heavy_slots)


class RateLimits:
    """The app's limiters. Chat: cost per session and per IP (an IP may be a whole office behind NAT,
    so it gets IP_FACTOR times the session limit); a short question costs 1, a long message more
    (`message_cost`). Logins: failures per IP and per username."""

    IP_FACTOR = 4
    LOGIN_FAILURES = 5
    LOGIN_WINDOW = 15 * 60

    def __init__(self, per_minute: int, store: Store) -> None:
        self.session = SlidingWindow(store, "chat_session", per_minute, 60)
        self.ip = SlidingWindow(store, "chat_ip", per_minute * self.IP_FACTOR, 60)
        self.login_ip = SlidingWindow(store, "login_ip", self.LOGIN_FAILURES, self.LOGIN_WINDOW)
        self.login_user = SlidingWindow(store, "login_user", self.LOGIN_FAILURES, self.LOGIN_WINDOW)


def too_many(wait: int, what: str = "消息发得太快了") -> HTTPException:
    return HTTPException(429, f"{what}，请 {wait} 秒后再试。", headers={"Retry-After": str(wait)})


def client_ip(scope_client: tuple[str, int] | None, forwarded_for: str | None, trust_forwarded: bool) -> str:
    """The rightmost X-Forwarded-For entry is the one our (single, trusted) proxy appended; entries
    to its left come from the client and can be forged."""
    if trust_forwarded and forwarded_for:
        last = forwarded_for.split(",")[-1].strip()
        if last:
            return last
    return scope_client[0] if scope_client else "unknown"
