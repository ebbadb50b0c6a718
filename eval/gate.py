"""The release gate: headline metrics against eval/thresholds.toml."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from knowledge.errors import ConfigError

from .metrics import METRIC_KEYS

GROUPS = ("min", "max", "heldout")  # heldout: minimums on the held-out set
GAP_KEY = "max_drop"  # [gap] max_drop: how far a held-out rate may fall below its dev figure


def load_thresholds(path: Path | None = None) -> dict[str, dict[str, float]]:
    raw = (
        path.read_text(encoding="utf-8")
        if path
        else (resources.files("eval") / "thresholds.toml").read_text(encoding="utf-8")
    )
    data = tomllib.loads(raw)
    unknown = {k for g in GROUPS for k in data.get(g, {})} - set(METRIC_KEYS)
    unknown |= set(data.get("gap", {})) - {GAP_KEY}
    if unknown or set(data) - {*GROUPS, "gap"}:
        raise ConfigError(f"thresholds.toml 里有不认识的指标或分组：{sorted(unknown) or sorted(set(data))}")
    return {g: data.get(g, {}) for g in (*GROUPS, "gap")}


def check_run(result: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """The dev-set gate, and with a held-out run: its minimums and the largest allowed drop."""
    out = check(result["metrics"], thresholds)
    if "heldout" not in result:
        return out
    held = check(result["heldout"]["metrics"], {"min": thresholds.get("heldout", {}), "max": {}})
    out += [f"held-out {line}" for line in held]
    drop = thresholds.get("gap", {}).get(GAP_KEY)
    if drop is not None:
        for key, delta in result.get("gap", {}).items():
            if delta is not None and delta < -drop:
                out.append(f"held-out {key} is {-delta:.3f} below dev (allowed {drop})")
    return out


def check(metrics: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """One line per tripped threshold, e.g. "oos_refusal = 0.833 < 0.90"; empty when the gate passes."""
    out = []
    for key, low in thresholds.get("min", {}).items():
        value = metrics.get(key)
        if value is None:
            out.append(f"{key}: no case measured it (needs ≥ {low})")
        elif value < low:
            out.append(f"{key} = {value:.3f} < {low}")
    for key, high in thresholds.get("max", {}).items():
        value = metrics.get(key)
        if value is None:
            out.append(f"{key}: no case measured it (needs ≤ {high})")
        elif value > high:
            out.append(f"{key} = {value:.3f} > {high}")
    return out
