"""Replies rendered for a terminal with rich: the answer, numbered citations, park and fund cards."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from assistant.reply import Reply


def render_reply(console: Console, reply: Reply) -> None:
    console.print(Panel(Text(reply.answer), title="蓉创助手", title_align="left", border_style="cyan"))
    for rec_kind, recs in (("园区", reply.parks), ("资金", reply.funds)):
        for r in recs:
            tag = " [yellow]示例[/yellow]" if r.sample else ""
            refs = "".join(f"[{n}]" for n in r.citations)
            console.print(f"  [bold]{rec_kind}：{r.name}[/bold]{tag} {refs}\n    {r.reason}")
    if reply.handoff:
        h = reply.handoff
        phone = f"，电话 {h.center.contact}" if any(ch.isdigit() for ch in h.center.contact) else ""
        console.print(f"  [magenta]已转人工：{h.center.name}（工单号 {h.number or h.id}{phone}）[/magenta]")
    for c in reply.citations:
        num = f"（{c.doc_number}）" if c.doc_number else ""
        tag = " [yellow]示例[/yellow]" if c.sample else ""
        console.print(f"  [dim][{c.n}] {c.title}{num} · {c.section or '正文'}{tag}[/dim]")
