"""`rongchuang staff …` and `rongchuang curated …`: accounts, service centers, curated answers."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from knowledge.errors import RongchuangError

if TYPE_CHECKING:
    from assistant.settings import Settings

staff_app = typer.Typer(help="管理服务中心工作人员账号。", no_args_is_help=True)
curated_app = typer.Typer(
    help="查看和删除服务中心答复（工作人员写、管理员审核的答案）。", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


def settings_or_exit() -> Settings:
    """The settings, or exit 2 with what is wrong in them (both CLIs; pydantic loads only here)."""
    from assistant.settings import Settings

    try:
        return Settings()
    except RongchuangError as exc:
        err.print(f"[red]配置错误：[/red]{exc}")
        raise typer.Exit(2) from exc


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
    with Store.open(settings_or_exit().db_url) as store:
        try:
            staff = store.add_staff(name, hash_password(password), is_admin=admin, display_name=display_name)
        except Duplicate as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(1) from exc
    out.print(
        f"已创建{'管理员' if admin else '工作人员'}账号 {staff.username}（#{staff.id}），登录地址 /staff。"
    )


def _store():
    from assistant.store import Store

    return Store.open(settings_or_exit().db_url)


def _staff_or_exit(store, name: str):
    staff = store.get_staff_by_username(name)
    if staff is None:
        err.print(f"[red]没有用户名为「{name}」的账号。[/red]用 rongchuang staff list 查看全部账号。")
        raise typer.Exit(1)
    return staff


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("新密码", hide_input=True, confirmation_prompt="再输入一次密码")
    if len(password) < 8:
        err.print("[red]密码至少 8 个字符。[/red]")
        raise typer.Exit(2)
    return password


@staff_app.command("list")
def staff_list() -> None:
    """列出全部工作人员账号、状态和所属服务中心。"""
    with _store() as store:
        table = Table("id", "用户名", "署名", "角色", "状态", "服务中心")
        for s in store.list_staff():
            centers = "、".join(store.staff_centers(s.id)) or "—"
            if s.own_centers_only:
                centers += "（只看本中心）"
            table.add_row(
                str(s.id),
                s.username,
                s.display_name,
                "管理员" if s.is_admin else "工作人员",
                "已停用" if s.disabled else "正常",
                centers,
            )
    out.print(table)


@staff_app.command("disable")
def staff_disable(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """停用账号：立即不能登录，已登录的页面也会失效。"""
    with _store() as store:
        store.set_staff_disabled(_staff_or_exit(store, name).id, True)
    out.print(f"已停用 {name}。恢复用 rongchuang staff enable {name}。")


@staff_app.command("enable")
def staff_enable(name: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """重新启用一个停用的账号。"""
    with _store() as store:
        store.set_staff_disabled(_staff_or_exit(store, name).id, False)
    out.print(f"已启用 {name}，请对方重新登录。")


@staff_app.command("remove")
def staff_remove(
    name: Annotated[str, typer.Argument(help="用户名")],
    yes: Annotated[bool, typer.Option("--yes", help="不再确认")] = False,
) -> None:
    """删除账号。它处理过的工单、备注和答复保留，只是不再关联到这个账号。"""
    with _store() as store:
        staff = _staff_or_exit(store, name)
        if not yes and not typer.confirm(f"确定删除账号 {name}？"):
            raise typer.Exit(1)
        store.remove_staff(staff.id)
    out.print(f"已删除账号 {name}。")


@staff_app.command("reset-password")
def staff_reset_password(
    name: Annotated[str, typer.Argument(help="用户名")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读一行作为新密码")
    ] = False,
) -> None:
    """设置新密码；用旧密码登录的页面随即失效。"""
    from connectors.web.auth import hash_password

    password = _read_password(password_stdin)
    with _store() as store:
        store.set_staff_password(_staff_or_exit(store, name).id, hash_password(password))
    out.print(f"已重设 {name} 的密码，请对方用新密码登录。")


@staff_app.command("centers")
def staff_centers(
    name: Annotated[str, typer.Argument(help="用户名")],
    center: Annotated[list[str] | None, typer.Option("--center", help="服务中心 id，可写多次")] = None,
    own_only: Annotated[
        bool, typer.Option("--own-only/--all-tickets", help="只看这些服务中心的工单")
    ] = False,
) -> None:
    """把工作人员分配到服务中心；--own-only 时工单队列只显示这些中心的工单。"""
    with _store() as store:
        staff = store.set_staff_centers(_staff_or_exit(store, name).id, center or [], own_only)
        centers = store.staff_centers(staff.id)
    scope = "只看这些中心的工单" if staff.own_centers_only else "可以看全部工单"
    out.print(f"{name}：{'、'.join(centers) or '没有分配服务中心'}；{scope}。")


@curated_app.command("list")
def curated_list(
    status: Annotated[
        str, typer.Option("--status", help="draft 待审核、approved 已发布、rejected、disabled 或 all")
    ] = "all",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """列出服务中心答复：谁写的、谁审核的、什么时候。"""
    from assistant.store.records import CURATED_STATUSES

    if status != "all" and status not in CURATED_STATUSES:
        err.print(f"[red]--status 只能是 {'、'.join(CURATED_STATUSES)} 或 all。[/red]")
        raise typer.Exit(2)
    with _store() as store:
        items = store.curated_answers(None if status == "all" else status)
    if as_json:
        fields = ("id", "status", "question", "answer", "center_name", "author_name", "reviewer_name")
        rows = [{f: getattr(c, f) for f in fields} | {"created_at": c.created_at.isoformat()} for c in items]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table("id", "状态", "问题", "作者", "审核人", "时间")
    for c in items:
        when = (c.reviewed_at or c.created_at).strftime("%Y-%m-%d %H:%M")
        table.add_row(
            str(c.id), c.status, c.question[:40], c.author_name or "—", c.reviewer_name or "—", when
        )
    out.print(table)
    out.print(f"共 {len(items)} 条。")


@curated_app.command("remove")
def curated_remove(curated_id: Annotated[int, typer.Argument(help="答复 id（见 curated list）")]) -> None:
    """删除一条服务中心答复，助手不再引用它。"""
    with _store() as store:
        gone = store.delete_curated(curated_id)
    if not gone:
        err.print(f"[red]没有 id 为 {curated_id} 的答复。[/red]用 rongchuang curated list 查看。")
        raise typer.Exit(1)
    out.print(f"已删除答复 #{curated_id}。")
