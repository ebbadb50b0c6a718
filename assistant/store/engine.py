"""Engines for SQLite (the default) and PostgreSQL, with SQLite set up for several writers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

# Execution option read by the SQLite `begin` hook: reads need no write lock.
READ_ONLY = "rongchuang_read_only"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def make_engine(url: str | URL) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    return create_engine(parsed, json_serializer=_dumps, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=_dumps)
    else:
        # In-memory (tests only): one shared connection, or every thread would see an empty database.
        engine = create_engine(
            url, json_serializer=_dumps, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy's documented recipe: stop pysqlite from emitting BEGIN itself, we emit our own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode survives a process crash; only a power cut may lose the last commits.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A deferred BEGIN that later upgrades to a write fails at once with SQLITE_BUSY, ignoring
    # busy_timeout; BEGIN IMMEDIATE takes the write lock up front, so writers queue instead.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
