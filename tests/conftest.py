"""Shared fixtures. The bundled knowledge base is embedded once per test run (session scope) into a
temporary data directory, with a few real laws from ../shared/corpus as distractors."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
SEED = SHARED / "seeds" / "chengdu-innovation-action-plan-2026.txt"
ARTIFACTS = ROOT / "test-artifacts"
N_DISTRACTORS = 20

os.environ.setdefault("RONGCHUANG_ENV", "development")
PG_URL = os.environ.get("RONGCHUANG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_database(prefix: str = "rc_test_") -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards (skip if none is reachable)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc.orig}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def distractor_laws(n: int = N_DISTRACTORS) -> list[Path]:
    """The n smallest law files: real, other-topic Chinese text that must not crowd out our answers."""
    laws = sorted((CORPUS / "laws").glob("*.md"), key=lambda p: (p.stat().st_size, p.name))
    return laws[:n]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def embedder():
    from knowledge.embed import shared_e5

    return shared_e5()


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kb")


@pytest.fixture(scope="session")
def kb_index(kb_dir, embedder):
    """The bundled KB plus distractors, built once. Tests must not modify it."""
    from assistant.settings import bundled_kb
    from knowledge.index import KnowledgeIndex

    index = KnowledgeIndex(kb_dir, embedder)
    report = index.ingest([bundled_kb(), *distractor_laws()])
    assert not report.skipped, report.skipped
    return index


@pytest.fixture(scope="session")
def catalog():
    from assistant.runtime import bundled_catalog

    return bundled_catalog()


@pytest.fixture
def store(tmp_path):
    from assistant.store import Store

    return Store.open(f"sqlite:///{tmp_path / 'rc.sqlite3'}")


@pytest.fixture
def assistant(kb_index, catalog, store):
    from assistant.engine import Assistant
    from assistant.settings import Settings

    return Assistant(kb_index, catalog, store, Settings(data_dir=kb_index.data_dir))
