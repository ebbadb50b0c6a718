"""The eval run as one self-contained HTML file: inline CSS and SVG, no scripts or external assets, so
it opens offline and can be attached to a release."""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from .compare import diff
from .dataset import KINDS
from .metrics import LOWER_IS_BETTER, METRIC_KEYS
from .report_sets import heldout_section

GOOD, WARN, BAD, MUTED = "#1a7f37", "#b7791f", "#cf222e", "#8c959f"
OURS, NAIVE = "#0969da", "#8c959f"
LABELS = {
    "hit@1": "检索 hit@1",
    "hit@5": "检索 hit@5",
    "mrr": "检索 MRR",
    "citation_precision": "引用准确率",
    "answer_evidence": "答案含要点",
    "groundedness": "句句有出处",
    "routing_top3": "园区/基金推荐前三",
    "handoff_precision": "转人工精确率",
    "handoff_recall": "转人工召回率",
    "oos_refusal": "超范围拒答",
    "injection_resistance": "抗提示注入",
    "intent_accuracy": "意图判断",
    "says_rate": "该说明的说明了",
    "referral_rate": "指明去处",
    "doc_cited": "引用了该引的文件",
    "nothing_cited": "不该引用时不引用",
    "profile_kept": "画像记对",
    "sample_marked": "示例内容句句标明",
    "no_repeat": "不重复",
    "phone_sized": "一屏读完",
    "pass_rate": "用例通过率",
    "latency_p50_ms": "延迟 p50",
    "latency_p95_ms": "延迟 p95",
}
CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.55 system-ui,-apple-system,"Segoe UI","PingFang SC",
"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;padding-bottom:6px;border-bottom:1px solid #d0d7de}
.sub{color:#57606a;margin:0 0 12px}.badge{display:inline-block;padding:2px 10px;border-radius:12px;
color:#fff;font-weight:600;font-size:13px}.pass{background:#1a7f37}.fail{background:#cf222e}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de;border-radius:6px}
th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th.l,td.l{text-align:left}th{background:#f6f8fa;font-weight:600}
td.bad{color:#cf222e;font-weight:600}td.good{color:#1a7f37}.reg{background:#ffebe9}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(270px,1fr));gap:10px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px}
.card h3{font-size:13px;margin:0 0 4px;color:#57606a;font-weight:600}.card svg{display:block}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;
margin-right:4px;border-radius:2px;vertical-align:middle}
.heat td{font-variant-numeric:tabular-nums}details.case{background:#fff;border:1px solid #d0d7de;
border-radius:6px;margin:6px 0}details.case>summary{cursor:pointer;padding:8px 12px;list-style:none}
details.case>summary::-webkit-details-marker{display:none}details.case[open]>summary{border-bottom:1px solid #eaeef2}
.cid{font-family:ui-monospace,Menlo,monospace;font-size:12px;color:#57606a;margin-right:8px}
.chip{display:inline-block;font-size:12px;padding:0 7px;border-radius:10px;margin-left:4px;
background:#ffebe9;color:#cf222e;border:1px solid #ffcecb}.ok{background:#dafbe1;color:#1a7f37;
border-color:#aceebb}.kind{background:#ddf4ff;color:#0969da;border-color:#b6e3ff}
.body{padding:8px 14px 12px}.answer{white-space:pre-wrap;background:#f6f8fa;border-radius:6px;padding:8px 10px}
.answer mark{background:#ddf4ff;color:#0969da;border-radius:3px;padding:0 2px}.why{color:#cf222e}
ol.cites{padding-left:22px}ol.cites li{margin:3px 0}ol.cites .t{color:#57606a}.q{font-weight:600}
.kv{color:#57606a}.kv b{color:#1f2328;font-weight:600}
"""


def render(result: dict, baseline: dict | None = None) -> str:
    d = diff(result, baseline) if baseline else None
    parts = [
        _header(result),
        _summary(result, d),
        _cards(result),
        _naive(result),
        _kinds(result),
        heldout_section(result, LABELS),
        _baseline(d),
        _cases(result),
        _cases(result["heldout"], "held-out 用例") if "heldout" in result else "",
    ]
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>蓉创助手评测报告</title><style>{CSS}</style></head><body><main>"
        + "".join(p for p in parts if p)
        + "</main></body></html>"
    )


# numbers -------------------------------------------------------------------------------------
def fmt(key: str, v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:.0f} ms" if key in LOWER_IS_BETTER else f"{v:.3f}"


def _tone(key: str, v: float | None, gate: dict) -> str:
    if v is None or key in LOWER_IS_BETTER:
        return MUTED if v is None else OURS
    low = gate.get(key)
    if low is not None:
        return GOOD if v >= low else BAD
    return GOOD if v >= 0.9 else WARN if v >= 0.7 else BAD


# sections ------------------------------------------------------------------------------------
def _header(r: dict) -> str:
    g = r.get("gate", {})
    badge = (
        (
            '<span class="badge pass">门槛通过</span>'
            if g.get("passed")
            else '<span class="badge fail">门槛未通过</span>'
        )
        if g
        else ""
    )
    fails = "".join(f"<li>{escape(x)}</li>" for x in g.get("failures", []))
    return (
        f'<h1>蓉创助手 · 回答质量评测 {badge}</h1><p class="sub">{r["n_cases"]} 个用例 · '
        f"生成于 {datetime.now():%Y-%m-%d %H:%M} · 离线、确定性指标，无需 LLM 评审</p>"
        + (f'<ul class="why">{fails}</ul>' if fails else "")
    )


def _summary(r: dict, d: dict | None) -> str:
    gate = r.get("gate", {}).get("thresholds", {}).get("min", {})
    naive = r.get("naive", {}).get("metrics")
    head = '<tr><th>指标</th><th class="l">key</th><th>本次</th><th>门槛</th>'
    head += "<th>naive 基线</th>" if naive else ""
    head += "<th>上次</th><th>变化</th>" if d else ""
    rows = []
    for k in METRIC_KEYS:
        v = r["metrics"].get(k)
        tripped = k in gate and (v is None or v < gate[k])
        cls = ' class="reg"' if d and d["metrics"][k]["regressed"] else ""
        row = (
            f'<tr{cls}><td>{LABELS[k]}</td><td class="l"><code>{k}</code></td>'
            f'<td class="{"bad" if tripped else "good" if k in gate else ""}">{fmt(k, v)}</td>'
            f"<td>{'≥ ' + str(gate[k]) if k in gate else ''}</td>"
        )
        if naive:
            row += f"<td>{fmt(k, naive.get(k))}</td>"
        if d:
            m = d["metrics"][k]
            delta = "—" if m["delta"] is None else f"{m['delta']:+.3f}".rstrip("0").rstrip(".")
            row += f'<td>{fmt(k, m["before"])}</td><td class="{"bad" if m["regressed"] else ""}">{delta}</td>'
        rows.append(row + "</tr>")
    return f"<h2>总览</h2><table>{head}</tr>{''.join(rows)}</table>"


def _gauge(key: str, v: float | None, naive: float | None, low: float | None, scale: float) -> str:
    """A horizontal bar per run on a 0..scale axis, the gate as a dashed line."""
    w, x0, bar = 250, 0, 14
    rows = [("本次", v, _tone(key, v, {key: low} if low is not None else {}))]
    if naive is not None:
        rows.append(("naive", naive, NAIVE))
    h = 8 + len(rows) * (bar + 8) + 12
    out = [
        f'<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{escape(LABELS[key])}">'
    ]
    for i, (name, val, color) in enumerate(rows):
        y = 8 + i * (bar + 8)
        out.append(f'<rect x="{x0}" y="{y}" width="{w - 70}" height="{bar}" rx="3" fill="#eaeef2"/>')
        if val is not None:
            bw = max(1.0, (w - 70) * min(val / scale, 1.0))
            out.append(f'<rect x="{x0}" y="{y}" width="{bw:.1f}" height="{bar}" rx="3" fill="{color}"/>')
        out.append(
            f'<text x="{w - 64}" y="{y + bar - 3}" font-size="12" fill="#1f2328">'
            f"{escape(fmt(key, val))}</text>"
        )
        if name == "naive":
            out.append(f'<text x="4" y="{y + bar - 3}" font-size="10" fill="#fff">naive</text>')
    if low is not None:
        gx = (w - 70) * min(low / scale, 1.0)
        out.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="2" y2="{h - 10}" stroke="#1f2328" '
            f'stroke-dasharray="3 2"/><text x="{max(gx - 30, 0):.1f}" y="{h - 1}" font-size="10" '
            f'fill="#57606a">门槛 {low}</text>'
        )
    return "".join(out) + "</svg>"


def _cards(r: dict) -> str:
    gate = r.get("gate", {}).get("thresholds", {}).get("min", {})
    naive = r.get("naive", {}).get("metrics", {})
    lat = [r["metrics"].get(k) or 0 for k in LOWER_IS_BETTER] + [naive.get(k) or 0 for k in LOWER_IS_BETTER]
    lat_scale = max(lat + [1.0]) * 1.15
    cards = []
    for k in METRIC_KEYS:
        scale = lat_scale if k in LOWER_IS_BETTER else 1.0
        svg = _gauge(k, r["metrics"].get(k), naive.get(k), gate.get(k), scale)
        cards.append(f'<div class="card"><h3>{LABELS[k]} <code>{k}</code></h3>{svg}</div>')
    legend = (
        f'<p class="legend"><span><i class="sw" style="background:{GOOD}"></i>达标</span>'
        f'<span><i class="sw" style="background:{BAD}"></i>未达门槛</span>'
        f'<span><i class="sw" style="background:{NAIVE}"></i>naive 基线</span>'
        "<span>虚线：门槛</span></p>"
    )
    return f'<h2>每个指标</h2>{legend}<div class="cards">{"".join(cards)}</div>'


def _naive(r: dict) -> str:
    """Grouped bars, ours against the naive pipeline, on the metrics both can be measured on."""
    naive = r.get("naive", {}).get("metrics")
    if not naive:
        return ""
    keys = [k for k in METRIC_KEYS if k not in LOWER_IS_BETTER and naive.get(k) is not None]
    w, h, top, base = 1100, 230, 16, 190
    step = (w - 60) / max(len(keys), 1)
    out = [f'<svg width="100%" viewBox="0 0 {w} {h}" role="img" aria-label="ours vs naive">']
    for t in (0.0, 0.5, 1.0):
        y = base - (base - top) * t
        out.append(
            f'<line x1="40" x2="{w}" y1="{y}" y2="{y}" stroke="#eaeef2"/>'
            f'<text x="4" y="{y + 4}" font-size="11" fill="#57606a">{t:.1f}</text>'
        )
    for i, k in enumerate(keys):
        x = 50 + i * step
        for j, (val, color) in enumerate(((r["metrics"].get(k), OURS), (naive.get(k), NAIVE))):
            bh = (base - top) * (val or 0)
            bx = x + j * (step * 0.36)
            out.append(
                f'<rect x="{bx:.1f}" y="{base - bh:.1f}" width="{step * 0.34:.1f}" height="{bh:.1f}" '
                f'fill="{color}" rx="2"/><text x="{bx + 2:.1f}" y="{base - bh - 3:.1f}" font-size="10" '
                f'fill="#1f2328">{fmt(k, val)}</text>'
            )
        out.append(
            f'<text x="{x:.1f}" y="{base + 16}" font-size="11" fill="#1f2328">{escape(LABELS[k])}</text>'
        )
    out.append("</svg>")
    legend = (
        f'<p class="legend"><span><i class="sw" style="background:{OURS}"></i>蓉创助手</span>'
        f'<span><i class="sw" style="background:{NAIVE}"></i>naive LangChain（500/50 切分 + Chroma + 同一个'
        f" E5，前 5 段拼接作答，{r['naive'].get('chunks', '?')} 段）</span></p>"
    )
    note = (
        '<p class="sub">naive 的答案就是检索到的原文段落（每段最长 500 字），所以“句句有出处”对它天然成立，'
        "“答案含要点”也更容易命中；它不会拒答、不会转人工、不会推荐园区和基金（后两项记为 —）。</p>"
    )
    return f"<h2>与 naive 基线对比</h2>{legend}{''.join(out)}{note}"


def _cell(v: float | None, key: str) -> str:
    if v is None:
        return '<td style="color:#8c959f">—</td>'
    if key in LOWER_IS_BETTER:
        return f"<td>{v:.0f}</td>"
    color = GOOD if v >= 0.9 else WARN if v >= 0.7 else BAD
    return f'<td style="color:{color};background:{color}14">{v:.2f}</td>'


def _kinds(r: dict) -> str:
    keys = list(METRIC_KEYS)
    head = "<tr><th>类型</th><th>用例</th>" + "".join(f'<th title="{k}">{LABELS[k]}</th>' for k in keys)
    rows = [
        f"<tr><td>{escape(kind)}</td><td>{m['n']}</td>" + "".join(_cell(m.get(k), k) for k in keys) + "</tr>"
        for kind, m in r["by_kind"].items()
    ]
    return (
        f'<h2>按类型</h2><div style="overflow-x:auto"><table class="heat">{head}</tr>{"".join(rows)}'
        "</table></div>"
    )


def _baseline(d: dict | None) -> str:
    if not d:
        return ""
    worse = [k for k, m in d["metrics"].items() if m["regressed"]]
    msg = (
        ('<p class="why">变差的指标：' + "、".join(LABELS[k] for k in worse) + "</p>")
        if worse
        else '<p class="sub">没有指标比上次变差。</p>'
    )
    c = d["cases"]
    lists = "".join(
        f"<p><b>{title}</b>（{len(ids)}）：{escape('、'.join(ids)) or '无'}</p>"
        for title, ids in (("新失败的用例", c["newly_failed"]), ("新修好的用例", c["fixed"]))
    )
    return f"<h2>与上次对比</h2>{msg}{lists}"


# cases ---------------------------------------------------------------------------------------
def _marked(text: str) -> str:
    return re.sub(r"(\[\d+\])", r"<mark>\1</mark>", escape(text))


def _case(c: dict) -> str:
    chips = (
        "".join(f'<span class="chip">{escape(f)}</span>' for f in c["failed"])
        or '<span class="chip ok">通过</span>'
    )
    summary = (
        f'<summary><span class="cid">{escape(c["id"])}</span><span class="chip kind">{c["kind"]}</span>'
        + "".join(f'<span class="chip kind">{escape(t)}</span>' for t in c.get("tags", []))
        + f'{chips} <span class="q">{escape(c["messages"][-1])}</span></summary>'
    )
    turns = "".join(f"<li>{escape(m)}</li>" for m in c["messages"])
    cites = "".join(
        f'<li><b>{escape(x["title"])}</b> <span class="t">{escape(x["section"])}</span>'
        f'<details><summary class="t">原文</summary>{escape(x["text"])}</details></li>'
        for x in c["citations"]
    )
    bad = "".join(
        f'<li>{escape(u["sentence"])} <span class="why">（{escape(u["why"])}）</span></li>'
        for u in c["ungrounded"]
    )
    facts = [
        ("intent", c["intent"]),
        ("转人工", c["handoff"] or "否"),
        ("应转人工", "是" if c["handoff_expected"] else "否"),
        ("检索名次", (c["rank"] or "未命中") if c["retrieval_applies"] else "—"),
        ("引用", f"{c['cited_ok']}/{c['cited']}"),
        ("园区", "、".join(c["parks"][:3]) or "—"),
        ("基金", "、".join(c["funds"][:3]) or "—"),
        ("延迟 ms", "、".join(f"{x:.0f}" for x in c["latencies_ms"])),
    ]
    kv = " · ".join(f"{k} <b>{escape(str(v))}</b>" for k, v in facts)
    body = (
        f'<div class="body"><ol>{turns}</ol><p class="kv">{kv}</p>'
        + (f'<p class="why">{escape(c["error"])}</p>' if c.get("error") else "")
        + f'<div class="answer">{_marked(c["answer"])}</div>'
        + (f"<p><b>没有出处的句子</b></p><ul>{bad}</ul>" if bad else "")
        + (f'<p><b>引用</b></p><ol class="cites">{cites}</ol>' if cites else "")
        + (f'<p class="kv">检索前 5：{escape(" / ".join(c["retrieved"]))}</p>' if c["retrieved"] else "")
        + "</div>"
    )
    return f'<details class="case"{" open" if c.get("error") else ""}>{summary}{body}</details>'


def _cases(r: dict, title: str = "逐条用例") -> str:
    order = {k: i for i, k in enumerate(KINDS)}
    cases = sorted(r.get("cases", []), key=lambda c: (not c["failed"], order.get(c["kind"], 99)))
    n_bad = sum(bool(c["failed"]) for c in cases)
    return f"<h2>{title}（{n_bad} 条有检查未通过，排在前面）</h2>" + "".join(_case(c) for c in cases)
