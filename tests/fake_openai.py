"""A fake OpenAI-compatible vendor: a real HTTP server on 127.0.0.1 speaking the chat-completions wire
protocol (JSON and `stream: true` server-sent events, tool calls included), so the real openai and
langchain-openai client code runs in tests.

    vendor = FakeOpenAI().start()
    vendor.enqueue(tool_calls=[{"name": "search_knowledge", "arguments": {"query": "算力券"}}])
    vendor.enqueue(text="每家企业每年最高可申领50万元算力券。[1]")
    ... use vendor.base_url ...
    vendor.requests[0]["body"]["messages"][0]["content"]   # the system prompt sent

`text` may be a function of the request body, for answers that depend on what the model was shown.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.loopback import LoopbackServer

PIECE = 4  # characters per streamed content delta: small, so sentences arrive split across chunks


@dataclass
class Script:
    """One scripted response: text and/or tool calls, or an HTTP error status; `delay` before replying."""

    text: str | Callable[[dict], str] = ""
    tool_calls: list[dict] = field(default_factory=list)  # {"name": ..., "arguments": {...} | "json"}
    status: int = 200
    delay: float = 0.0


class FakeOpenAI(LoopbackServer):
    handler_attr = "vendor"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        return _Handler

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.scripts: deque[Script] = deque()
        self.requests: list[dict[str, Any]] = []

    # test API --------------------------------------------------------------------------------
    def enqueue(
        self,
        text: str | Callable[[dict], str] = "",
        tool_calls: list[dict] | None = None,
        status: int = 200,
        delay: float = 0.0,
    ) -> None:
        self.scripts.append(Script(text=text, tool_calls=tool_calls or [], status=status, delay=delay))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def next_script(self) -> Script:
        if not self.scripts:
            return Script(status=599, text="fake vendor: no scripted response left")
        return self.scripts.popleft()


def _call_id(i: int) -> str:
    return f"call_{i:04d}"


def _arguments(call: dict) -> str:
    args = call.get("arguments", {})
    return args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)


def completion(model: str, script: Script) -> dict:
    """A non-streaming chat.completion object."""
    message: dict[str, Any] = {"role": "assistant", "content": script.text or None}
    if script.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(i),
                "type": "function",
                "function": {"name": c["name"], "arguments": _arguments(c)},
            }
            for i, c in enumerate(script.tool_calls)
        ]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if script.tool_calls else "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def chunks(model: str, script: Script) -> list[dict]:
    """The chat.completion.chunk objects of a streamed response, as the SDK expects them: a role delta,
    content pieces, then per tool call a delta with id and name followed by argument fragments."""
    deltas: list[dict] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": script.text[i : i + PIECE]} for i in range(0, len(script.text), PIECE)]
    for i, call in enumerate(script.tool_calls):
        deltas.append(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": _call_id(i),
                        "type": "function",
                        "function": {"name": call["name"], "arguments": ""},
                    }
                ]
            }
        )
        args = _arguments(call)
        deltas += [
            {"tool_calls": [{"index": i, "function": {"arguments": args[j : j + 8]}}]}
            for j in range(0, len(args), 8)
        ]
    finish = "tool_calls" if script.tool_calls else "stop"
    out = [_chunk(model, d, None) for d in deltas]
    out.append(_chunk(model, {}, finish))
    return out


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }


class _Handler(BaseHTTPRequestHandler):
    vendor: FakeOpenAI
    protocol_version = "HTTP/1.0"  # the connection closes after each response: ends an SSE stream

    def log_message(self, *_args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/v1/models"):
            model = {"id": self.vendor.model, "object": "model", "created": 0, "owned_by": "fake"}
            self._json(200, {"object": "list", "data": [model]})
        else:
            self._json(404, _error("not found"))

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.vendor.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        if not self.path.rstrip("/").endswith("/v1/chat/completions"):
            self._json(404, _error("not found"))
            return
        script = self.vendor.next_script()
        if callable(script.text):
            try:
                script = replace(script, text=script.text(body))
            except Exception as exc:  # a failing script is the test's bug: say so in the response
                script = Script(status=599, text=f"fake vendor: script failed: {exc!r}")
        time.sleep(script.delay)
        try:
            if script.status != 200:
                self._json(script.status, _error(script.text or "scripted failure"))
            elif body.get("stream"):
                self._sse(chunks(self.vendor.model, script))
            else:
                self._json(200, completion(self.vendor.model, script))
        except OSError:
            pass  # the client gave up (a timeout test): nothing to answer

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, events: list[dict]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        for event in events:
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _error(message: str) -> dict:
    return {"error": {"message": message, "type": "server_error", "param": None, "code": None}}
