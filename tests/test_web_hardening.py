"""Bad text refused cleanly on SQLite and PostgreSQL, staff accounts managed (disable, reset, remove,
centers), production secrets, purge, and the console never handing out a founder's session id."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.settings import Settings
from assistant.store import Store
from connectors.cli import app as cli_app
from connectors.web import create_app
from knowledge.errors import ConfigError
from tests.conftest import postgres_database
from tests.web_support import PASSWORD, ask, login, make_staff, open_ticket, runtime_for, web_settings_for

pytest_plugins = ["tests.web_fixtures"]  # fixtures: client, web_app, web_runtime

BAD = {
    "lone surrogate": "算力券\ud800怎么申请",
    "NUL": "算力券\x00怎么申请",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def bad_text_client(request, tmp_path, kb_index, catalog):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'bad.sqlite3'}"
        rt = runtime_for(web_settings_for(tmp_path, database_url=url), kb_index, catalog)
        with TestClient(create_app(runtime=rt)) as c:
            yield c, rt
        rt.close()
        return
    for url in postgres_database("rc_bad_"):
        rt = runtime_for(web_settings_for(tmp_path, database_url=url), kb_index, catalog)
        with TestClient(create_app(runtime=rt)) as c:
            yield c, rt
        rt.close()


def _post(c, path: str, body: dict, headers: dict | None = None):
    """JSON with \\u escapes, as a browser sends it: a lone surrogate cannot be encoded as UTF-8."""
    raw = json.dumps(body).encode()
    return c.post(path, content=raw, headers={"content-type": "application/json", **(headers or {})})


def _detail(res) -> str:
    body = res.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body
    return body["detail"]


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_text_is_a_422_in_chinese_and_the_connection_stays_usable(bad_text_client, kind):
    c, rt = bad_text_client
    text = BAD[kind]
    sid = ask(c, "你好")["session_id"]
    res = _post(c, "/api/chat", {"message": text})
    assert res.status_code == 422, (kind, res.text)
    assert "字符" in _detail(res) and res.json()["errors"][0]["loc"] == ["body", "message"]
    # Ids and usernames lose their control characters: an unknown id starts a new conversation, an
    # unknown username is a failed login, and neither reaches PostgreSQL with a NUL in it.
    fresh = c.post("/api/chat", json={"message": "你好", "session_id": "s_abc\x00defghij"})
    assert fresh.status_code == 200 and fresh.json()["session_id"] != sid
    res = c.post("/api/staff/login", json={"username": "wang\x00", "password": "x"})
    assert res.status_code == 401 and _detail(res)
    headers = login(c, make_staff(rt.store, "root", admin=True))
    _sid, ticket = open_ticket(c, "人才公寓怎么申请？")
    c.post(f"/api/handoffs/{ticket}/claim", headers=headers)
    for path, body in (
        (f"/api/handoffs/{ticket}/reply", {"text": text}),
        (f"/api/handoffs/{ticket}/note", {"text": text}),
        (f"/api/handoffs/{ticket}/correct", {"question": text, "answer": "答"}),
    ):
        res = _post(c, path, body, headers)
        assert res.status_code == 422 and _detail(res), (path, res.text)
    assert c.get("/api/handoffs/h_x%00y").status_code == 422
    assert c.get("/api/handoffs", params={"center": "c\x00"}).status_code == 422
    assert ask(c, "你好", sid)["session_id"] == sid  # the same client keeps working, nothing was lost
    founder = [
        m["text"] for m in c.get(f"/api/sessions/{sid}/messages").json()["items"] if m["role"] == "founder"
    ]
    assert founder == ["你好", "你好"]


def test_stray_controls_are_harmless_and_invalid_utf8_is_a_422(client, web_runtime):
    sid = ask(client, "算力券\x07怎么\x1b[31m申请？")["session_id"]  # stored as sent, escaped in logs
    founder = client.get(f"/api/sessions/{sid}/messages").json()["items"]
    assert [m["text"] for m in founder if m["role"] == "founder"] == ["算力券\x07怎么\x1b[31m申请？"]
    headers = login(client, make_staff(web_runtime.store, "wang", admin=True))
    _sid, ticket = open_ticket(client)
    client.post(f"/api/handoffs/{ticket}/claim", headers=headers)
    note = client.post(f"/api/handoffs/{ticket}/note", json={"text": "备注\x07\x1b"}, headers=headers)
    assert note.status_code == 201
    assert client.get(f"/api/handoffs/{ticket}").json()["notes"][-1]["text"] == "备注"  # staff text: dropped
    res = client.post(
        "/api/chat", content=b'{"message": "\xff\xfe"}', headers={"content-type": "application/json"}
    )
    assert res.status_code == 422 and "UTF-8" in _detail(res)


# Blank to Python's strip() (and so to the documented pattern), though not all of it is `\s` elsewhere.
UNICODE_BLANKS = ["\u3000", "\u0085", "\x1c\x1f", " \u2028\u00a0\t", "\u200a\x07\u205f"]


def test_staff_text_of_unicode_whitespace_is_a_422_and_limits_count_what_was_sent(client, web_runtime):
    headers = login(client, make_staff(web_runtime.store, "wang", admin=True))
    _sid, ticket = open_ticket(client)
    client.post(f"/api/handoffs/{ticket}/claim", headers=headers)
    note = f"/api/handoffs/{ticket}/note"
    for text in UNICODE_BLANKS:
        res = client.post(note, json={"text": text}, headers=headers)
        assert res.status_code == 422 and "不能为空" in _detail(res), (repr(text), res.text)
        assert res.json()["errors"][0] == {
            "loc": ["body", "text"],
            "msg": "“text” 不能为空",
            "type": "string_too_short",
        }
    assert client.post(note, json={"text": "\u3000备注\u0085"}, headers=headers).status_code == 201
    assert client.get(f"/api/handoffs/{ticket}").json()["notes"][-1]["text"] == "备注"
    res = client.post(note, json={"text": " " + "字" * 4000}, headers=headers)  # 4,001 as sent
    assert res.status_code == 422 and res.json()["errors"][0]["type"] == "string_too_long"
    res = client.post("/api/chat", json={"message": " " + "问" * 2000})
    assert res.status_code == 422 and "2000 字以内" in _detail(res)


def test_identifier_limits_count_what_was_sent_before_controls_are_dropped(client):
    """85 characters as sent are over the documented 80, though 5 are left once controls go."""
    res = client.post("/api/chat", json={"message": "算力券", "session_id": "s_abc" + "\x01" * 80})
    assert res.status_code == 422 and res.json()["errors"][0]["type"] == "string_too_long", res.text
    res = client.post("/api/staff/login", json={"username": "wang" + "\x07" * 61, "password": "x"})
    assert res.status_code == 422 and res.json()["errors"][0]["loc"] == ["body", "username"], res.text
    res = client.post("/api/staff/login", json={"username": "wang", "password": "p" + "\x07" * 256})
    assert res.status_code == 422 and res.json()["errors"][0]["loc"] == ["body", "password"], res.text


def test_the_console_never_sees_a_founders_session_id(client, web_runtime):
    headers = login(client, make_staff(web_runtime.store, "wang", admin=True))
    sid, ticket = open_ticket(client)
    assert headers
    body = client.get(f"/api/handoffs/{ticket}").text + client.get("/api/handoffs?status=all").text
    assert sid not in body and sid[:6] in body  # shortened: enough to tell two apart


def test_disabled_reset_and_scoped_staff(tmp_path, kb_index, catalog):
    rt = runtime_for(web_settings_for(tmp_path), kb_index, catalog)
    with TestClient(create_app(runtime=rt)) as c:
        admin = make_staff(rt.store, "lead", admin=True)
        wang = make_staff(rt.store, "wang")
        _sid, ticket = open_ticket(c)
        center = rt.store.get_handoff(ticket).center_id
        rt.store.set_staff_centers(wang.id, ["elsewhere"], own_only=True)
        login(c, wang)
        assert ticket not in c.get("/api/handoffs").text  # only the centers assigned to wang
        assert c.get(f"/api/handoffs/{ticket}").status_code == 403
        rt.store.set_staff_centers(wang.id, [center], own_only=True)
        assert ticket in c.get("/api/handoffs").text

        admin_headers = login(c, admin)
        [row] = [s for s in c.get("/api/admin/staff").json()["items"] if s["id"] == wang.id]
        assert row["centers"] == [center] and row["own_centers_only"] and not row["disabled"]
        res = c.patch(f"/api/admin/staff/{wang.id}", json={"disabled": True}, headers=admin_headers)
        assert res.status_code == 200 and res.json()["disabled"]
        assert (
            c.patch(
                f"/api/admin/staff/{admin.id}", json={"disabled": True}, headers=admin_headers
            ).status_code
            == 409
        )
        res = c.post("/api/staff/login", json={"username": wang.username, "password": PASSWORD})
        assert res.status_code == 401 and "停用" in _detail(res)
        rt.store.set_staff_disabled(wang.id, False)
        login(c, wang)
        assert c.get("/api/staff/me").status_code == 200
        time.sleep(1.1)  # tokens carry whole seconds: the reset must come a second after the login
        rt.store.set_staff_password(wang.id, "another-hash")  # a reset ends the sessions made before it
        assert c.get("/api/staff/me").status_code == 401
    rt.close()


def test_staff_and_curated_commands_and_purge(tmp_path):
    env = {"RONGCHUANG_DATA_DIR": str(tmp_path), "RONGCHUANG_DATABASE_URL": ""}
    runner = CliRunner()
    run = lambda *args, stdin=None: runner.invoke(cli_app, list(args), input=stdin, env=env)  # noqa: E731
    assert run("staff", "add", "wang", "--password-stdin", stdin="a-long-password\n").exit_code == 0
    assert run("staff", "disable", "wang").exit_code == 0
    listed = run("staff", "list")
    assert "wang" in listed.output and "已停用" in listed.output
    assert run("staff", "enable", "wang").exit_code == 0
    assert (
        run("staff", "reset-password", "wang", "--password-stdin", stdin="new-long-password\n").exit_code == 0
    )
    assert run("staff", "reset-password", "wang", "--password-stdin", stdin="short\n").exit_code == 2
    assert run("staff", "centers", "wang", "--center", "gaoxin", "--own-only").exit_code == 0
    assert run("staff", "disable", "nobody").exit_code == 1
    url = f"sqlite:///{tmp_path / 'rongchuang.sqlite3'}"
    from connectors.web.auth import verify_password

    with Store.open(url) as store:
        wang = store.get_staff_by_username("wang")
        assert not wang.disabled and wang.own_centers_only and store.staff_centers(wang.id) == ["gaoxin"]
        assert verify_password("new-long-password", wang.password_hash)
        item = store.add_curated("问题", "答案", staff_id=wang.id, question_key="问题", author_name="王")
        store.get_or_create_session(None)
    listed = run("curated", "list", "--json")
    assert listed.exit_code == 0 and '"status": "draft"' in listed.output and "问题" in listed.output
    assert run("curated", "list", "--status", "published").exit_code == 2
    assert run("curated", "remove", str(item.id)).exit_code == 0
    assert run("curated", "remove", str(item.id)).exit_code == 1
    assert run("staff", "remove", "wang", "--yes").exit_code == 0
    negative = run("purge", "--days", "-1")
    assert negative.exit_code == 2 and "负数" in negative.output and "Traceback" not in negative.output
    purged = run("purge", "--days", "0")
    assert purged.exit_code == 0 and "已删除 1 个对话" in purged.output
    with Store.open(url) as store:
        assert store.list_staff() == [] and store.curated_answers() == []


def test_production_refuses_short_or_development_secrets():
    for secret in ("x", "dev-insecure-change-me", "a" * 31):
        with pytest.raises(ConfigError, match="32"):
            Settings(env="production", secret_key=secret)
    assert Settings(env="production", secret_key="k" * 32).secret_key == "k" * 32
