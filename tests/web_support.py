"""Helpers for the web tests: settings and runtimes over the session's index, staff accounts, a real
uvicorn server on a random loopback port. The fixtures are in web_fixtures.py."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.engine import Assistant
from assistant.runtime import Runtime
from assistant.settings import Settings
from assistant.store import StaffInfo, Store
from connectors.web.auth import hash_password

PASSWORD = "蓉创-test-密码-2026"


def web_settings_for(data_dir: Path, **overrides) -> Settings:
    values = {
        "data_dir": data_dir,
        "database_url": f"sqlite:///{data_dir / 'web.sqlite3'}",
        "secret_key": "test-secret-key-for-the-web-suite",
        "rate_limit_per_minute": 1000,
    }
    return Settings(**(values | overrides))


def runtime_for(settings: Settings, index, catalog, store: Store | None = None) -> Runtime:
    store = store or Store.open(settings.db_url)
    return Runtime(settings, index, catalog, store, Assistant(index, catalog, store, settings))


def make_staff(
    store: Store, name: str = "staff", admin: bool = False, display_name: str | None = None
) -> StaffInfo:
    username = f"{name}-{uuid.uuid4().hex[:8]}"
    return store.add_staff(
        username, hash_password(PASSWORD), is_admin=admin, display_name=display_name or name
    )


def login(client: TestClient, staff: StaffInfo, password: str = PASSWORD) -> dict[str, str]:
    """Log in; returns the headers a state-changing request needs."""
    res = client.post("/api/staff/login", json={"username": staff.username, "password": password})
    assert res.status_code == 200, res.text
    return {"X-CSRF-Token": res.json()["csrf_token"]}


class LiveServer:
    """uvicorn in a thread on 127.0.0.1 and a port the OS picks."""

    def __init__(self, app: FastAPI) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def age_ticket(store: Store, handoff_id: str, minutes: float) -> None:
    """Move a ticket's creation into the past (the store itself only ever writes 'now')."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import bindparam, text

    from assistant.store.models import UTCDateTime

    past = datetime.now(UTC) - timedelta(minutes=minutes)
    stmt = text("UPDATE handoffs SET created_at = :t WHERE id = :i").bindparams(
        bindparam("t", type_=UTCDateTime())
    )
    with store.engine.begin() as conn:
        conn.execute(stmt, {"t": past, "i": handoff_id})


def ask(client: TestClient, message: str, session_id: str | None = None) -> dict:
    res = client.post("/api/chat", json={"message": message, "session_id": session_id})
    assert res.status_code == 200, res.text
    return res.json()


def open_ticket(client: TestClient, question: str = "算力券怎么申请？") -> tuple[str, str]:
    """A founder asks, then presses 转人工: (session_id, handoff_id)."""
    sid = ask(client, question)["session_id"]
    res = client.post(f"/api/sessions/{sid}/handoff")
    assert res.status_code == 200, res.text
    return sid, res.json()["handoff"]["id"]
