"""`make bench`: ingest throughput, search latency, retrieval quality against a naive LangChain
pipeline, Assistant.respond latency against embedding alone, start-up and one founder's HTTP
latency against their unavoidable parts (eval/bench_start.py) — printed as tables.

Everything is measured side by side in one run; quote medians and ratios, not single numbers.
Usage: python -m eval.bench [--laws-bytes 1000000] [--skip-naive] [--skip-web] [--skip-start] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console

from assistant.settings import Settings, bundled_kb
from knowledge.embed import shared_e5
from knowledge.index import KnowledgeIndex, expand
from knowledge.search import search

from .bench_start import table
from .retrieval import evaluate, load_cases

ROOT = Path(__file__).resolve().parents[1]
LAWS = ROOT.parent / "shared" / "corpus" / "laws"
console = Console()


def laws_slice(max_bytes: int) -> list[Path]:
    """The smallest law files up to `max_bytes` in all (at least 100 files for 1 MB)."""
    out, total = [], 0
    for p in sorted(LAWS.glob("*.md"), key=lambda p: (p.stat().st_size, p.name)):
        if total + p.stat().st_size > max_bytes:
            break
        out.append(p)
        total += p.stat().st_size
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t


def raw_embed_rate(embedder, texts: list[str]) -> float:
    """The embedder alone on the same passage texts, in the pipeline's batch size: chars/s."""
    t = time.perf_counter()
    for i in range(0, len(texts), 16):
        embedder.embed_passages(texts[i : i + 16])
    return sum(len(x) for x in texts) / (time.perf_counter() - t)


