"""`civtui login` and `civtui sync`: connect this laptop to the township server."""

from __future__ import annotations

import dataclasses
import json
import sys

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from civtui.cli.common import Context, fail, profile_store
from civtui.services import credentials
from db import outbox, queries
from sync.client import Connection, SyncError, check_url, summary, sync


@click.command()
@click.option(
    "--server", "url", required=True, help="乡镇同步服务器地址，如 https://mz.example.gov.cn"
)
@click.option("--token-stdin", is_flag=True, help="从标准输入读取令牌（供脚本使用）。")
@click.pass_obj
def login(obj: Context, url: str, token_stdin: bool) -> None:
    """登录同步服务器：核对令牌，并把它保存在系统密码库中。"""
    token = sys.stdin.readline().strip() if token_stdin else click.prompt("令牌", hide_input=True)
    if not token:
        fail("没有输入令牌", 2)
    with profile_store(obj) as store:
        try:
            conn = Connection(url, token)
        except SyncError as exc:
            fail(str(exc), 2)
        try:
            me = conn.me()
        except SyncError as exc:
            fail(str(exc))
        finally:
            conn.close()
        local = set(queries.village_names(store))
        with store.transaction():
            store.set_meta(outbox.SERVER_URL, conn.url)
        try:
            credentials.save(obj.profile.name, conn.url, token)
        except credentials.CredentialError as exc:
            fail(str(exc))
    console = Console()
    console.print(f"已登录 {conn.url}：{me.staff}，可同步村(社区) {'、'.join(me.villages)}")
    missing = local - set(me.villages)
    if missing:
        console.print(
            f"[yellow]注意：[/]本机档案中的 {'、'.join(sorted(missing))} 不在令牌权限内，其记录会被服务器拒绝"
        )


@click.command("sync")
@click.option(
    "--server", "url", help="服务器地址（默认用 civtui login 时的地址，或 CIVTUI_SERVER）。"
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.pass_obj
def sync_command(obj: Context, url: str | None, as_json: bool) -> None:
    """先上传本机修改，再下载其他人的修改。可随时中断、重复运行。"""
    with profile_store(obj) as store:
        server, token = credentials.target(obj.profile.name, store, url)
        if not server:
            fail(
                "还不知道服务器地址；请先运行 civtui login --server https://…，或用 --server 指定",
                2,
            )
        try:
            server = check_url(server)
        except SyncError as exc:
            fail(str(exc), 2)
        if not token:
            fail(
                f"尚未登录 {server}；请先运行 civtui login --server {server}，或设置环境变量 CIVTUI_TOKEN"
            )
        conn = Connection(server, token)
        stderr = Console(stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=stderr, transient=True, disable=as_json) as bar:
                tasks: dict[str, TaskID] = {}

                def tell(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(
                            "上传" if stage == "push" else "下载", total=total
                        )
                    bar.update(tasks[stage], completed=done, total=max(total, done))

                report = sync(store, conn, tell)
        except SyncError as exc:
            if as_json:
                click.echo(
                    json.dumps(
                        {"ok": False, "error": str(exc), "kind": exc.kind}, ensure_ascii=False
                    )
                )
            fail(str(exc), 3 if exc.kind == "auth" else 1)
        finally:
            conn.close()
        pending = store.pending_count()
    if as_json:
        data = {"ok": True, **dataclasses.asdict(report), "pending": pending}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(f"同步完成：{summary(report)}；下载冲突 {report.pulled_conflicts}")
    for reason in report.rejected_reasons:
        console.print(f"  [red]被拒：[/]{reason}")
    if report.clock_warning:
        console.print(f"[yellow]{report.clock_warning}[/]")
