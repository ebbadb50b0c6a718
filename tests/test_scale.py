"""Two `rongchuang serve` processes on one PostgreSQL database and one Chroma server (`chroma run`
from the installed package), as README "Run on several workers" describes. Each worker has its own
data directory, so nothing can pass between them except through the database and the Chroma server.

The shared index is seeded with the session index's embeddings (same embedder, same cache keys), so
building it embeds nothing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assistant.settings import bundled_kb
from assistant.store import Store
from knowledge.index import KnowledgeIndex
from tests.conftest import postgres_database
from tests.web_support import PASSWORD, make_staff

BIN = Path(sys.executable).parent
ROUNDS = 50
PER_MINUTE = 8  # per session; per IP it is 4× that
START_SECONDS = 300  # a worker loads e5 and the snapshot; on a loaded 2-core machine that is slow
RELOAD_SECONDS = 5.0  # the bound: a worker sees another's new generation within this
CENTER = {"id": "center-test", "name": "测试区创业服务中心", "contact": "028-0000-9999"}
UPLOAD = """---
doc_id: scale-test-voucher
kind: guide
title: 星河孵化券申领指南（测试）
region: 成都
sample: true
---
一、支持内容

星河孵化券每家企业每年最高可以申领 37 万元，用于购买孵化器的专业服务。
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(
                f"{proc.args} exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {seconds} s:\n{log.read_text(errors='replace')[-3000:]}")


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass
class Cluster:
    a: str
    b: str
    db_url: str
    store: Store


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    yield from postgres_database("rc_scale_")


