"""A run against a baseline run (the JSON `rongchuang eval --json` prints): what got worse, per metric
and per case."""

from __future__ import annotations

from .metrics import LOWER_IS_BETTER, METRIC_KEYS

TOLERANCE = 0.005  # a rate this much worse is noise, not a regression
LATENCY_TOLERANCE = 0.25  # latency must be 25 % worse to count: the machine's load varies


def metric_diff(now: dict, before: dict) -> dict[str, dict]:
    out = {}
    for key in METRIC_KEYS:
        a, b = now.get(key), before.get(key)
        if a is None or b is None:
            out[key] = {"now": a, "before": b, "delta": None, "regressed": False}
            continue
        if key in LOWER_IS_BETTER:
            regressed = a > b * (1 + LATENCY_TOLERANCE)
        else:
            regressed = a < b - TOLERANCE
        out[key] = {"now": a, "before": b, "delta": round(a - b, 4), "regressed": regressed}
    return out


def gap(dev: dict, heldout: dict) -> dict[str, float | None]:
    """Held-out minus dev for every rate (negative: the product does worse on questions nobody tuned
    for); latencies are left out, they measure the machine."""
    out: dict[str, float | None] = {}
    for key in METRIC_KEYS:
        if key in LOWER_IS_BETTER:
            continue
        a, b = heldout.get(key), dev.get(key)
        out[key] = None if a is None or b is None else round(a - b, 4)
    return out


def case_diff(now: list[dict], before: list[dict]) -> dict[str, list[str]]:
    """Cases that newly fail, and cases that newly pass, by id."""
    was = {c["id"]: bool(c.get("failed")) for c in before}
    newly_failed = [c["id"] for c in now if c.get("failed") and was.get(c["id"]) is False]
    fixed = [c["id"] for c in now if not c.get("failed") and was.get(c["id"]) is True]
    return {"newly_failed": newly_failed, "fixed": fixed}


def diff(now: dict, before: dict) -> dict:
    return {
        "metrics": metric_diff(now.get("metrics", {}), before.get("metrics", {})),
        "cases": case_diff(now.get("cases", []), before.get("cases", [])),
    }


def regressions(d: dict) -> list[str]:
    return [k for k, v in d["metrics"].items() if v["regressed"]]
