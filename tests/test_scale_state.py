"""What several workers share, on SQLite and on PostgreSQL: staff sessions, upload jobs, rate-limit
hits and leases; and the index's manifest and prepared snapshots (local files, or the shared database
with a Chroma server)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from assistant.store import Store
from knowledge import prepared
from knowledge.index import KnowledgeIndex
from knowledge.search import search
from tests.conftest import postgres_database
from tests.test_index import DOC_A, DOC_B, write
from tests.web_support import make_staff


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    else:
        yield from postgres_database("rc_shared_")


@pytest.fixture
def shared_store(db_url) -> Iterator[Store]:
    with Store.open(db_url) as store:
        yield store


def test_staff_session_ends_everywhere_on_logout(shared_store, db_url):
    staff = make_staff(shared_store, "li")
    later = datetime.now(UTC) + timedelta(hours=1)
    shared_store.open_staff_session("n1", staff.id, later)
    shared_store.open_staff_session("n2", staff.id, datetime.now(UTC) - timedelta(seconds=1))
    with Store(db_url) as other:  # another worker's store on the same database
        assert other.staff_session_active("n1", staff.id)
        assert not other.staff_session_active("n1", staff.id + 1)  # a forged staff id
        assert not other.staff_session_active("n2", staff.id)  # expired
        assert other.end_staff_session("n1")
    assert not shared_store.staff_session_active("n1", staff.id)
    shared_store.purge_shared()
    assert not shared_store.end_staff_session("n2")  # the expired row was swept


def test_upload_job_progress_is_shared(shared_store, db_url):
    shared_store.create_job("j_1", "细则.md")
    shared_store.update_job("j_1", status="running", files=1, passages=40)
    for _ in range(3):
        shared_store.add_job_progress("j_1", 16)
    with Store(db_url) as other:
        job = other.get_job("j_1")
    assert (job.status, job.files, job.passages, job.done_passages) == ("running", 1, 40, 48)
    assert shared_store.get_job("j_nope") is None
    with pytest.raises(ValueError):
        shared_store.update_job("j_1", filename="x")


def test_rate_limit_is_exact_under_concurrent_hits(shared_store):
    now = 2_000_000.0
    refused = []

    def hit() -> None:
        refused.append(shared_store.rate_hit("chat_session", "s_x", 10, 60, now))

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert refused.count(None) == 10 and sorted(w for w in refused if w)[0] == 60
    assert shared_store.rate_retry_after("chat_session", "s_x", 10, 60, now + 61) is None


def test_one_lease_holder_at_a_time(shared_store, db_url):
    assert shared_store.take_lease("telegram-delivery", "w1", 30)
    with Store(db_url) as other:
        assert not other.take_lease("telegram-delivery", "w2", 30)
        assert shared_store.take_lease("telegram-delivery", "w1", 30)  # renewal by the holder
        shared_store.release_lease("telegram-delivery", "w1")
        assert other.take_lease("telegram-delivery", "w2", 0.01)
    import time

    time.sleep(0.05)
    assert shared_store.take_lease("telegram-delivery", "w1", 30)  # w2's lease ran out


def _docs(folder: Path) -> Path:
    folder.mkdir()
    write(folder, "a.md", DOC_A)
    write(folder, "b.md", DOC_B)
    return folder


def test_a_reopened_index_loads_its_prepared_snapshot(tmp_path, embedder, monkeypatch):
    first = KnowledgeIndex(tmp_path / "data", embedder)
    first.ingest([_docs(tmp_path / "docs")])
    assert list((tmp_path / "data" / "index" / "prepared").glob(f"{first.manifest.id}-*/bm25"))

    def rebuilt(*_args):
        raise AssertionError("the snapshot was rebuilt instead of loaded")

    monkeypatch.setattr(prepared, "build", rebuilt)
    again = KnowledgeIndex(tmp_path / "data", embedder)
    assert search(again, "算力补贴", k=1)[0].passage.doc_id == "test-a"
    assert again.idf("算力") < again.idf("没见过的词")


@pytest.mark.postgres
def test_a_second_worker_loads_the_snapshot_the_first_published(tmp_path, embedder, monkeypatch):
    from tests.test_scale import chroma_server

    for pg in postgres_database("rc_kb_"):
        with chroma_server(tmp_path / "chroma") as url:
            a = KnowledgeIndex(tmp_path / "a", embedder, chroma_url=url, manifest_url=pg)
            b = KnowledgeIndex(tmp_path / "b", embedder, chroma_url=url, manifest_url=pg)
            assert b.count() == 0 and not b.passages()
            a.ingest([_docs(tmp_path / "docs")])
            monkeypatch.setattr(prepared, "build", lambda *_: pytest.fail("worker b rebuilt the snapshot"))
            b._stale()  # as if a second had passed
            assert search(b, "低成本办公工位", k=1)[0].passage.doc_id == "test-b"
            assert {p.doc_id for p in b.passages()} == {"test-a", "test-b"}
            a.manifest.close()
            b.manifest.close()