@contextmanager
def chroma_server(folder: Path) -> Iterator[str]:
    """`chroma run` from the installed chromadb package, on a free loopback port."""
    port = _free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "chroma.log"
    cmd = [
        str(BIN / "chroma"),
        "run",
        "--path",
        str(folder / "data"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = _start(cmd, {**os.environ, "ANONYMIZED_TELEMETRY": "False"}, log)
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", proc, 60, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, pg_url, chroma_url, kb_index) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("scale")
    seed = KnowledgeIndex(root / "seed", kb_index.embedder, chroma_url=chroma_url, manifest_url=pg_url)
    seed.manifest.cache_vectors(kb_index.manifest.all_vectors())
    report = seed.ingest([bundled_kb()])
    assert report.ingested and report.embedded == 0 and not report.skipped
    seed.manifest.close()
    env = {
        **os.environ,
        "RONGCHUANG_DATABASE_URL": pg_url,
        "RONGCHUANG_CHROMA_URL": chroma_url,
        "RONGCHUANG_SECRET_KEY": "scale-test-secret-key-shared-by-both-workers",
        "RONGCHUANG_RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "RONGCHUANG_CHAT_WORKERS": "1",
    }
    procs, urls = [], []
    try:
        for name in ("a", "b"):
            port, log = _free_port(), root / f"worker-{name}.log"
            worker_env = {**env, "RONGCHUANG_DATA_DIR": str(root / name)}
            procs.append(_start([str(BIN / "rongchuang"), "serve", "--port", str(port)], worker_env, log))
            urls.append((f"http://127.0.0.1:{port}", procs[-1], log))
        for url, proc, log in urls:
            _wait_http(f"{url}/api/health", proc, START_SECONDS, log)
        with Store.open(pg_url) as store:
            yield Cluster(urls[0][0], urls[1][0], pg_url, store)
    finally:
        for proc in procs:
            _stop(proc)


def _staff_client(base: str, username: str) -> tuple[httpx.Client, dict[str, str]]:
    """A logged-in client (already open: close it, do not use it as a context manager)."""
    c = httpx.Client(base_url=base, timeout=60)
    res = c.post("/api/staff/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return c, {"X-CSRF-Token": res.json()["csrf_token"]}


def _ask(base: str, message: str, session_id: str | None = None) -> httpx.Response:
    return httpx.post(f"{base}/api/chat", json={"message": message, "session_id": session_id}, timeout=60)


@pytest.mark.postgres
@pytest.mark.slow
def test_founder_on_a_while_staff_work_on_b(cluster):
    staff = make_staff(cluster.store, "wang", display_name="王老师")
    b, headers = _staff_client(cluster.b, staff.username)
    try:
        first = _ask(cluster.a, "算力券怎么申请？")
        assert first.status_code == 200, first.text
        sid = first.json()["session_id"]
        assert first.json()["citations"], first.json()
        handoff = httpx.post(f"{cluster.a}/api/sessions/{sid}/handoff", timeout=60)
        assert handoff.status_code == 200, handoff.text
        ticket = handoff.json()["handoff"]["id"]

        queue = b.get("/api/handoffs", params={"status": "open"}).json()["items"]
        assert ticket in [t["id"] for t in queue]
        assert b.post(f"/api/handoffs/{ticket}/claim", headers=headers).status_code == 200
        reply = b.post(f"/api/handoffs/{ticket}/reply", json={"text": "您好，我是王老师。"}, headers=headers)
        assert reply.status_code == 201, reply.text
    finally:
        b.close()

    messages = httpx.get(f"{cluster.a}/api/sessions/{sid}/messages", timeout=60).json()
    staff_lines = [m["text"] for m in messages["items"] if m["role"] == "staff"]
    assert "您好，我是王老师。" in staff_lines


def _race(clients: list[tuple[httpx.Client, dict[str, str]]], ticket: str) -> list[int]:
    barrier = threading.Barrier(len(clients))
    codes = [0] * len(clients)

    def claim(i: int) -> None:
        c, headers = clients[i]
        barrier.wait()
        codes[i] = c.post(f"/api/handoffs/{ticket}/claim", headers=headers).status_code

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return codes


@pytest.mark.postgres
@pytest.mark.slow
def test_two_staff_claim_one_ticket_through_different_workers(cluster):
    store = cluster.store
    alice, bob = make_staff(store, "alice"), make_staff(store, "bob")
    tickets = []
    for i in range(ROUNDS):
        session = store.get_or_create_session(None)
        store.add_message(session.id, "founder", f"第 {i} 位创业者想找人问问")
        tickets.append(store.create_handoff(session.id, "user_request", "想找人", center=CENTER).id)
    clients = [_staff_client(cluster.a, alice.username), _staff_client(cluster.b, bob.username)]
    winners = []
    try:
        for ticket in tickets:
            codes = _race(clients, ticket)
            assert sorted(codes) == [200, 409], (ticket, codes)
            winner = [alice, bob][codes.index(200)]
            assert store.get_handoff(ticket).claimed_by == winner.id
            winners.append(winner.id)
    finally:
        for c, _ in clients:
            c.close()
    assert len(winners) == ROUNDS


@pytest.mark.postgres
@pytest.mark.slow
def test_upload_on_a_is_searchable_on_b(cluster):
    admin = make_staff(cluster.store, "admin", admin=True)
    a, a_headers = _staff_client(cluster.a, admin.username)
    b, _ = _staff_client(cluster.b, admin.username)
    try:
        res = a.post(
            "/api/admin/documents",
            files={"file": ("星河孵化券.md", UPLOAD.encode(), "text/markdown")},
            headers=a_headers,
        )
        assert res.status_code == 202, res.text
        job_id = res.json()["id"]
        deadline = time.monotonic() + 300  # embedding on a loaded machine; progress is read on B
        while (job := b.get(f"/api/admin/jobs/{job_id}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "done", job
        assert job["doc_ids"] == ["scale-test-voucher"] and job["done_passages"] == job["passages"] >= 1
        done_at = time.monotonic()
        while "scale-test-voucher" not in [d["doc_id"] for d in b.get("/api/admin/documents").json()]:
            assert time.monotonic() - done_at < RELOAD_SECONDS, "worker B did not see the new generation"
            time.sleep(0.1)
    finally:
        a.close()
        b.close()
    answer = _ask(cluster.b, "星河孵化券每家企业最高能申领多少？")
    assert answer.status_code == 200, answer.text
    assert "scale-test-voucher" in [c["doc_id"] for c in answer.json()["citations"]], answer.json()


@pytest.mark.postgres
@pytest.mark.slow
def test_logout_on_a_ends_the_session_on_b(cluster):
    staff = make_staff(cluster.store, "zhao")
    a, headers = _staff_client(cluster.a, staff.username)
    cookie = a.cookies.get("rc_staff")
    assert httpx.get(f"{cluster.b}/api/staff/me", cookies={"rc_staff": cookie}).status_code == 200
    assert a.post("/api/staff/logout", headers=headers).status_code == 204
    a.close()
    assert httpx.get(f"{cluster.b}/api/staff/me", cookies={"rc_staff": cookie}).status_code == 401
    assert httpx.get(f"{cluster.a}/api/staff/me", cookies={"rc_staff": cookie}).status_code == 401


@pytest.mark.postgres
@pytest.mark.slow
def test_rate_limit_counts_across_both_workers(cluster):
    first = _ask(cluster.a, "你好")
    assert first.status_code == 200, first.text
    sid = first.json()["session_id"]
    for i in range(PER_MINUTE):  # the first message had no session id yet: these are the counted ones
        res = _ask(cluster.a if i % 2 else cluster.b, f"第 {i} 个问题：创业补贴有哪些？", sid)
        assert res.status_code == 200, (i, res.text)
    for base in (cluster.a, cluster.b):
        refused = _ask(base, "再问一个", sid)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1, refused.text


def test_several_workers_on_sqlite_or_a_local_index_are_refused(tmp_path):
    env = {
        **os.environ,
        "RONGCHUANG_DATA_DIR": str(tmp_path),
        "RONGCHUANG_DATABASE_URL": "",
        "RONGCHUANG_CHROMA_URL": "",
    }
    res = subprocess.run(
        [str(BIN / "rongchuang"), "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    said = " ".join(res.stderr.split())
    assert "RONGCHUANG_DATABASE_URL" in said and "RONGCHUANG_CHROMA_URL" in said and "chroma run" in said
    assert not (tmp_path / "index").exists()  # refused before anything was started or written
