"""`make bench`, scale-out part: POST /api/chat at 8 clients against `rongchuang serve --workers 1`
and `--workers 2`, both on one PostgreSQL database and one Chroma server (`chroma run`), the
arrangement of README "Run on several workers". On a 2-core machine the point is that two workers
answer correctly side by side, not that they are faster: each answer is CPU work.

The shared index is seeded with the embedding cache of the local index (`--data-dir`), so building it
embeds nothing when `rongchuang ingest` has run. The database is a fresh one on the server named by
RONGCHUANG_BENCH_POSTGRES_URL (default: postgresql+psycopg://root@127.0.0.1:5432/test), dropped after.
Usage: python -m eval.bench_scale [--data-dir var]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from .bench_web import WARM_UP, Level, drive, free_port, question_pool

CLIENTS, REQUESTS = 8, 200
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("RONGCHUANG_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
console = Console()


@contextmanager
def database() -> Iterator[str]:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"rc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _wait(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer")


@contextmanager
def process(
    cmd: list[str], env: dict[str, str], ready: str, log: Path, timeout: float = 900
) -> Iterator[None]:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(ready, proc, timeout)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def seed(work: Path, data_dir: Path, chroma_url: str, db_url: str) -> None:
    from assistant.settings import bundled_kb
    from knowledge.embed import shared_e5
    from knowledge.index import KnowledgeIndex
    from knowledge.manifest import Manifest

    index = KnowledgeIndex(work / "seed", shared_e5(), chroma_url=chroma_url, manifest_url=db_url)
    local = data_dir / "index" / "manifest.sqlite3"
    if local.exists():
        index.manifest.cache_vectors(Manifest(local).all_vectors())
    index.ingest([bundled_kb()])
    index.manifest.close()


def measure(data_dir: Path) -> list[tuple[int, Level]]:
    work = Path(tempfile.mkdtemp(prefix="rc-bench-scale-"))
    port = free_port()
    chroma = [
        str(BIN / "chroma"),
        "run",
        "--path",
        str(work / "chroma"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    chroma_url = f"http://127.0.0.1:{port}"
    out = []
    try:
        with (
            database() as db_url,
            process(chroma, dict(os.environ), f"{chroma_url}/api/v2/heartbeat", work / "chroma.log"),
        ):
            seed(work, data_dir, chroma_url, db_url)
            env = {
                **os.environ,
                "RONGCHUANG_DATABASE_URL": db_url,
                "RONGCHUANG_CHROMA_URL": chroma_url,
                "RONGCHUANG_DATA_DIR": str(work / "workers"),
                "RONGCHUANG_RATE_LIMIT_PER_MINUTE": "0",
            }
            pool = question_pool()
            for workers in (1, 2):
                web = free_port()
                cmd = [str(BIN / "rongchuang"), "serve", "--port", str(web), "--workers", str(workers)]
                url = f"http://127.0.0.1:{web}"
                with process(cmd, env, f"{url}/api/health", work / f"serve-{workers}.log"):
                    drive(url, Level(4, 16), WARM_UP)
                    level = Level(CLIENTS, REQUESTS)
                    drive(url, level, pool[:REQUESTS])  # the same questions for both
                    out.append((workers, level))
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(data_dir: Path | None = None, argv: list[str] | None = None) -> list[list[str]]:
    if data_dir is None:
        ap = argparse.ArgumentParser(description=__doc__)
        ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("RONGCHUANG_DATA_DIR", "var")))
        data_dir = ap.parse_args(argv).data_dir
    rows = [
        [
            str(w),
            str(lv.clients),
            str(lv.requests),
            str(lv.errors),
            f"{lv.requests / lv.seconds:.1f}",
            f"{lv.pct(0.5):.0f}",
            f"{lv.pct(0.95):.0f}",
        ]
        for w, lv in measure(data_dir)
    ]
    table = Table(
        "workers",
        "clients",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        title="Scale-out: POST /api/chat, PostgreSQL + Chroma server, 1 vs 2 workers",
        title_justify="left",
    )
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return rows


if __name__ == "__main__":
    main()
