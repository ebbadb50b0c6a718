"""The founder's HTTP API over the real runtime: chat, stream, polling, handoff, delete; limits,
headers and error shapes; the pages and the OpenAPI schema."""

from __future__ import annotations

import json
import logging
import re

import pytest
from fastapi.testclient import TestClient

from assistant.reply import Reply
from connectors.web import create_app
from connectors.web.app import MaskSessionIds
from connectors.web.security import SlidingWindow, client_ip
from connectors.web.stream import sentences
from tests.web_support import ask, make_staff, open_ticket, runtime_for, web_settings_for

pytest_plugins = ["tests.web_fixtures"]  # fixtures: client, web_app, web_runtime
HAN = re.compile(r"[\u4e00-\u9fff]")


def _chinese(res) -> str:
    detail = res.json()["detail"]
    assert isinstance(detail, str) and HAN.search(detail), res.text
    return detail


# -- chat ---------------------------------------------------------------------------------------------


def test_chat_round_trip_returns_a_cited_reply(client):
    reply = Reply.model_validate(ask(client, "算力券怎么申请？"))
    assert reply.session_id.startswith("s_")
    assert reply.citations and "[1]" in reply.answer
    assert any("算力券" in c.title for c in reply.citations)
    again = ask(client, "需要准备什么材料？", reply.session_id)
    assert again["session_id"] == reply.session_id


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"message": ""}, 422),
        ({"message": "   "}, 422),
        ({"message": "长" * 2001}, 422),
        ({}, 422),
        ({"message": 42}, 422),
        ({"message": ["算力券"]}, 422),
        ({"message": "算力券", "session_id": 7}, 422),
        ([1, 2], 422),
        ("算力券", 422),
    ],
)
def test_bad_messages_get_a_chinese_error(client, body, status):
    res = client.post("/api/chat", json=body)
    assert res.status_code == status
    _chinese(res)


def test_invalid_json_and_huge_bodies(client):
    res = client.post("/api/chat", content=b'{"message": ', headers={"Content-Type": "application/json"})
    assert res.status_code == 422 and "JSON" in _chinese(res)
    huge = json.dumps({"message": "长" * 100_000}).encode()
    res = client.post("/api/chat", content=huge, headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and "太大" in _chinese(res)

    def chunks():  # no Content-Length: the middleware must count the bytes as they arrive
        yield b'{"message": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}'

    res = client.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert res.status_code == 413 and "太大" in _chinese(res)


def test_stream_sends_meta_deltas_and_the_full_reply(client):
    with client.stream("POST", "/api/chat/stream", json={"message": "算力券怎么申请？"}) as res:
        assert res.status_code == 200
        assert res.headers["content-type"].startswith("text/event-stream")
        raw = "".join(res.iter_text())
    events = [(m[1], json.loads(m[2])) for m in re.finditer(r"event: (\w+)\ndata: (.*)\n\n", raw)]
    names = [n for n, _ in events]
    assert names[0] == "meta" and names[-1] == "done" and names.count("delta") >= 2
    reply = Reply.model_validate(events[-1][1])
    assert events[0][1]["session_id"] == reply.session_id
    assert "".join(d["text"] for n, d in events if n == "delta") == reply.answer


def test_stream_refuses_bad_messages_before_streaming(client):
    res = client.post("/api/chat/stream", json={"message": ""})
    assert res.status_code == 422 and res.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    "text", ["", "一句话", "第一句。[1]第二句！[2][3]\n\n第三句没有句号", "a?b\nc", "。。。"]
)
def test_sentences_join_back_to_the_text(text):
    assert "".join(sentences(text)) == text


# -- conversation, handoff, delete ------------------------------------------------------------------


