"""The `rongchuang` command: ingest, search, kb, ask, chat, serve, telegram, eval, staff."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant import logsafe
from connectors.cli_staff import curated_app, settings_or_exit, staff_app
from knowledge.errors import RongchuangError

if TYPE_CHECKING:
    from assistant.settings import Settings

app = typer.Typer(
    help="蓉创助手：成都创业政策问答、园区和基金推荐、转人工。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="查看和管理知识库里的文件。", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
out = Console()
err = Console(stderr=True)
# Into a file or a pipe, rich would wrap and cut at 80 columns: print whole lines instead.
out.soft_wrap = not out.is_terminal
err.soft_wrap = not err.is_terminal


# Heavy modules (pydantic settings, LangChain via knowledge.search) load inside the commands, so a
# command can say what it does before seconds of imports on a busy machine.
def _index(settings: Settings):
    from assistant.runtime import build_index

    return build_index(settings)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录；不写则导入内置知识库")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空索引后重建（嵌入缓存保留）")] = False,
) -> None:
    """导入文件到知识库（增量：没变的文件不重复处理；中断后再运行会接着完成）。"""
    import time

    started = time.monotonic()
    err.print("正在检查知识库：没变的文件会跳过，新文件要切分并计算向量。")
    from connectors.progress import ingest_progress

    try:
        with ingest_progress(err) as progress:
            progress.phase("正在加载嵌入模型和已有索引")
            settings = settings_or_exit()
            index = _index(settings)
            report = index.ingest(paths or settings.kb_roots, rebuild=rebuild, progress=progress)
            from assistant.runtime import prepare

            progress.phase("正在准备拼写纠错的拼音表和意图例句")
            prepare(settings, index)  # so the first `ask` or `serve` builds nothing
    except RongchuangError as exc:
        err.print(f"[red]导入失败：[/red]{exc}")
        raise typer.Exit(1) from exc
    err.print(_ingest_summary(report, index.count(), time.monotonic() - started), soft_wrap=True)
    for _source, why in report.skipped:
        err.print(f"[yellow]跳过[/yellow] {why}", soft_wrap=True)
    for doc in report.flagged:  # orders, payment requests, links inside a document: never quoted
        err.print(
            f"[red]需要检查[/red] {doc.describe()}。请核对原文，删掉这些内容后重新导入。", soft_wrap=True
        )
    if report.skipped and not report.ingested and not report.unchanged:
        raise typer.Exit(1)


def _ingest_summary(report, total: int, seconds: float) -> str:
    """One line, whatever the terminal width: what changed, and what the index holds now."""
    from knowledge.progress import duration

    if not (report.ingested or report.removed or report.skipped):
        return f"知识库没有变化：{len(report.unchanged)} 个文件，共 {total} 段（用时 {duration(seconds)}）。"
    parts = [f"导入 {len(report.ingested)} 个文件 {report.passages} 段（新嵌入 {report.embedded} 段）"]
    parts += [
        f"{what} {n} 个"
        for what, n in (
            ("未变", len(report.unchanged)),
            ("移除", len(report.removed)),
            ("跳过", len(report.skipped)),
        )
        if n
    ]
    return "，".join(parts) + f"。索引共 {total} 段，用时 {duration(seconds)}。"


def _kinds(kind: list[str] | None) -> tuple[str, ...]:
    from knowledge.types import KINDS

    for k in kind or []:
        if k not in KINDS:
            err.print(f"[red]--kind 只能是：{'、'.join(KINDS)}[/red]")
            raise typer.Exit(2)
    return tuple(kind or ())


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="要搜的问题；写 - 则从标准输入每行读一个")],
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="返回几段")] = 5,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="只搜某类：policy、park、guide、fund、center …")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="只搜某地区：成都、四川、national …")
    ] = None,
    include_expired: Annotated[bool, typer.Option("--include-expired", help="也搜已失效的文件")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """在知识库里搜索，打印标题、文号、章节、得分和原文。"""
    settings = settings_or_exit()
    index = _index(settings)
    if index.count() == 0:
        err.print("知识库是空的。请先运行：rongchuang ingest")
        raise typer.Exit(1)
    from knowledge.search import Filters, search

    filters = Filters(kinds=_kinds(kind), regions=tuple(region or ()), include_expired=include_expired)
    queries = (line.strip() for line in sys.stdin) if query == "-" else iter([query])
    for q in queries:
        if not q:
            continue
        hits = search(index, q, k, filters)
        if as_json or query == "-":
            print(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False), flush=True)
        else:
            _print_hits(q, hits)


def _hit_json(h) -> dict:
    p = h.passage
    return {
        "text": p.text,
        "title": p.meta.title,
        "section": p.section,
        "doc_id": p.doc_id,
        "passage_id": p.passage_id,
        "doc_number": p.meta.doc_number,
        "kind": p.meta.kind,
        "region": p.meta.region,
        "sample": p.meta.sample,
        "score": h.score,
    }


def _print_hits(query: str, hits) -> None:
    if not hits:
        out.print(f"没有找到和“{query}”相关的内容。")
    for i, h in enumerate(hits, 1):
        p = h.passage
        head = f"[bold][{i}] {p.meta.title}[/bold]"
        if p.meta.doc_number:
            head += f"（{p.meta.doc_number}）"
        if p.meta.sample:
            head += " [yellow]示例[/yellow]"
        out.print(head)
        out.print(f"    章节：{p.section or '—'}    得分：{h.score:.3f}")
        out.print(f"    {p.text}\n", soft_wrap=True)


@kb_app.command("list")
def kb_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """列出知识库里的文件和有效期。"""
    index = _index(settings_or_exit())
    docs = index.documents()
    if as_json:
        print(
            json.dumps(
                [{**d.meta.model_dump(mode="json"), "passages": d.passages} for d in docs], ensure_ascii=False
            )
        )
        return
    header = ("doc_id", "类型", "标题", "文号", "地区", "有效期", "段数", "示例")
    rows = [_doc_row(d) for d in docs]
    _print_table(header, rows)
    # Into a pipe the rows are data: the total goes to stderr so `| wc -l` counts documents.
    (out if out.is_terminal else err).print(f"共 {len(docs)} 个文件，{index.count()} 段。")


def _doc_row(d) -> tuple[str, ...]:
    m = d.meta
    valid = (
        f"{m.effective_from or ''}–{m.effective_to or ''}" if (m.effective_from or m.effective_to) else "—"
    )
    if m.superseded_by:
        valid += f"（已被 {m.superseded_by} 取代）"
    return (
        m.doc_id,
        m.kind,
        m.title,
        m.doc_number or "",
        m.region,
        valid,
        str(d.passages),
        "是" if m.sample else "",
    )


def _print_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A rich table on a terminal; tab-separated full values into a file or a pipe (for cut, awk …)."""
    if not out.is_terminal:
        for row in (header, *rows):
            print("\t".join(cell.replace("\t", " ").replace("\n", " ") for cell in row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    out.print(table)


@kb_app.command("remove")
def kb_remove(doc_id: str) -> None:
    """从知识库删除一个文件（按 doc_id）。"""
    index = _index(settings_or_exit())
    n = index.remove_doc(doc_id)
    if not n:
        err.print(f"没有 doc_id 为 {doc_id} 的文件。用 rongchuang kb list 查看已有的 doc_id。")
        raise typer.Exit(1)
    out.print(f"已删除 {doc_id}（{n} 段）。注意：如果源文件还在知识库目录里，下次导入会再次加入。")


def _runtime(settings: Settings):
    """Start the assistant; while it starts (the first time: building the index), say so on stderr."""
    import logging

    from assistant.runtime import Runtime

    log = logging.getLogger("rongchuang")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    quiet = log.getEffectiveLevel() > logging.INFO
    if quiet:  # `serve` and `telegram` configure logging themselves; ask and chat do not
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    try:
        return Runtime.start(settings)
    except RongchuangError as exc:
        err.print(f"[red]启动失败：[/red]{exc}")
        raise typer.Exit(1) from exc
    finally:
        if quiet:
            log.removeHandler(handler)
            log.setLevel(logging.NOTSET)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="你的问题；写 - 则从标准输入每行读一个问题")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 Reply JSON（每个问题一行）")] = False,
    session: Annotated[
        str | None,
        typer.Option("--session", help="接着某个会话问（会话 ID）；读标准输入时所有行都在这一个会话里"),
    ] = None,
) -> None:
    """问一个问题，打印带出处的回答。

    `ask -` 每行一个问题；不带 --session 时每行各是一个新会话，带 --session 时所有行是同一段对话
    （会话 ID 不存在时，第一行新建一个会话，后面的行接着它问）。
    """
    from assistant.engine import MessageError
    from connectors.terminal import render_reply

    rt = _runtime(settings_or_exit())
    lines = (line.strip() for line in sys.stdin) if question == "-" else iter([question])
    failed = False
    for q in lines:
        if not q:
            continue
        try:
            reply = rt.assistant.respond(session, q, channel="cli")
        except MessageError as exc:
            err.print(f"[red]{exc}[/red]")
            failed = True
            continue
        if session is not None and reply.session_id != session:  # unknown id: the rest continue the new one
            err.print(
                f"[yellow]没有找到会话 {session}，已新建会话 {reply.session_id}，后面的问题接着它问。[/yellow]"
            )
            session = reply.session_id
        if as_json:
            print(reply.model_dump_json(), flush=True)
        else:
            render_reply(out, reply)
            out.print(f"[dim]会话 {reply.session_id}（用 --session 接着问）[/dim]")
    if failed:
        raise typer.Exit(1)


