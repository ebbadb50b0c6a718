"""The report's dev against held-out section: the same metrics on both sets and the gap between them,
which is the figure that says whether the answers hold on questions nobody tuned for."""

from __future__ import annotations

from html import escape

from .metrics import LOWER_IS_BETTER, METRIC_KEYS

BAD, GOOD, MUTED = "#cf222e", "#1a7f37", "#8c959f"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _gap_cell(g: float | None, allowed: float | None) -> str:
    if g is None:
        return f'<td style="color:{MUTED}">—</td>'
    bad = allowed is not None and g < -allowed
    return f'<td class="{"bad" if bad else "good" if g >= 0 else ""}">{g:+.3f}</td>'


def heldout_section(r: dict, labels: dict[str, str]) -> str:
    if "heldout" not in r:
        return ""
    held, gap = r["heldout"], r.get("gap", {})
    thresholds = r.get("gate", {}).get("thresholds", {})
    allowed = thresholds.get("gap", {}).get("max_drop")
    mins = thresholds.get("heldout", {})
    rows = []
    for k in METRIC_KEYS:
        if k in LOWER_IS_BETTER:
            continue
        v = held["metrics"].get(k)
        low = mins.get(k)
        tripped = low is not None and (v is None or v < low)
        rows.append(
            f'<tr><td>{labels[k]}</td><td class="l"><code>{k}</code></td><td>{_num(r["metrics"].get(k))}</td>'
            f'<td class="{"bad" if tripped else ""}">{_num(v)}</td>{_gap_cell(gap.get(k), allowed)}'
            f"<td>{'≥ ' + str(low) if low is not None else ''}</td></tr>"
        )
    head = "<tr><th>指标</th><th class='l'>key</th><th>dev</th><th>held-out</th><th>差距</th><th>held-out 门槛</th></tr>"
    note = (
        f'<p class="sub">dev {r["n_cases"]} 个用例（修改时参照的集合），held-out {held["n_cases"]} 个用例'
        "（改动前按文件写好、只用来测量）。差距 = held-out − dev"
        + (f"，低于 −{allowed} 标红" if allowed is not None else "")
        + "。</p>"
    )
    return f"<h2>dev 与 held-out</h2>{note}<table>{head}{''.join(rows)}</table>{_tags(r)}"


def _tags(r: dict) -> str:
    """Pass rate per way of writing, dev beside held-out."""
    dev, held = r.get("by_tag", {}), r["heldout"].get("by_tag", {})
    tags = list(dict.fromkeys([*dev, *held]))
    if not tags:
        return ""
    rows = []
    for t in tags:
        d, h = dev.get(t, {}), held.get(t, {})
        rows.append(
            f'<tr><td class="l">{escape(t)}</td><td>{d.get("n", 0)}</td><td>{_num(d.get("pass_rate"))}</td>'
            f"<td>{h.get('n', 0)}</td><td>{_num(h.get('pass_rate'))}</td></tr>"
        )
    head = "<tr><th class='l'>写法</th><th>dev 用例</th><th>dev 通过率</th><th>held-out 用例</th><th>held-out 通过率</th></tr>"
    return f"<h3>按写法</h3><table>{head}{''.join(rows)}</table>"
