"""The `rongchuang` command: ingest, search, kb, ask, chat, serve, telegram, eval, staff."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.settings import Settings
from knowledge.errors import RongchuangError
from knowledge.search import Filters, search
from knowledge.types import KINDS

app = typer.Typer(
    help="蓉创助手：成都创业政策问答、园区和基金推荐、转人工。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="查看和管理知识库里的文件。", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
staff_app = typer.Typer(help="管理服务中心工作人员账号。", no_args_is_help=True)
app.add_typer(staff_app, name="staff")
out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except RongchuangError as exc:
        err.print(f"[red]配置错误：[/red]{exc}")
        raise typer.Exit(2) from exc


def _index(settings: Settings):
    from assistant.services import build_index

    return build_index(settings)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录；不写则导入内置知识库")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="清空索引后重建（嵌入缓存保留）")] = False,
) -> None:
    """导入文件到知识库（增量：没变的文件不重复处理；中断后再运行会接着完成）。"""
    from connectors.progress import RichProgress

    settings = _settings()
    index = _index(settings)
    targets = paths or settings.kb_roots
    try:
        with RichProgress(err) as progress:
            report = index.ingest(targets, rebuild=rebuild, progress=progress)
    except RongchuangError as exc:
        err.print(f"[red]导入失败：[/red]{exc}")
        raise typer.Exit(1) from exc
    err.print(
        f"导入 {len(report.ingested)} 个文件，{report.passages} 段（新嵌入 {report.embedded} 段），"
        f"未变 {len(report.unchanged)} 个，移除 {len(report.removed)} 个，跳过 {len(report.skipped)} 个。"
        f"索引共 {index.count()} 段。"
    )
    for _source, why in report.skipped:
        err.print(f"[yellow]跳过[/yellow] {why}")
    for doc in report.flagged:  # orders, payment requests, links inside a document: never quoted
        err.print(f"[red]需要检查[/red] {doc.describe()}。请核对原文，删掉这些内容后重新导入。")
    if report.skipped and not report.ingested and not report.unchanged:
        raise typer.Exit(1)


def _kinds(kind: list[str] | None) -> tuple[str, ...]:
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
    settings = _settings()
    index = _index(settings)
    if index.count() == 0:
        err.print("知识库是空的。请先运行：rongchuang ingest")
        raise typer.Exit(1)
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
    index = _index(_settings())
    docs = index.documents()
    if as_json:
        print(
            json.dumps(
                [{**d.meta.model_dump(mode="json"), "passages": d.passages} for d in docs], ensure_ascii=False
            )
        )
        return
    table = Table("doc_id", "类型", "标题", "文号", "地区", "有效期", "段数", "示例")
    for d in docs:
        m = d.meta
        valid = (
            f"{m.effective_from or ''}–{m.effective_to or ''}"
            if (m.effective_from or m.effective_to)
            else "—"
        )
        if m.superseded_by:
            valid += f"（已被 {m.superseded_by} 取代）"
        table.add_row(
            m.doc_id,
            m.kind,
            m.title,
            m.doc_number or "",
            m.region,
            valid,
            str(d.passages),
            "是" if m.sample else "",
        )
    out.print(table)
    out.print(f"共 {len(docs)} 个文件，{index.count()} 段。")


@kb_app.command("remove")
def kb_remove(doc_id: str) -> None:
    """从知识库删除一个文件（按 doc_id）。"""
    index = _index(_settings())
    n = index.remove_doc(doc_id)
    if not n:
        err.print(f"没有 doc_id 为 {doc_id} 的文件。用 rongchuang kb list 查看已有的 doc_id。")
        raise typer.Exit(1)
    out.print(f"已删除 {doc_id}（{n} 段）。注意：如果源文件还在知识库目录里，下次导入会再次加入。")


def _runtime(settings: Settings):
    from assistant.runtime import Runtime

    try:
        return Runtime.start(settings)
    except RongchuangError as exc:
        err.print(f"[red]启动失败：[/red]{exc}")
        raise typer.Exit(1) from exc


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="你的问题；写 - 则从标准输入每行读一个问题")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 Reply JSON（每个问题一行）")] = False,
    session: Annotated[str | None, typer.Option("--session", help="接着某个会话问（会话 ID）")] = None,
) -> None:
    """问一个问题，打印带出处的回答。"""
    from assistant.engine import MessageError
    from connectors.terminal import render_reply

    rt = _runtime(_settings())
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

    rt = _runtime(_settings())
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

    settings = _settings()
    n = Store.open(settings.db_url).purge(days or settings.retention_days)
    out.print(f"已删除 {n} 个超过 {days or settings.retention_days} 天未活动的对话。")


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
    import logging

    settings = _settings()
    if not settings.telegram_token:
        err.print(
            "[red]没有设置 RONGCHUANG_TELEGRAM_TOKEN。[/red]请先在 Telegram 里找 @BotFather 创建机器人"
            "（/newbot），把它给的 token 设为环境变量 RONGCHUANG_TELEGRAM_TOKEN，再运行 rongchuang telegram。"
        )
        raise typer.Exit(2)
    # httpx logs every request URL at INFO and a Bot API URL holds the token; the others are chatty
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "alembic", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
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
    try:
        run_polling(rt)
    finally:
        rt.close()


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="监听地址；对外服务用 0.0.0.0（建议放在反向代理后面）")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="端口")] = 8000,
) -> None:
    """启动网页聊天、工作人员工作台和 HTTP API（首次启动会先建立知识库索引）。"""
    import logging

    import uvicorn

    from connectors.web import create_app

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "alembic", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    err.print(f"蓉创助手：http://{host}:{port}/ （工作台 /staff）")
    # proxy_headers off: the app itself reads X-Forwarded-For, and only when RONGCHUANG_TRUST_FORWARDED.
    uvicorn.run(create_app(settings), host=host, port=port, proxy_headers=False, server_header=False)


@staff_app.command("add")
def staff_add(
    name: Annotated[str, typer.Argument(help="登录用户名")],
    admin: Annotated[bool, typer.Option("--admin", help="管理员：还能管理知识库")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读一行作为密码")
    ] = False,
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="回复创业者时的署名，如 王老师")
    ] = None,
) -> None:
    """创建服务中心工作人员账号（密码用 argon2 加密保存）。"""
    from assistant.store import Duplicate, Store
    from connectors.web.auth import hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")
    if len(password) < 8:
        err.print("[red]密码至少 8 个字符。[/red]")
        raise typer.Exit(2)
    with Store.open(_settings().db_url) as store:
        try:
            staff = store.add_staff(name, hash_password(password), is_admin=admin, display_name=display_name)
        except Duplicate as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    out.print(
        f"已创建{'管理员' if admin else '工作人员'}账号 {staff.username}（#{staff.id}），登录地址 /staff。"
    )


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
        _settings(),
        dataset,
        as_json=as_json,
        report=report,
        baseline=baseline,
        compare_naive=compare_naive,
        echo=print,
        warn=err.print,
    )
    raise typer.Exit(code)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