@app.command()
def chat(session: Annotated[str | None, typer.Option("--session", help="接着某个会话聊")] = None) -> None:
    """在终端里和助手对话（输入 /quit 退出，/human 转人工）。"""
    from assistant.engine import MessageError
    from connectors.terminal import render_reply

    rt = _runtime(settings_or_exit())
    from knowledge.tokenize import settle

    settle()  # a conversation: the faster word table, loaded while the founder types
    out.print("蓉创助手：在成都创业，想了解什么？（/human 转人工，/quit 退出）")
    while True:
        try:
            text = out.input("[bold green]你：[/bold green]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if text in ("/quit", "/exit"):
            break
        if not text:
            continue
        try:
            reply = (
                rt.assistant.request_handoff(session)
                if text == "/human" and session
                else rt.assistant.respond(session, text, channel="cli")
            )
        except MessageError as exc:
            err.print(f"[red]{exc}[/red]")
            continue
        session = reply.session_id
        render_reply(out, reply)


@app.command()
def purge(
    days: Annotated[int | None, typer.Option("--days", help="默认取 RONGCHUANG_RETENTION_DAYS")] = None,
) -> None:
    """删除超过保存期限、没有再活动的对话（也在每次启动时自动执行）。"""
    from assistant.store import Store

    settings = settings_or_exit()
    keep = settings.retention_days if days is None else days
    if keep < 0:
        err.print(
            f"[red]--days 不能是负数（收到 {keep}）。[/red]用 --days 0 删除所有对话，或给出保留的天数。"
        )
        raise typer.Exit(2)
    with Store.open(settings.db_url) as store:
        n = store.purge(keep)
    what = "（--days 0：所有未活动的对话）" if keep == 0 else f"（超过 {keep} 天未活动）"
    out.print(f"已删除 {n} 个对话{what}。")


@app.command()
def schema() -> None:
    """打印回答契约（Reply）的 JSON Schema。"""
    from assistant.reply import reply_json_schema

    print(reply_json_schema())


@app.command()
def telegram(
    set_webhook: Annotated[
        str | None,
        typer.Option(
            "--set-webhook", help="不启动轮询：把 webhook 设为这个公网 HTTPS 地址（…/telegram/webhook）后退出"
        ),
    ] = None,
) -> None:
    """启动 Telegram 机器人（长轮询）；或用 --set-webhook 切换到 webhook 模式。"""
    import asyncio

    from connectors.logs import setup_logging

    settings = settings_or_exit()
    if not settings.telegram_token:
        err.print(
            "[red]没有设置 RONGCHUANG_TELEGRAM_TOKEN。[/red]请先在 Telegram 里找 @BotFather 创建机器人"
            "（/newbot），把它给的 token 设为环境变量 RONGCHUANG_TELEGRAM_TOKEN，再运行 rongchuang telegram。"
        )
        raise typer.Exit(2)
    setup_logging()  # before anything logs: httpx would log the Bot API URL, token and all
    logsafe.install()
    if set_webhook:
        from connectors.telegram.webhook import SECRET_FORMAT
        from connectors.telegram.webhook import set_webhook as set_hook

        if not SECRET_FORMAT.fullmatch(settings.telegram_webhook_secret):
            err.print(
                "[red]webhook 模式需要 RONGCHUANG_TELEGRAM_WEBHOOK_SECRET[/red]"
                "（1–256 个字母、数字、_ 或 -），web 服务用它核对 Telegram 发来的请求。"
            )
            raise typer.Exit(2)
        asyncio.run(set_hook(settings, set_webhook))
        out.print(f"已设置 webhook：{set_webhook}。请用 rongchuang serve 启动 web 服务（同样的环境变量）。")
        return
    from connectors.telegram.app import run_polling

    rt = _runtime(settings)
    from knowledge.tokenize import settle

    settle()
    try:
        run_polling(rt)
    finally:
        rt.close()


WORKERS_REFUSED = (
    "--workers {n} 需要所有进程共享的数据库和索引：请设置 RONGCHUANG_DATABASE_URL（PostgreSQL，"
    "如 postgresql+psycopg://user@127.0.0.1/rongchuang）和 RONGCHUANG_CHROMA_URL（先运行 "
    "chroma run --path var/chroma-server --host 127.0.0.1 --port 8100，再设为 http://127.0.0.1:8100）。"
    "SQLite 和数据目录里的索引只能由一个进程使用：去掉 --workers 即可。"
)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="监听地址；对外服务用 0.0.0.0（建议放在反向代理后面）")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="端口")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="服务进程数；大于 1 时需要 PostgreSQL（RONGCHUANG_DATABASE_URL）和 Chroma 服务（RONGCHUANG_CHROMA_URL）",
        ),
    ] = 1,
) -> None:
    """启动网页聊天、工作人员工作台和 HTTP API（首次启动会先建立知识库索引）。"""

    from knowledge.progress import LineProgress

    settings = settings_or_exit()
    if workers > 1 and not settings.shared:
        err.print(f"[red]{WORKERS_REFUSED.format(n=workers)}[/red]", soft_wrap=True)
        raise typer.Exit(2)
    # proxy_headers off: the app itself reads X-Forwarded-For, and only when RONGCHUANG_TRUST_FORWARDED.
    options: dict = {"host": host, "port": port, "proxy_headers": False, "server_header": False}
    err.print("正在启动蓉创助手的网页服务…")
    if workers > 1:
        import uvicorn

        from connectors.logs import setup_logging

        setup_logging()
        _prepare_shared(settings)  # once here, so the workers start on a ready index
        err.print(f"蓉创助手：http://{host}:{port}/ （工作台 /staff，{workers} 个进程）")
        uvicorn.run("connectors.web.app:create_app", factory=True, workers=workers, **options)
        return
    with LineProgress(lambda line: err.print(line, markup=False, highlight=False)) as progress:
        progress.phase("正在加载程序")  # seconds of imports on a busy machine, with nothing else to say
        import uvicorn

        from connectors.logs import setup_logging
        from connectors.web import create_app

        setup_logging()
        web = create_app(settings)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    web.state.public_url = f"http://{shown}:{port}/"  # said once the app is ready, not before
    uvicorn.run(web, **options)


