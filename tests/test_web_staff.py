"""The staff console's API: login, CSRF, 401/403/429, the queue, claim/reply/note/resolve, corrections
reused by the assistant, Telegram delivery flags, the `rongchuang staff add` command."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.store import Store
from connectors.cli import app as cli_app
from connectors.web import create_app
from connectors.web.auth import TokenSigner, verify_password
from tests.web_support import (
    PASSWORD,
    age_ticket,
    ask,
    login,
    make_staff,
    open_ticket,
    runtime_for,
    web_settings_for,
)

pytest_plugins = ["tests.web_fixtures"]  # fixtures: client, web_app, web_runtime
CENTER = {"id": "center-test", "name": "测试区创业服务中心", "contact": "028-0000-9999"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Rate-limit hits live in the shared database since issue 13a, so a fresh app no longer means
    fresh limits: another module's failed logins from "testclient" (the schemathesis fuzz) would
    still block this module's logins. Each test that uses the shared runtime starts with none."""
    if "web_runtime" in request.fixturenames:
        from sqlalchemy import delete

        from assistant.store.models import RateHitRow

        store = request.getfixturevalue("web_runtime").store
        with store.engine.begin() as conn:
            conn.execute(delete(RateHitRow))


def _detail(res) -> str:
    detail = res.json()["detail"]
    assert re.search(r"[\u4e00-\u9fff]", detail), res.text
    return detail


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/handoffs"),
        ("GET", "/api/handoffs/h_x"),
        ("POST", "/api/handoffs/h_x/claim"),
        ("POST", "/api/handoffs/h_x/reply"),
        ("GET", "/api/staff/me"),
        ("POST", "/api/staff/logout"),
        ("GET", "/api/admin/documents"),
        ("DELETE", "/api/admin/documents/x"),
    ],
)
def test_unauthenticated_requests_get_401(client, method, path):
    res = client.request(method, path, json={"text": "你好"})
    assert res.status_code == 401
    _detail(res)