def ingest_rows(index: KnowledgeIndex, embedder, paths: list[Path], label: str) -> list[list[str]]:
    cold, t_cold = timed(index.ingest, paths, prune=False)
    passages = [p for p in index.passages() if p.meta.source in set(cold.ingested)]
    texts = [p.embed_text() for p in passages]
    sample = texts if len(texts) <= 400 else texts[:: max(1, len(texts) // 400)]
    raw = raw_embed_rate(embedder, sample)
    embed_chars = sum(len(x) for x in texts)
    _, t_warm = timed(index.ingest, paths, prune=False)
    rows = [
        [
            label,
            "cold (empty cache)",
            f"{t_cold:.1f}",
            f"{embed_chars / t_cold:,.0f}",
            f"{cold.passages / t_cold:.1f}",
            f"{raw:,.0f}",
            f"{(embed_chars / t_cold) / raw:.2f}",
        ],
        [label, "unchanged re-run", f"{t_warm:.2f}", "", "", "", f"{t_warm / t_cold:.3f} of cold"],
    ]
    return rows


def _forget(index: KnowledgeIndex) -> None:
    """Each timed call embeds its question afresh: founders rarely ask the same words twice."""
    if forget := getattr(index.embedder, "forget_queries", None):
        forget()


def latency_rows(index: KnowledgeIndex, questions: list[str]) -> list[list[str]]:
    rows = []
    for mode in ("hybrid", "dense", "bm25"):
        times = []
        for q in questions:
            _forget(index)
            _, t = timed(search, index, q, 5, None, mode)
            times.append(t * 1000)
        rows.append([mode, f"{statistics.median(times):.1f}", f"{pct(times, 0.95):.1f}"])
    return rows


def respond_rows(settings: Settings, index: KnowledgeIndex, questions: list[str]) -> list[list[str]]:
    from assistant.engine import Assistant
    from assistant.runtime import load_catalog
    from assistant.store import Store

    store = Store.open(f"sqlite:///{settings.data_dir / 'bench.sqlite3'}")
    bot = Assistant(index, load_catalog(settings), store, settings)
    bot.respond(None, "你好")
    embed, respond = [], []
    for q in questions:  # interleaved, so both see the same machine load
        _forget(index)
        _, t = timed(index.embedder.embed_query, q)
        embed.append(t * 1000)
        _forget(index)
        _, t = timed(bot.respond, None, q)
        respond.append(t * 1000)
    e50, r50 = statistics.median(embed), statistics.median(respond)
    return [
        ["embed the question", f"{e50:.1f}", f"{pct(embed, 0.95):.1f}", ""],
        ["Assistant.respond (extractive)", f"{r50:.1f}", f"{pct(respond, 0.95):.1f}", f"{r50 / e50:.2f}×"],
    ]


def normalize_rows(repeat: int = 5) -> list[list[str]]:
    """The per-turn normaliser on 200-character pieces of the eval questions (target: under 1 ms)."""
    import opencc

    from assistant.normalize import default_normalizer

    from .dataset import load_cases

    norm = default_normalizer()
    text = "".join(m for c in load_cases() for m in c.messages)
    plain = [text[i : i + 200] for i in range(0, len(text) - 200, 200)]
    traditional = [opencc.OpenCC("s2t").convert(p) for p in plain]
    rows = []
    for label, pieces in (("founder questions, 200 chars", plain), ("the same in 繁體", traditional)):
        for p in pieces:
            norm(p)  # warm the caches, as a running assistant has them
        times = []
        for _ in range(repeat):
            for p in pieces:
                _, t = timed(norm, p)
                times.append(t * 1000)
        rows.append([label, str(len(pieces)), f"{statistics.median(times):.3f}", f"{pct(times, 0.95):.3f}"])
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--laws-bytes", type=int, default=1_000_000)
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-web", action="store_true")
    ap.add_argument("--skip-start", action="store_true", help="no start-up and one-founder tables")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rc-bench-"))
    settings = Settings(data_dir=work)
    embedder = shared_e5()
    index = KnowledgeIndex(work, embedder)
    laws = laws_slice(args.laws_bytes)
    console.print(
        f"[bold]蓉创助手 bench[/bold] {date.today()} · {platform.machine()} · "
        f"{_cpu()} · laws slice: {len(laws)} files, {sum(p.stat().st_size for p in laws):,} bytes"
    )
    results: dict = {}
    rows = normalize_rows()
    console.print(table("Normalise one message (ms)", ["text", "pieces", "p50", "p95"], rows))
    results["normalize"] = rows
    rows = ingest_rows(index, embedder, expand([bundled_kb()]), "bundled KB")
    rows += ingest_rows(index, embedder, laws, f"laws ({len(laws)} files)")
    console.print(
        table(
            "Ingest",
            ["corpus", "run", "seconds", "chars/s", "passages/s", "raw embedder chars/s", "pipeline / raw"],
            rows,
        )
    )
    results["ingest"] = rows
    cases = load_cases()
    questions = [c.question for c in cases]
    rows = latency_rows(index, questions)
    console.print(table("Search latency (ms)", ["mode", "p50", "p95"], rows))
    results["search"] = rows
    rows = []
    for mode in ("hybrid", "dense", "bm25"):
        r = evaluate(index, cases, mode)
        rows.append([f"ours, {mode}", f"{r['hit@1']:.3f}", f"{r['hit@5']:.3f}", f"{r['mrr']:.3f}"])
    if not args.skip_naive:
        r = evaluate(index, cases, "hybrid", evidence_only=True)
        rows.append(
            [
                "ours, hybrid, evidence phrase only",
                f"{r['hit@1']:.3f}",
                f"{r['hit@5']:.3f}",
                f"{r['mrr']:.3f}",
            ]
        )
        rows.append(_naive_row(work, [bundled_kb(), *laws], cases))
    console.print(
        table(
            f"Retrieval: {len(cases)} founder questions, bundled KB + {len(laws)} law files as distractors",
            ["pipeline", "hit@1", "hit@5", "MRR"],
            rows,
        )
    )
    results["retrieval"] = rows
    rows = respond_rows(settings, index, questions)
    from .bench_wechat import rows as wechat_rows

    rows += wechat_rows(work, index, questions, pct)
    console.print(table("Assistant latency (ms)", ["what", "p50", "p95", "respond / embed"], rows))
    results["respond"] = rows
    if not args.skip_start:
        from . import bench_start

        results.update(bench_start.run(work))
    if not args.skip_web:
        results["web"] = _web(work)
    args.out.mkdir(exist_ok=True)
    (args.out / f"bench-{date.today()}.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    shutil.rmtree(work, ignore_errors=True)


def _naive_row(work: Path, roots: list[Path], cases) -> list[str]:
    from .naive import NaivePipeline

    naive = NaivePipeline(work / "naive", shared_e5())
    naive.build(expand(roots))
    r = naive.evaluate(cases)
    return [
        "naive LangChain (500/50 splitter + Chroma)",
        f"{r['hit@1']:.3f}",
        f"{r['hit@5']:.3f}",
        f"{r['mrr']:.3f}",
    ]


def _web(work: Path):
    try:
        from . import bench_web
    except ImportError:
        console.print("[yellow]web bench not available[/yellow]")
        return None
    return bench_web.main(work)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "cpu"


if __name__ == "__main__":
    main()
