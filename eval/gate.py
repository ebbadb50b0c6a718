"""The release gate: headline metrics against eval/thresholds.toml."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from knowledge.errors import ConfigError

from .metrics import METRIC_KEYS


def load_thresholds(path: Path | None = None) -> dict[str, dict[str, float]]:
    raw = (
        path.read_text(encoding="utf-8")
        if path
        else (resources.files("eval") / "thresholds.toml").read_text(encoding="utf-8")
    )
    data = tomllib.loads(raw)
    unknown = {k for bound in data.values() for k in bound} - set(METRIC_KEYS)
    if unknown or set(data) - {"min", "max"}:
        raise ConfigError(f"thresholds.toml 里有不认识的指标或分组：{sorted(unknown) or sorted(set(data))}")
    return {"min": data.get("min", {}), "max": data.get("max", {})}


def check(metrics: dict, thresholds: dict[str, dict[str, float]]) -> list[str]:
    """One line per tripped threshold, e.g. "oos_refusal = 0.833 < 0.90"; empty when the gate passes."""
    out = []
    for key, low in thresholds["min"].items():
        value = metrics.get(key)
        if value is None:
            out.append(f"{key}: no case measured it (needs ≥ {low})")
        elif value < low:
            out.append(f"{key} = {value:.3f} < {low}")
    for key, high in thresholds["max"].items():
        value = metrics.get(key)
        if value is None:
            out.append(f"{key}: no case measured it (needs ≤ {high})")
        elif value > high:
            out.append(f"{key} = {value:.3f} > {high}")
    return out