def test_login_cookie_csrf_and_logout(client, web_runtime):
    staff = make_staff(web_runtime.store)
    res = client.post("/api/staff/login", json={"username": staff.username, "password": PASSWORD})
    cookie = res.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    csrf = res.json()["csrf_token"]
    assert client.get("/api/staff/me").json()["csrf_token"] == csrf
    _sid, ticket = open_ticket(client)
    assert client.post(f"/api/handoffs/{ticket}/claim").status_code == 403
    assert client.post(f"/api/handoffs/{ticket}/claim", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert client.post(f"/api/handoffs/{ticket}/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    stolen = client.cookies.get("rc_staff")
    assert client.post("/api/staff/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/handoffs").status_code == 401
    client.cookies.set("rc_staff", stolen)  # a copy kept from before logout is revoked too
    assert client.get("/api/handoffs").status_code == 401


def test_wrong_password_and_secure_cookie_in_production(tmp_path, kb_index, catalog, web_runtime):
    settings = web_settings_for(
        tmp_path, env="production", secret_key="a-long-random-production-secret-for-tests"
    )
    rt = runtime_for(settings, kb_index, catalog, store=web_runtime.store)
    staff = make_staff(web_runtime.store)
    with TestClient(create_app(runtime=rt), base_url="https://testserver") as c:
        bad = c.post("/api/staff/login", json={"username": staff.username, "password": "nope"})
        assert bad.status_code == 401 and "不正确" in _detail(bad)
        res = c.post("/api/staff/login", json={"username": staff.username, "password": PASSWORD})
        assert "secure" in res.headers["set-cookie"].lower()


def test_failed_logins_are_limited_per_ip_and_per_username(tmp_path, kb_index, catalog, web_runtime):
    rt = runtime_for(
        web_settings_for(tmp_path, trust_forwarded=True), kb_index, catalog, store=web_runtime.store
    )
    victim, other = make_staff(web_runtime.store), make_staff(web_runtime.store)
    with TestClient(create_app(runtime=rt)) as c:

        def attempt(user, password, ip):
            return c.post(
                "/api/staff/login",
                json={"username": user.username, "password": password},
                headers={"X-Forwarded-For": ip},
            )

        for i in range(5):  # five IPs guessing one account
            assert attempt(victim, "guess", f"10.1.0.{i}").status_code == 401
        blocked = attempt(victim, PASSWORD, "10.1.0.99")
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        assert "登录失败次数太多" in _detail(blocked)
        assert attempt(other, PASSWORD, "10.1.0.99").status_code == 200
        for _ in range(5):  # one IP guessing five accounts
            attempt(make_staff(web_runtime.store), "guess", "10.2.0.1")
        assert attempt(other, PASSWORD, "10.2.0.1").status_code == 429


def test_tokens_are_signed_and_expire():
    signer = TokenSigner("secret-one", ttl=60)
    raw, tok = signer.issue(7)
    assert signer.verify(raw) == tok
    sid, exp, nonce, sig = raw.split(".")
    assert signer.verify(f"8.{exp}.{nonce}.{sig}") is None
    assert TokenSigner("secret-two").verify(raw) is None
    assert signer.verify("garbage") is None and signer.verify(None) is None
    assert TokenSigner("secret-one", ttl=-1).verify(TokenSigner("secret-one", ttl=-1).issue(7)[0]) is None
    assert signer.csrf_ok(tok, signer.csrf(tok)) and not signer.csrf_ok(tok, None)


def test_queue_filters_age_and_overdue(client, web_runtime):
    store = web_runtime.store
    login(client, make_staff(store))
    _sid, fresh = open_ticket(client)
    old_session = store.get_or_create_session(None)
    store.add_message(old_session.id, "founder", "我要投诉：材料交了三个月没人理")
    old = store.create_handoff(old_session.id, "complaint", "投诉：材料没人理", center=CENTER, priority=1).id
    age_ticket(store, old, minutes=180)

    def ids(**params):
        res = client.get("/api/handoffs", params=params)
        assert res.status_code == 200, res.text
        return {t["id"]: t for t in res.json()["items"]}

    both = ids(status="open")
    assert fresh in both and old in both
    assert both[old]["overdue"] and both[old]["age_minutes"] >= 180 and not both[fresh]["overdue"]
    assert list(both).index(old) < list(both).index(fresh)  # complaints first
    assert old in ids(reason="complaint") and fresh not in ids(reason="complaint")
    assert old in ids(older_than=150) and fresh not in ids(older_than=150)
    assert set(ids(center="center-test")) == {old}
    assert client.get("/api/handoffs", params={"status": "nonsense"}).status_code == 422
    assert client.get("/api/handoffs", params={"older_than": "soon"}).status_code == 422


def test_claim_reply_note_resolve(web_app, web_runtime):
    store = web_runtime.store
    with TestClient(web_app) as a, TestClient(web_app) as b:
        ha = login(a, make_staff(store, "li", display_name="李老师"))
        hb = login(b, make_staff(store, "zhao"))
        sid, ticket = open_ticket(a)
        assert a.post(f"/api/handoffs/{ticket}/claim", headers=ha).json()["claimed_by"] == "李老师"
        taken = b.post(f"/api/handoffs/{ticket}/claim", headers=hb)
        assert taken.status_code == 409 and "已被其他工作人员" in _detail(taken)
        assert b.post(f"/api/handoffs/{ticket}/reply", json={"text": "我来"}, headers=hb).status_code == 403
        assert a.post(f"/api/handoffs/{ticket}/reply", json={"text": "   "}, headers=ha).status_code == 422
        assert (
            a.post(
                f"/api/handoffs/{ticket}/reply", json={"text": "您好，材料清单发您了。"}, headers=ha
            ).status_code
            == 201
        )
        assert (
            a.post(f"/api/handoffs/{ticket}/note", json={"text": "已电话联系"}, headers=ha).status_code == 201
        )
        assert a.post(f"/api/handoffs/{ticket}/reply", json={"text": ""}, headers=ha).status_code == 422
        detail = b.get(f"/api/handoffs/{ticket}").json()
        assert [m["role"] for m in detail["messages"]][:2] == ["founder", "assistant"]
        assert detail["messages"][-1]["staff_name"] == "李老师" and detail["citations"]
        assert detail["notes"][0]["text"] == "已电话联系" and detail["notes"][0]["staff_name"] == "李老师"
        assert detail["center"]["name"] and not detail["delivery_failed"] and detail["channel"] == "web"
        founder = a.get(f"/api/sessions/{sid}/messages").json()["items"]
        assert founder[-1]["text"] == "您好，材料清单发您了。" and "已电话联系" not in json.dumps(
            founder, ensure_ascii=False
        )
        assert b.post(f"/api/handoffs/{ticket}/resolve", json={"outcome": "x"}, headers=hb).status_code == 403
        done = a.post(f"/api/handoffs/{ticket}/resolve", json={"outcome": "已说明申报流程"}, headers=ha)
        assert done.status_code == 200 and done.json()["status"] == "resolved"
        assert (
            a.post(f"/api/handoffs/{ticket}/resolve", json={"outcome": "再来"}, headers=ha).status_code == 409
        )
        assert a.get("/api/handoffs/h_nope").status_code == 404
        assert a.post("/api/handoffs/h_nope/claim", headers=ha).status_code == 404


def test_failed_telegram_delivery_is_flagged(client, web_runtime):
    store = web_runtime.store
    staff = make_staff(store)
    login(client, staff)
    session = store.session_for_external("telegram", 770001)
    store.add_message(session.id, "founder", "我想找人问问")
    ticket = store.create_handoff(session.id, "user_request", "想找人", center=CENTER)
    store.claim_handoff(ticket.id, staff.id)
    msg = store.staff_reply(ticket.id, staff.id, "您好")
    store.mark_delivery(msg.id, ok=False, error="Forbidden: bot was blocked by the user", max_attempts=1)
    detail = client.get(f"/api/handoffs/{ticket.id}").json()
    assert detail["delivery_failed"] and detail["channel"] == "telegram"
    assert (
        detail["messages"][-1]["delivery"] == "failed"
        and "blocked" in detail["messages"][-1]["delivery_error"]
    )


def test_a_correction_reaches_founders_only_after_an_admin_approves_it(tmp_path, kb_index, catalog):
    rt = runtime_for(web_settings_for(tmp_path, corrections_per_hour=3), kb_index, catalog)  # own store
    question = "科技创新券怎么申请？"
    answer = "科技创新券在成都科技服务平台线上申请，先注册企业账号，15 个工作日内审核。咨询请拨13812345678。"
    with TestClient(create_app(runtime=rt)) as c:
        wang = make_staff(rt.store, "wang", display_name="王老师")
        admin = make_staff(rt.store, "lead", admin=True, display_name="李主任")
        before = ask(c, question)
        _sid, ticket = open_ticket(c, question)
        outsider = login(c, make_staff(rt.store, "other"))  # has not claimed the ticket
        body = {"question": question, "answer": answer}
        res = c.post(f"/api/handoffs/{ticket}/correct", json=body, headers=outsider)
        assert res.status_code == 403 and "认领" in _detail(res)
        headers = login(c, wang)
        c.post(f"/api/handoffs/{ticket}/claim", headers=headers)
        res = c.post(f"/api/handoffs/{ticket}/correct", json=body, headers=headers)
        assert res.status_code == 201 and res.json()["status"] == "draft", res.text
        curated_id = res.json()["curated_id"]
        draft_reply = ask(c, question)
        assert all(cit["kind"] != "curated" for cit in draft_reply["citations"])
        assert draft_reply["answer"] == before["answer"]  # a draft changes nothing for founders
        assert not (tmp_path / "curated_cases.jsonl").exists()
        assert c.get("/api/admin/curated", headers=headers).status_code == 403  # not an admin
        res = c.post(f"/api/admin/curated/{curated_id}/review", json={"status": "approved"}, headers=headers)
        assert res.status_code == 403

        admin_headers = login(c, admin)
        [draft] = c.get("/api/admin/curated").json()["items"]
        assert draft["author_name"] == "王老师" and draft["status"] == "draft"
        assert "13812345678" not in draft["answer"] and "138****5678" in draft["answer"]  # masked
        res = c.post(
            f"/api/admin/curated/{curated_id}/review", json={"status": "approved"}, headers=admin_headers
        )
        assert res.status_code == 200, res.text
        done = res.json()
        assert (
            done["reviewer_name"] == "李主任"
            and done["reviewed_at"]
            and done["case_id"] == f"curated-{curated_id}"
        )
        case = json.loads((tmp_path / "curated_cases.jsonl").read_text(encoding="utf-8").splitlines()[-1])
        assert case["id"] == done["case_id"] and case["source"] == "curated" and case["question"] == question
        reply = ask(c, question)
        assert reply["citations"][0]["kind"] == "curated" and reply["citations"][0]["title"] == "服务中心答复"
        assert "科技创新券在成都科技服务平台线上申请" in reply["answer"]
        reordered = ask(c, "怎么申请科技创新券")  # the same question in other words: the e5 vector
        assert reordered["citations"][0]["kind"] == "curated"

        res = c.post(
            f"/api/admin/curated/{curated_id}/review", json={"status": "disabled"}, headers=admin_headers
        )
        assert res.status_code == 200 and res.json()["status"] == "disabled"
        assert all(cit["kind"] != "curated" for cit in ask(c, question)["citations"])
        assert c.delete(f"/api/admin/curated/{curated_id}", headers=admin_headers).status_code == 204
        assert c.delete(f"/api/admin/curated/{curated_id}", headers=admin_headers).status_code == 404

        headers = login(c, wang)
        for _ in range(
            3
        ):  # three per hour in this test (the deleted one no longer counts): the fourth is refused
            assert c.post(f"/api/handoffs/{ticket}/correct", json=body, headers=headers).status_code == 201
        res = c.post(f"/api/handoffs/{ticket}/correct", json=body, headers=headers)
        assert res.status_code == 429 and int(res.headers["retry-after"]) > 0 and "一小时" in _detail(res)
    rt.close()


def test_admin_edits_a_draft_and_an_edit_needs_review_again(tmp_path, kb_index, catalog):
    rt = runtime_for(web_settings_for(tmp_path), kb_index, catalog)
    with TestClient(create_app(runtime=rt)) as c:
        admin = make_staff(rt.store, "lead", admin=True)
        headers = login(c, admin)
        _sid, ticket = open_ticket(c, "人才公寓怎么申请？")
        curated_id = c.post(
            f"/api/handoffs/{ticket}/correct",
            json={"question": "人才公寓怎么申请？", "answer": "旧"},
            headers=headers,
        ).json()["curated_id"]
        c.post(f"/api/admin/curated/{curated_id}/review", json={"status": "approved"}, headers=headers)
        res = c.put(
            f"/api/admin/curated/{curated_id}",
            json={
                "question": "人才公寓怎么申请？",
                "answer": "到区人才服务中心申请，身份证510107199003071236。",
            },
            headers=headers,
        )
        assert res.status_code == 200 and res.json()["status"] == "draft"
        assert "510107199003071236" not in res.json()["answer"]
        assert all(cit["kind"] != "curated" for cit in ask(c, "人才公寓怎么申请？")["citations"])
        res = c.post(f"/api/admin/curated/{curated_id}/review", json={"status": "rejected"}, headers=headers)
        assert res.json()["status"] == "rejected"
        assert [i["id"] for i in c.get("/api/admin/curated?status=rejected").json()["items"]] == [curated_id]
        assert (
            c.put(
                "/api/admin/curated/999999", json={"question": "q", "answer": "a"}, headers=headers
            ).status_code
            == 404
        )
    rt.close()


def _upload(c: TestClient, headers: dict, name: str, data: bytes):
    return c.post("/api/admin/documents", files={"file": (name, data)}, headers=headers)


def _wait(c: TestClient, job_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = c.get(f"/api/admin/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("ingest job did not finish")


GOOD = """---
doc_id: test-upload-notice
kind: policy
title: 测试区首次创业补贴实施细则
doc_number: 测试发〔2026〕1号
effective_from: 2026-01-01
---
一、补贴对象
在测试区首次创办企业、正常经营满六个月的创业者，可以申请一次性创业补贴。

二、补贴标准
每户补贴一万元，由区人力资源和社会保障局审核发放。
""".encode()


def test_admin_upload_list_and_remove(tmp_path, embedder, catalog):
    from knowledge.index import KnowledgeIndex

    settings = web_settings_for(tmp_path / "data", upload_max_mb=1)
    rt = runtime_for(settings, KnowledgeIndex(tmp_path / "kb", embedder), catalog)
    uploads = settings.data_dir / "uploads"
    with TestClient(create_app(runtime=rt)) as c:
        assert c.get("/api/admin/documents", headers=login(c, make_staff(rt.store))).status_code == 403
        headers = login(c, make_staff(rt.store, "root", admin=True))
        assert _upload(c, {}, "x.md", GOOD).status_code == 403  # no CSRF token
        res = _upload(c, headers, "细则.md", GOOD)
        assert res.status_code == 202, res.text
        job = _wait(c, res.json()["id"])
        assert job["status"] == "done" and job["doc_ids"] == ["test-upload-notice"] and job["passages"] >= 2
        docs = {d["doc_id"]: d for d in c.get("/api/admin/documents").json()}
        assert docs["test-upload-notice"]["uploaded"] and docs["test-upload-notice"]["valid"]
        assert docs["test-upload-notice"]["doc_number"] == "测试发〔2026〕1号"

        for name, data, status in [
            ("细则.md", b"", 422),
            ("tool.exe", b"MZ\x90\x00", 422),
            ("big.md", b"x" * (1024 * 1024 + 10), 413),
            ("../../etc/passwd.md", b"  \n", 422),
        ]:
            bad = _upload(c, headers, name, data)
            assert bad.status_code == status, (name, bad.text)
            _detail(bad)
        assert "细则.md" in _detail(_upload(c, headers, "细则.md", b""))  # names the file, not our path
        # What needs parsing is answered at once (202) and refused by the job, with the file's name.
        res = _upload(c, headers, "scan.pdf", b"%PDF-1.4 garbage")
        assert res.status_code == 202
        job = _wait(c, res.json()["id"])
        assert job["status"] == "failed" and "scan.pdf" in job["error"] and str(tmp_path) not in job["error"]
        assert sorted(p.name for p in uploads.iterdir() if p.is_file()) == ["细则.md"]  # bad files deleted
        assert "test-upload-notice" in {d["doc_id"] for d in c.get("/api/admin/documents").json()}

        assert c.delete("/api/admin/documents/test-upload-notice", headers=headers).status_code == 204
        assert "test-upload-notice" not in {d["doc_id"] for d in c.get("/api/admin/documents").json()}
        assert not (uploads / "细则.md").exists()
        assert c.delete("/api/admin/documents/test-upload-notice", headers=headers).status_code == 404
        assert c.get("/api/admin/jobs/j_nope").status_code == 404
    rt.close()


def test_staff_add_command(tmp_path):
    env = {"RONGCHUANG_DATA_DIR": str(tmp_path), "RONGCHUANG_DATABASE_URL": ""}
    runner = CliRunner()
    args = ["staff", "add", "wang", "--admin", "--password-stdin", "--display-name", "王老师"]
    res = runner.invoke(cli_app, args, input="a-long-password\n", env=env)
    assert res.exit_code == 0, res.output
    assert runner.invoke(cli_app, args, input="a-long-password\n", env=env).exit_code == 1  # duplicate
    prompted = runner.invoke(
        cli_app, ["staff", "add", "li"], input="another-password\nanother-password\n", env=env
    )
    assert prompted.exit_code == 0, prompted.output
    assert (
        runner.invoke(
            cli_app, ["staff", "add", "zhao", "--password-stdin"], input="short\n", env=env
        ).exit_code
        == 2
    )
    with Store.open(f"sqlite:///{tmp_path / 'rongchuang.sqlite3'}") as store:
        wang = store.get_staff_by_username("wang")
        assert wang.is_admin and wang.display_name == "王老师"
        assert verify_password("a-long-password", wang.password_hash)
        assert not store.get_staff_by_username("li").is_admin


def test_ticket_number_search_and_a_summary_that_follows_the_profile(client, web_runtime):
    store = web_runtime.store
    login(client, make_staff(store))
    sid = ask(client, "我们三个人做无人机，刚起步")["session_id"]
    reply = client.post(f"/api/sessions/{sid}/handoff").json()
    number, hid = reply["handoff"]["number"], reply["handoff"]["id"]
    assert re.fullmatch(r"[1-9]\d{5}", number) and number in reply["answer"]
    shown = [
        m["reply"]["handoff"] for m in _founder_messages(client, sid) if m["reply"] and m["reply"]["handoff"]
    ]
    assert [h["number"] for h in shown] == [number]

    ask(client, "我们团队其实有5个人", sid)  # the founder corrects the profile after the handoff
    found = client.get("/api/handoffs", params={"q": number[:4], "status": "resolved"}).json()["items"]
    assert hid in {t["id"] for t in found}, "a number search ignores the status filter"
    ticket = next(t for t in found if t["id"] == hid)
    assert ticket["number"] == number
    assert "团队 5 人" in ticket["summary"] and "3 人" not in ticket["summary"]
    assert not ticket["summary"].startswith("原因")  # the console shows the reason as a badge
    detail = client.get(f"/api/handoffs/{hid}").json()
    assert detail["profile"]["team_size"] == 5 and detail["summary"] == ticket["summary"]
    assert client.get("/api/handoffs", params={"q": "000000"}).json()["items"] == []


def _founder_messages(client, sid: str) -> list[dict]:
    return client.get(f"/api/sessions/{sid}/messages").json()["items"]


def _nested_html(levels: int) -> bytes:
    return (
        "<html><body>" + "<div>" * levels + "补贴说明，" * 40 + "</div>" * levels + "</body></html>"
    ).encode()


def test_hostile_html_is_refused_by_the_job_while_the_server_keeps_answering(tmp_path, embedder, catalog):
    from knowledge.index import KnowledgeIndex

    settings = web_settings_for(tmp_path / "data", upload_max_mb=60)
    rt = runtime_for(settings, KnowledgeIndex(tmp_path / "kb", embedder), catalog)
    with TestClient(create_app(runtime=rt)) as c:
        headers = login(c, make_staff(rt.store, "root", admin=True))
        res = _upload(c, headers, "细则.md", GOOD)
        assert _wait(c, res.json()["id"])["status"] == "done"
        nested = _upload(c, headers, "nested.html", _nested_html(20_000))  # the 3.3 MB file of the report
        huge = _upload(c, headers, "huge.html", b"<p>" + "正文。".encode() * (6 * 1024 * 1024) + b"</p>")
        assert nested.status_code == 202 and huge.status_code == 202  # answered at once
        assert c.get("/api/health").status_code == 200  # the server answers while the job parses
        deep, big = _wait(c, nested.json()["id"]), _wait(c, huge.json()["id"])
        assert deep["status"] == "failed" and "nested.html" in deep["error"] and "嵌套" in deep["error"]
        assert big["status"] == "failed" and "huge.html" in big["error"] and "超过上限" in big["error"]
        assert "test-upload-notice" in {d["doc_id"] for d in c.get("/api/admin/documents").json()}
        assert sorted(p.name for p in (settings.data_dir / "uploads").iterdir() if p.is_file()) == ["细则.md"]
    rt.close()