def _prepare_shared(settings: Settings) -> None:
    from assistant.store import Store
    from knowledge.progress import LineProgress

    Store.open(settings.db_url).close()  # migrations, before N workers race to run them
    try:
        with LineProgress(lambda line: err.print(line, markup=False, highlight=False)) as progress:
            _index(settings).ingest(settings.kb_roots, progress=progress)
    except RongchuangError as exc:
        err.print(f"[red]启动失败：[/red]{exc}")
        raise typer.Exit(1) from exc


@app.command("eval")
def eval_cmd(
    dataset: Annotated[
        Path | None, typer.Option("--dataset", help="评测用例 JSONL；默认 eval/golden.jsonl")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="输出 JSON（含逐条用例，可作下次的 --baseline）")
    ] = False,
    report: Annotated[Path | None, typer.Option("--report", help="写一个可离线打开的 HTML 报告")] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="上次 --json 的输出，用来标出变差的指标")
    ] = None,
    compare_naive: Annotated[
        bool, typer.Option("--compare-naive", help="同一批用例跑一遍 naive LangChain 基线")
    ] = False,
) -> None:
    """跑回答质量评测（检索、引用、句句有出处、推荐、转人工、拒答、抗注入、延迟）；未过门槛时退出码为 1。"""
    from eval.command import run

    code = run(
        settings_or_exit(),
        dataset,
        as_json=as_json,
        report=report,
        baseline=baseline,
        compare_naive=compare_naive,
        echo=print,
        warn=err.print,
    )
    raise typer.Exit(code)


app.add_typer(staff_app, name="staff")
app.add_typer(curated_app, name="curated")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
