"""The index with real parts: real Chroma, real e5 embeddings, real files on disk."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from knowledge.index import KnowledgeIndex
from knowledge.retriever import KnowledgeRetriever
from knowledge.search import Filters, search
from tests.conftest import CORPUS

DOC_A = """---
doc_id: test-a
kind: policy
title: 测试算力补贴办法
region: 成都
---
第一条 为支持企业使用算力，设立算力补贴。

第二条 在成都注册的企业购买算力服务，可以申请补贴。
"""
DOC_B = """---
doc_id: test-b
kind: guide
title: 测试场地指南
region: 成都
---
一、场地

孵化器为初创团队提供低成本办公工位。
"""
DOC_OLD = """---
doc_id: test-old
kind: policy
title: 已过期的旧办法
region: 成都
effective_to: 2020-01-01
---
第一条 旧办法规定孵化器工位免费三年。
"""
DOC_GZ = """---
doc_id: test-gz
kind: policy
title: 广州市创业补贴办法
region: 广州
---
第一条 在广州创业的青年可以申请一次性创业补贴。
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def docs(tmp_path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    write(folder, "a.md", DOC_A)
    write(folder, "b.md", DOC_B)
    return folder


@pytest.fixture
def index(tmp_path, embedder) -> KnowledgeIndex:
    return KnowledgeIndex(tmp_path / "data", embedder)


def ids_in_chroma(index: KnowledgeIndex) -> list[str]:
    return index.collection.get(include=[])["ids"]


def test_reingest_unchanged_embeds_nothing(index, docs):
    first = index.ingest([docs])
    assert len(first.ingested) == 2 and first.embedded == first.passages > 0
    second = index.ingest([docs])
    assert second.embedded == 0 and second.ingested == [] and len(second.unchanged) == 2


def test_changed_file_replaces_its_passages(index, docs):
    index.ingest([docs])
    write(docs, "a.md", DOC_A.replace("可以申请补贴", "可以申请最高五十万元补贴"))
    report = index.ingest([docs])
    assert [Path(s).name for s in report.ingested] == ["a.md"]
    assert report.embedded == 1  # only the changed article
    texts = [p.text for p in index.passages_of("test-a")]
    assert any("五十万元" in t for t in texts) and not any(t.endswith("可以申请补贴。") for t in texts)
    assert sorted(ids_in_chroma(index)) == sorted(p.passage_id for p in index.passages())


def test_removed_file_passages_go(index, docs):
    index.ingest([docs])
    (docs / "b.md").unlink()
    report = index.ingest([docs])
    assert [Path(s).name for s in report.removed] == ["b.md"]
    assert index.passages_of("test-b") == []
    assert all(not pid.startswith("test-b") for pid in ids_in_chroma(index))


def test_bad_file_is_skipped_and_nothing_stored_is_lost(index, docs):
    index.ingest([docs])
    before = {p.passage_id for p in index.passages()}
    write(docs, "a.md", "")  # a file that was fine becomes empty
    write(docs, "park.yaml", "kind: park\nid: bad-park\ntitle: 坏文件\nsample: true\ntracks: 5\n")
    report = index.ingest([docs])
    skipped = dict(report.skipped)
    assert {Path(s).name for s in skipped} == {"a.md", "park.yaml"}
    assert "a.md" in skipped[str(docs / "a.md")] and "空" in skipped[str(docs / "a.md")]
    assert "park.yaml" in skipped[str(docs / "park.yaml")] and "字段" in skipped[str(docs / "park.yaml")]
    assert {p.passage_id for p in index.passages()} == before  # a.md's old passages are still there


def test_duplicate_doc_id_is_refused(index, docs):
    index.ingest([docs])
    write(docs, "copy.md", DOC_A)
    report = index.ingest([docs])
    assert len(report.skipped) == 1 and "test-a" in report.skipped[0][1]


def test_filters_validity_kind_region(index, docs):
    write(docs, "old.md", DOC_OLD)
    write(docs, "gz.md", DOC_GZ)
    index.ingest([docs])
    found = {h.passage.doc_id for h in search(index, "孵化器工位免费", k=10)}
    assert "test-old" not in found and "test-b" in found
    found = {
        h.passage.doc_id for h in search(index, "孵化器工位免费", k=10, filters=Filters(include_expired=True))
    }
    assert "test-old" in found
    only_guides = search(index, "补贴", k=10, filters=Filters(kinds=("guide",)))
    assert only_guides and {h.passage.meta.kind for h in only_guides} == {"guide"}
    chengdu = search(index, "创业补贴", k=10, filters=Filters(regions=("成都",)))
    assert "test-gz" not in {h.passage.doc_id for h in chengdu}


def test_search_modes_and_langchain_retriever(index, docs):
    index.ingest([docs])
    for mode in ("hybrid", "dense", "bm25"):
        top = search(index, "买算力能补贴吗", k=3, mode=mode)
        assert top and top[0].passage.doc_id == "test-a", mode
    docs_out = KnowledgeRetriever(index=index, k=2).invoke("低成本办公工位")
    assert docs_out[0].metadata["doc_id"] == "test-b" and docs_out[0].metadata["section"]
    assert "工位" in docs_out[0].page_content


def test_reopen_sees_the_same_index(tmp_path, embedder, docs):
    first = KnowledgeIndex(tmp_path / "data", embedder)
    first.ingest([docs])
    n = first.count()
    del first
    again = KnowledgeIndex(tmp_path / "data", embedder)
    assert again.count() == n and len(again.collection.get(include=[])["ids"]) == n
    assert search(again, "算力补贴", k=1)[0].passage.doc_id == "test-a"


def _cache_rows(data_dir: Path) -> int:
    db = data_dir / "index" / "manifest.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT count(*) FROM embed_cache").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_sigkill_mid_ingest_then_rerun_completes_without_duplicates(tmp_path):
    laws = sorted((CORPUS / "laws").glob("*.md"), key=lambda p: p.stat().st_size)[30:36]
    src = tmp_path / "laws"
    src.mkdir()
    for p in laws:
        (src / p.name).write_bytes(p.read_bytes())
    data = tmp_path / "data"
    env = {**os.environ, "RONGCHUANG_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "connectors.cli", "ingest", str(src)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _cache_rows(data) < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; use bigger files"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    cached = _cache_rows(data)
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    from knowledge.embed import shared_e5

    index = KnowledgeIndex(data, shared_e5())
    ids = index.collection.get(include=[])["ids"]
    passages = index.passages()
    assert len(ids) == len(set(ids)) == len(passages) == index.count()
    assert set(ids) == {p.passage_id for p in passages}
    assert len(index.manifest.sources()) == len(laws)
    embedded = int(rerun.stderr.split("新嵌入 ")[1].split(" ")[0])
    assert embedded + cached == _cache_rows(data)  # nothing the killed run embedded was embedded again
    rows = _cache_rows(data)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    # an unchanged run says so in one line (connectors/cli.py _ingest_summary) and embeds nothing
    assert f"知识库没有变化：{len(laws)} 个文件，共 {len(passages)} 段" in again.stderr, again.stderr
    assert _cache_rows(data) == rows


def test_cli_search_json_stdin(kb_index, kb_dir):
    env = {**os.environ, "RONGCHUANG_DATA_DIR": str(kb_dir)}
    # One process owns a Chroma directory: the session index is idle while this runs.
    out = subprocess.run(
        [sys.executable, "-m", "connectors.cli", "search", "--json", "-k", "3", "-"],
        input="算力券支持哪些企业\n先投后股是什么\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 2 and all(len(r) == 3 for r in rows)
    assert {"text", "title", "section", "doc_id", "score"} <= set(rows[0][0])


def test_query_vectors_are_cached_shared_read_only_and_computed_in_parallel(embedder):
    import threading

    import numpy as np

    embedder.forget_queries()
    first = embedder.embed_query("算力券怎么申请？")
    assert embedder.embed_query("算力券怎么申请？") is first  # the page's starter questions repeat
    assert not first.flags.writeable  # shared through the cache: nobody may change it in place
    embedder.forget_queries()
    again = embedder.embed_query("算力券怎么申请？")
    assert again is not first and np.allclose(again, first)

    # Two threads embed at once (no lock around the C engine): same vectors as one at a time.
    questions = [f"第{i}个问题：知识产权质押贷款要准备什么材料？" for i in range(8)]
    expected = [np.array(embedder.embed_query(q)) for q in questions]
    embedder.forget_queries()
    got: dict[int, np.ndarray] = {}

    def work(part: int) -> None:
        for i in range(part, len(questions), 2):
            got[i] = embedder.embed_query(questions[i])

    threads = [threading.Thread(target=work, args=(p,)) for p in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(got[i], expected[i], atol=1e-6) for i in range(len(questions)))
