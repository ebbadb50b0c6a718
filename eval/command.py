"""`rongchuang eval`: run the golden set, optionally the naive baseline, compare with a previous run,
write the HTML report and apply the gate. connectors/cli.py only parses the options."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from assistant.settings import Settings
from knowledge.index import expand

from .compare import diff, regressions
from .dataset import load_cases
from .gate import check_run, load_thresholds
from .harness import run_cases, run_eval, summarize
from .metrics import METRIC_KEYS

NAIVE_DIR = "naive-langchain"
NAIVE_NOT_APPLICABLE = ("routing_top3", "handoff_precision", "handoff_recall")  # it has no such feature


def run_naive(settings: Settings, dataset: Path | None = None) -> dict:
    """The same cases through the naive LangChain pipeline (index cached under the data directory)."""
    from .naive import NaivePipeline

    naive = NaivePipeline(settings.data_dir / NAIVE_DIR)
    chunks = naive.build(expand(settings.kb_roots))
    result = summarize(run_cases(naive, naive.retrieve, load_cases(dataset)), details=False)
    for block in [result["metrics"], *result["by_kind"].values()]:
        block.update(dict.fromkeys(NAIVE_NOT_APPLICABLE))
    result["chunks"] = chunks
    return result


def run(
    settings: Settings,
    dataset: Path | None = None,
    *,
    as_json: bool = False,
    report: Path | None = None,
    baseline: Path | None = None,
    compare_naive: bool = False,
    echo: Callable[[str], None] = print,
    warn: Callable[[str], None] = print,
) -> int:
    """Returns the exit code: 0 when the gate passes, 1 when a threshold trips."""
    result = run_eval(settings, dataset)
    if compare_naive:
        result["naive"] = run_naive(settings, dataset)
    thresholds = load_thresholds()
    failures = check_run(result, thresholds)
    result["gate"] = {"passed": not failures, "failures": failures, "thresholds": thresholds}
    before = json.loads(baseline.read_text(encoding="utf-8")) if baseline else None
    if before is not None:
        result["baseline_diff"] = diff(result, before)
    if report:
        from .report import render

        report.write_text(render(result, before), encoding="utf-8")
    echo(json.dumps(result, ensure_ascii=False) if as_json else summary_text(result))
    if before is not None and (worse := regressions(result["baseline_diff"])):
        warn("比上次变差的指标：" + "、".join(worse))
    for line in failures:
        warn(f"未通过门槛：{line}")
    return 1 if failures else 0


def _fmt(v: float | None) -> str:
    return "—" if v is None else (f"{v:.0f}" if v > 1 else f"{v:.3f}")


def summary_text(result: dict) -> str:
    """One row per metric: dev ("ours"), held-out and the gap when it ran, naive when asked, the gate."""
    naive = result.get("naive", {}).get("metrics")
    held = result.get("heldout", {}).get("metrics")
    gate = result["gate"]["thresholds"]["min"]
    head = f"{'metric':<22}{'dev':>8}"
    head += f"{'heldout':>9}{'gap':>8}" if held else ""
    head += (f"{'naive':>8}" if naive else "") + f"{'gate':>8}"
    sizes = f"dev {result['n_cases']} 个" + (f"，held-out {result['heldout']['n_cases']} 个" if held else "")
    lines = [f"评测用例：{sizes}", head]
    for k in METRIC_KEYS:
        row = f"{k:<22}{_fmt(result['metrics'][k]):>8}"
        if held:
            g = result["gap"].get(k)
            row += f"{_fmt(held[k]):>9}{'' if g is None else f'{g:+.3f}':>8}"
        if naive:
            row += f"{_fmt(naive[k]):>8}"
        lines.append(row + (f"{'≥ ' + str(gate[k]):>8}" if k in gate else ""))
    failed = [c["id"] for c in result.get("cases", []) if c["failed"]]
    lines.append(
        f"有检查未通过的用例：{len(failed)} 个" + (f"（{'、'.join(failed[:12])}…）" if failed else "")
    )
    lines.append("门槛：" + ("通过" if result["gate"]["passed"] else "未通过"))
    return "\n".join(lines)