def test_messages_show_the_founder_view_and_poll_with_after(client, web_runtime):
    store = web_runtime.store
    sid, ticket = open_ticket(client)
    conv = client.get(f"/api/sessions/{sid}/messages").json()
    roles = [i["role"] for i in conv["items"]]
    assert roles == ["founder", "assistant", "assistant"]
    assert conv["items"][1]["reply"]["citations"] and conv["handoff"]["id"] == ticket
    assert conv["retention_days"] == web_runtime.settings.retention_days
    last = conv["items"][-1]["id"]
    assert client.get(f"/api/sessions/{sid}/messages?after={last}").json()["items"] == []

    staff = make_staff(store, "wang", display_name="王老师")
    store.claim_handoff(ticket, staff.id)
    store.add_note(ticket, staff.id, "内部：先查一下他的注册地")
    store.staff_reply(ticket, staff.id, "您好，我是王老师。")
    new = client.get(f"/api/sessions/{sid}/messages?after={last}").json()["items"]
    assert [(i["role"], i["text"], i["staff_name"]) for i in new] == [
        ("staff", "您好，我是王老师。", "王老师")
    ]
    everything = json.dumps(client.get(f"/api/sessions/{sid}/messages").json(), ensure_ascii=False)
    assert "内部" not in everything


def test_handoff_button_opens_one_ticket(client):
    sid = ask(client, "首次创业有什么补贴？")["session_id"]
    first = client.post(f"/api/sessions/{sid}/handoff").json()
    assert first["intent"] == "handoff" and first["handoff"]["status"] == "open"
    assert first["handoff"]["number"] in first["answer"]  # the number to say, not the internal id
    assert first["handoff"]["id"] not in first["answer"]
    second = client.post(f"/api/sessions/{sid}/handoff").json()
    assert second["handoff"]["id"] == first["handoff"]["id"]


@pytest.mark.parametrize("method", ["get_messages", "handoff", "delete"])
def test_unknown_or_malformed_sessions(client, method):
    for sid, status in (("s_doesNotExist123", 404), ("not-a-session", 422), ("s_" + "x" * 200, 422)):
        if method == "get_messages":
            res = client.get(f"/api/sessions/{sid}/messages")
        elif method == "handoff":
            res = client.post(f"/api/sessions/{sid}/handoff")
        else:
            res = client.delete(f"/api/sessions/{sid}")
        assert res.status_code == status, (sid, res.text)
        _chinese(res)


def test_founder_deletes_their_conversation(client, web_runtime):
    sid, ticket = open_ticket(client)
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert client.get(f"/api/sessions/{sid}/messages").status_code == 404
    assert web_runtime.store.get_handoff(ticket) is None
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def test_health(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["passages"] > 0 and body["max_message_chars"] == 2000


# -- limits -----------------------------------------------------------------------------------------


def test_rate_limit_per_session_and_per_ip(tmp_path, kb_index, catalog):
    rt = runtime_for(
        web_settings_for(tmp_path, rate_limit_per_minute=2, trust_forwarded=True), kb_index, catalog
    )
    with TestClient(create_app(runtime=rt)) as c:
        sid = c.post("/api/chat", json={"message": "你好"}, headers={"X-Forwarded-For": "9.9.9.1"}).json()[
            "session_id"
        ]
        ok = c.post(
            "/api/chat", json={"message": "你好", "session_id": sid}, headers={"X-Forwarded-For": "9.9.9.2"}
        )
        assert ok.status_code == 200
        c.post(
            "/api/chat", json={"message": "你好", "session_id": sid}, headers={"X-Forwarded-For": "9.9.9.3"}
        )
        res = c.post(
            "/api/chat", json={"message": "你好", "session_id": sid}, headers={"X-Forwarded-For": "9.9.9.4"}
        )
        assert res.status_code == 429 and int(res.headers["Retry-After"]) >= 1
        assert "秒后再试" in _chinese(res)
        for _ in range(9):  # per IP: 4 x the session limit, new sessions each time
            last = c.post("/api/chat", json={"message": "你好"}, headers={"X-Forwarded-For": "9.9.9.5"})
        assert last.status_code == 429
        assert (
            c.post("/api/chat", json={"message": "你好"}, headers={"X-Forwarded-For": "9.9.9.6"}).status_code
            == 200
        )
    rt.close()


def test_sliding_window_and_client_ip(store):
    now = [1_000_000.0]
    w = SlidingWindow(store, "t", 2, 60, clock=lambda: now[0])
    assert w.hit("a") is None and w.hit("a") is None
    assert w.hit("a") == 60
    now[0] += 30
    assert w.hit("a") == 30 and w.hit("b") is None
    assert SlidingWindow(store, "other", 2, 60, clock=lambda: now[0]).hit("a") is None  # buckets apart
    now[0] += 30.5
    assert w.hit("a") is None
    assert SlidingWindow(store, "t", 0, 60).hit("x") is None  # 0 disables
    assert client_ip(("10.0.0.1", 1), "1.2.3.4, 5.6.7.8", trust_forwarded=False) == "10.0.0.1"
    assert client_ip(("10.0.0.1", 1), "1.2.3.4, 5.6.7.8", trust_forwarded=True) == "5.6.7.8"
    assert client_ip(None, None, trust_forwarded=True) == "unknown"


# -- pages, headers, schema ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/staff", "/staff/admin", "/api/health", "/static/app.css", "/api/nope"]
)
def test_security_headers_everywhere(client, path):
    res = client.get(path)
    csp = res.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == "same-origin"
    if path.startswith("/api/"):
        assert res.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("page", ["/", "/staff"])
