"""Two staff members claim the same ticket at the same moment through the HTTP API of a real server:
exactly one gets 200, the other 409. On SQLite and on PostgreSQL (a fresh database per test)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from assistant.store import Store
from connectors.web import create_app
from tests.conftest import postgres_database
from tests.web_support import PASSWORD, LiveServer, make_staff, runtime_for, web_settings_for

ROUNDS = 8
CENTER = {"id": "center-test", "name": "测试区创业服务中心", "contact": "028-0000-9999"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'claims.sqlite3'}"
    else:
        yield from postgres_database("rc_web_")


def _logged_in(base: str, username: str) -> tuple[httpx.Client, dict[str, str]]:
    c = httpx.Client(base_url=base, timeout=30)
    res = c.post("/api/staff/login", json={"username": username, "password": PASSWORD})
    assert res.status_code == 200, res.text
    return c, {"X-CSRF-Token": res.json()["csrf_token"]}


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
        t.join(timeout=60)
    return codes


def test_two_staff_claim_at_once_one_wins(db_url, tmp_path, kb_index, catalog):
    with Store.open(db_url) as store:
        rt = runtime_for(web_settings_for(tmp_path, database_url=db_url), kb_index, catalog, store=store)
        alice, bob = make_staff(store, "alice"), make_staff(store, "bob")
        tickets = []
        for i in range(ROUNDS):
            session = store.get_or_create_session(None)
            store.add_message(session.id, "founder", f"第 {i} 位创业者想找人问问")
            tickets.append(store.create_handoff(session.id, "user_request", "想找人", center=CENTER).id)
        with LiveServer(create_app(runtime=rt)) as server:
            clients = [_logged_in(server.url, alice.username), _logged_in(server.url, bob.username)]
            try:
                for ticket in tickets:
                    codes = _race(clients, ticket)
                    assert sorted(codes) == [200, 409], codes
                    winner = [alice, bob][codes.index(200)]
                    assert store.get_handoff(ticket).claimed_by == winner.id
            finally:
                for c, _ in clients:
                    c.close()
