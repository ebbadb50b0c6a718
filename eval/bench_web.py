"""`make bench`, web part: POST /api/chat throughput and latency at 1, 8 and 32 concurrent clients
over loopback against a real `rongchuang serve` subprocess, with the server's peak RSS; then one
founder's short questions alone ("quiet") and beside 4 clients sending 2,000-character messages
("noisy"; target: noisy p50 within 3x the quiet p50).

The server gets a copy of a prebuilt index (so it never shares a Chroma directory with another
process), its own SQLite file, and rate limits turned off. Targets: p95 at 8 clients within 4x the
single-client p50; no errors at 32 clients.

Questions come from the golden and retrieval sets, each asked once in the 1- and 8-client runs, so
the server's query-vector cache never helps them (only the 32-client run, which checks errors,
repeats some), and each in a new conversation (see `drive`). The warm-up uses its own starter questions.

Quiet against noisy measures what one founder's short question waits for while long stories are
answered, and nothing else: both phases do the whole turn, embedding included. Each phase asks its
own slice of the pool that no other level asks (a question asked before would be a query-vector
cache hit, not an embedding), and the long messages each end in a different question, so they are
real work too. The phases alternate in ROUNDS rounds (quiet, then noisy), so both see the same
machine load; the ratio of their p50s is the figure.
Usage: python -m eval.bench_web [--data-dir var]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

LEVELS = [(1, 60), (8, 200), (32, 200)]  # (concurrent clients, requests)
NEIGHBOUR_QUESTIONS = 24  # short questions per phase, quiet and noisy, each asked once
ROUNDS = 6  # the phases alternate: quiet, noisy, quiet, noisy ...
EVAL = Path(__file__).parent
WARM_UP = [
    "算力券怎么申请？",
    "我们做无人机，适合去哪个园区？",
    "刚起步能拿到哪些资金支持？",
    "首次创业有什么补贴？",
    "大学生创业可以申请哪些扶持？",
    "科技创新券能用来做什么？",
    "我们是做生物医药的，三个人，种子期，有什么政策？",
    "申请算力券需要准备什么材料？",
    "成都的天使基金怎么对接？",
    "人形机器人企业可以入驻哪些园区？",
    "知识产权质押贷款怎么办理？",
    "高新区有没有免费的办公场地？",
    "我们做人工智能应用，需要算力和场地",
    "专精特新企业认定有什么条件？",
    "先投后股是什么意思？",
    "创业担保贷款最多能贷多少？",
]
console = Console()
NOISY_CLIENTS = 4
STORY = (
    "我们是三个人的小团队，去年从高校出来，做工业视觉检测，产品在两家工厂试用过，客户反馈还可以。"
    "现在租的办公室快到期了，房东要涨价，团队也想扩招两个算法工程师，但是钱不多，融资还没谈下来。"
)


def long_message(question: str, shift: int = 0, chars: int = 2000) -> str:
    """A founder's long story ending in a question, `chars` characters in all; `shift` starts the
    story that many characters in, so the same question can end different messages."""
    story = STORY * (chars // len(STORY) + 2)
    body = story[shift % len(STORY) :][: chars - len(question)]
    return body + question


def question_pool() -> list[str]:
    """Every distinct single question of the golden and retrieval sets, shuffled the same way every
    run: the files are grouped by kind, and each level must get the same mix of cheap and dear ones."""
    seen: dict[str, None] = {}
    for name in ("golden.jsonl", "retrieval.jsonl"):
        for line in (EVAL / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and (q := json.loads(line).get("question")) and q not in WARM_UP:
                seen.setdefault(q, None)
    pool = list(seen)
    random.Random(8).shuffle(pool)
    return pool


@dataclass
class Level:
    clients: int
    requests: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0
    label: str = ""  # "quiet" / "noisy": one founder alone, or beside NOISY_CLIENTS long-message clients

    def pct(self, q: float) -> float:
        values = sorted(self.latencies) or [0.0]
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the process's peak resident set size so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Server:
    """`rongchuang serve` in a subprocess on a free loopback port."""

    def __init__(self, data_dir: Path, work: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "RONGCHUANG_DATA_DIR": str(data_dir),
            "RONGCHUANG_RATE_LIMIT_PER_MINUTE": "0",
            "RONGCHUANG_DATABASE_URL": f"sqlite:///{work / 'bench-web.sqlite3'}",
        }
        self.log = (work / "server.log").open("w")
        cmd = [
            sys.executable,
            "-m",
            "connectors.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise TimeoutError("server did not become ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def drive(url: str, level: Level, questions: list[str]) -> None:
    """`clients` threads, each with its own HTTP client, share `requests` requests: request i asks
    questions[i], each in a new conversation. In one conversation, the first question that hands off
    to staff would turn every later one into "staff have it", a reply that searches nothing."""
    lock = threading.Lock()
    counter = iter(range(level.requests))

    def client(worker: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                question = questions[i % len(questions)]
                started = time.perf_counter()
                try:
                    res = http.post("/api/chat", json={"message": question})
                    ok = res.status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                with lock:
                    level.latencies.append(elapsed)
                    level.errors += 0 if ok else 1

    threads = [threading.Thread(target=client, args=(w,)) for w in range(level.clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    level.seconds = time.perf_counter() - started


def noisy_neighbours(url: str, fresh: list[str], stories: list[str]) -> tuple[Level, Level]:
    """p50 of one founder's short questions, quiet and while NOISY_CLIENTS clients keep sending
    2,000-character messages (the rate limit is off here: this measures the scheduling alone).

    `fresh` holds 2 × NEIGHBOUR_QUESTIONS questions the server has never been asked: the first half
    for the quiet phase, the second for the noisy one, split over ROUNDS alternating rounds. Each long
    message ends in the next question of `stories`, with the story shifted once they run out, so no
    two long messages embed the same text."""
    n = NEIGHBOUR_QUESTIONS
    quiet, busy = Level(1, 0), Level(1, 0)
    quiet_qs, busy_qs = fresh[:n], fresh[n : 2 * n]
    per = -(-n // ROUNDS)
    sent = iter(range(10**9))
    lock = threading.Lock()
    for r in range(ROUNDS):
        part = slice(r * per, min(n, (r + 1) * per))
        _add(quiet, url, quiet_qs[part])
        stop = threading.Event()
        threads = [
            threading.Thread(target=_noise, args=(url, stories, sent, lock, stop))
            for _ in range(NOISY_CLIENTS)
        ]
        for t in threads:
            t.start()
        time.sleep(1.0)  # let the long messages fill the queue first
        try:
            _add(busy, url, busy_qs[part])
        finally:
            stop.set()
            for t in threads:
                t.join()
    return quiet, busy


def _add(total: Level, url: str, questions: list[str]) -> None:
    """Ask `questions` one after another and add the figures to `total`."""
    part = Level(1, len(questions))
    drive(url, part, questions)
    total.requests += part.requests
    total.errors += part.errors
    total.seconds += part.seconds
    total.latencies += part.latencies


def _noise(url: str, stories: list[str], sent, lock: threading.Lock, stop: threading.Event) -> None:
    """One client sending long messages back to back until `stop`; `sent` numbers them."""
    with httpx.Client(base_url=url, timeout=120) as http:
        while not stop.is_set():
            with lock:
                i = next(sent)
            shift, question = divmod(i, len(stories))
            try:
                http.post("/api/chat", json={"message": long_message(stories[question], shift)})
            except httpx.HTTPError:
                pass


def split_pool(pool: list[str]) -> tuple[list[str], list[str]]:
    """(questions for the levels, questions for quiet and noisy): the second part is taken from just
    after the questions the 1- and 8-client levels ask, and the 32-client level, which wraps round
    the first part, never reaches it."""
    fresh_at = sum(requests for clients, requests in LEVELS if clients <= 8)
    need = fresh_at + 2 * NEIGHBOUR_QUESTIONS
    if len(pool) < need:
        raise SystemExit(f"bench_web needs {need} distinct questions in the golden and retrieval sets")
    fresh = pool[fresh_at:need]
    return pool[:fresh_at] + pool[need:], fresh


def measure(data_dir: Path) -> list[Level]:
    work = Path(tempfile.mkdtemp(prefix="rc-bench-web-"))
    served = work / "data"
    if (data_dir / "index").exists():  # a private copy: one process per Chroma directory
        shutil.copytree(data_dir / "index", served / "index")
    server = Server(served, work)
    try:
        server.wait_ready()
        drive(server.url, Level(4, 16), WARM_UP)  # first-touch costs are not what we measure
        pool, fresh = split_pool(question_pool())
        used, levels = 0, []
        for clients, requests in LEVELS:
            level = Level(clients, requests)
            drive(server.url, level, [pool[(used + i) % len(pool)] for i in range(requests)])
            used += requests
            level.peak_rss_mb = peak_rss_mb(server.proc.pid)
            levels.append(level)
        quiet, busy = noisy_neighbours(server.url, fresh, pool)
        for lv, label in ((quiet, "quiet"), (busy, "noisy")):
            lv.label = label
            lv.peak_rss_mb = peak_rss_mb(server.proc.pid)
            levels.append(lv)
        return levels
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def rows_for(levels: list[Level]) -> list[list[str]]:
    return [
        [
            {"noisy": f"1 + {NOISY_CLIENTS} × 2,000 字", "quiet": "1 (quiet)"}.get(lv.label, str(lv.clients)),
            str(lv.requests),
            str(lv.errors),
            f"{lv.requests / lv.seconds:.1f}",
            f"{lv.pct(0.5):.0f}",
            f"{lv.pct(0.95):.0f}",
            f"{lv.peak_rss_mb:.0f}",
        ]
        for lv in levels
    ]


def verdicts(levels: list[Level]) -> list[str]:
    by = {lv.clients: lv for lv in levels if not lv.label}
    named = {lv.label: lv for lv in levels if lv.label}
    out = []
    if "quiet" in named and "noisy" in named:
        quiet, noisy = named["quiet"].pct(0.5), named["noisy"].pct(0.5)
        ok = noisy <= 3 * quiet
        out.append(
            f"short-question p50 beside {NOISY_CLIENTS} clients sending 2,000-character messages "
            f"{noisy:.0f} ms vs quiet p50 {quiet:.0f} ms: {noisy / max(quiet, 1e-9):.2f}× (target ≤ 3×): "
            f"{'OK' if ok else 'MISSED'}"
        )
    if 1 in by and 8 in by:
        limit = 4 * by[1].pct(0.5)
        ok = by[8].pct(0.95) <= limit
        out.append(
            f"p95 at 8 clients {by[8].pct(0.95):.0f} ms vs 4 × single-client p50 {limit:.0f} ms: "
            f"{'OK' if ok else 'MISSED'}"
        )
    if 32 in by:
        out.append(f"errors at 32 clients: {by[32].errors} ({'OK' if by[32].errors == 0 else 'MISSED'})")
    return out


def run(rows: list, data_dir: Path | None = None) -> list[Level]:
    """Measure and append the table rows (strings) to `rows`."""
    levels = measure(Path(data_dir or os.environ.get("RONGCHUANG_DATA_DIR", "var")))
    rows.extend(rows_for(levels))
    return levels


def main(data_dir: Path | None = None, argv: list[str] | None = None) -> list[list[str]]:
    if data_dir is None:
        ap = argparse.ArgumentParser(description=__doc__)
        ap.add_argument("--data-dir", type=Path, default=Path(os.environ.get("RONGCHUANG_DATA_DIR", "var")))
        data_dir = ap.parse_args(argv).data_dir
    rows: list[list[str]] = []
    levels = run(rows, data_dir)
    table = Table(
        "clients",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "server peak RSS MB",
        title="Web: POST /api/chat over loopback (rongchuang serve, one worker)",
        title_justify="left",
    )
    for r in rows:
        table.add_row(*r)
    console.print(table)
    for line in verdicts(levels):
        console.print(line)
    return rows


if __name__ == "__main__":
    main()