def test_pages_have_no_inline_script_or_style_and_no_cdn(client, page):
    html = client.get(page).text
    assert 'lang="zh-CN"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "every asset must be local"
    for asset in re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html):
        assert client.get(asset).status_code == 200, asset


def test_static_scripts_never_write_html(client):
    for name in ("common.js", "chat.js", "chat-render.js", "staff.js", "admin.js"):
        code = client.get(f"/static/{name}").text
        assert not re.search(
            r"\.(inner|outer)HTML\s*[+]?=|insertAdjacentHTML|document\.write|eval\(", code
        ), name


def test_unknown_routes_and_methods_are_chinese_json(client):
    assert client.get("/api/nope").status_code == 404
    res = client.put("/api/chat", json={"message": "x"})
    assert res.status_code == 405
    _chinese(res)


def test_openapi_is_complete(web_app):
    spec = web_app.openapi()
    assert spec["openapi"].startswith("3.")
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary") and op.get("tags"), f"{method} {path}"
            assert any(code.startswith("2") for code in op["responses"]), f"{method} {path}"
    schemas = spec["components"]["schemas"]
    for name in ("ChatIn", "ReplyOut", "ConversationOut", "TicketDetailOut", "LoginIn", "JobOut"):
        assert schemas[name].get("examples"), name
    assert "/api/chat/stream" in spec["paths"] and "/api/handoffs/{handoff_id}/claim" in spec["paths"]


def test_access_log_masks_session_ids():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s"',
        ("127.0.0.1:5000", "GET", "/api/sessions/s_E5XzyjqkQARYoMSD/messages?after=3"),
        None,
    )
    MaskSessionIds().filter(record)
    assert "s_E5Xz" not in record.getMessage() and "s_***" in record.getMessage()


def test_long_messages_cost_more_of_the_rate_limit(store):
    from starlette.exceptions import HTTPException

    from connectors.web.deps import ChatGuard
    from connectors.web.security import RateLimits, message_cost

    assert message_cost("算力券怎么申请？") == 1 and message_cost("长" * 2000) == 9
    limits = RateLimits(10, store)  # per IP: 40 a minute, counted in the shared database
    office = ChatGuard(limits, "9.9.9.7")
    for _ in range(5):  # 5 long stories: 45 of the IP's 40
        office.message(None, "长" * 2000)
    with pytest.raises(HTTPException) as refused:
        office.message(None, "短问题")
    assert refused.value.status_code == 429
    neighbour = ChatGuard(limits, "9.9.9.8")
    for _ in range(10):  # short questions from another IP still get through
        neighbour.message(None, "算力券怎么申请？")
    session = ChatGuard(limits, "9.9.9.9")
    session.message("s_long_story_1", "长" * 2000)
    session.message("s_long_story_1", "长" * 2000)  # 9 < 10: allowed, now 18
    with pytest.raises(HTTPException):
        session.message("s_long_story_1", "短")
