"""`civtui server ...`: set up, hand out tokens and run the central server.

Server libraries load inside the commands, so a village laptop without the
`server` extra still gets a clear message instead of an import error.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

_DB_HELP = (
    "数据库 URL：sqlite:///路径 或 postgresql://…"
    "（默认读 CIVTUI_SERVER_DATABASE，再默认本机 SQLite 文件）"
)


def _engine(url: str | None, *, ready: bool = True) -> Engine:
    from sync.server import storage

    engine = storage.make_engine(url)
    if ready and not storage.is_ready(engine):
        raise click.ClickException("服务器数据库尚未初始化；请先运行 civtui server init")
    return engine


database = click.option("--database", "url", envvar="CIVTUI_SERVER_DATABASE", help=_DB_HELP)


@click.group("server")
def server_group() -> None:
    """乡镇(街道)同步服务器：初始化、令牌、运行。"""
    # Runs before every subcommand (not for --help): one check instead of a guard per import.
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "服务器组件未安装；请运行 pip install 'civtui[server]'"
        ) from None


@server_group.command("init")
@database
def init(url: str | None) -> None:
    """创建或升级服务器数据库。"""
    from sync.server import storage

    applied = storage.migrate(_engine(url, ready=False))
    click.echo("已初始化：" + ("、".join(applied) if applied else "数据库已是最新"))


@server_group.group("token")
def token_group() -> None:
    """工作人员令牌。"""


@token_group.command("create")
@database
@click.option("--staff", required=True, help="工作人员姓名。")
@click.option(
    "--role", required=True, type=click.Choice(["assistant", "child_director", "supervisor"])
)
@click.option(
    "--village", "villages", multiple=True, required=True, help="可访问的村(社区)代码，可多次给出。"
)
def token_create(url: str | None, staff: str, role: str, villages: tuple[str, ...]) -> None:
    """创建令牌；令牌只显示这一次，服务器只保存其摘要。"""
    from sync.server import tokens

    bad = [v for v in villages if not (v.isdigit() and len(v) == 12)]
    if bad:
        raise click.ClickException(f"村(社区)代码应为12位数字：{'、'.join(bad)}")
    token_id, token = tokens.create(_engine(url), staff, role, list(villages))
    click.echo(f"令牌编号：{token_id}", err=True)
    click.echo("请把下面的令牌交给本人（只显示这一次）：", err=True)
    click.echo(token)


@token_group.command("revoke")
@database
@click.argument("token_id")
def token_revoke(url: str | None, token_id: str) -> None:
    """吊销令牌：持有者从此不能再同步。"""
    from sync.server import tokens

    if not tokens.revoke(_engine(url), token_id):
        raise click.ClickException(f"没有有效的令牌 {token_id}")
    click.echo(f"已吊销令牌 {token_id}")


@token_group.command("list")
@database
@click.option("--json", "as_json", is_flag=True)
def token_list(url: str | None, as_json: bool) -> None:
    """列出令牌（不含令牌本身）。"""
    from sync.server import tokens

    rows = tokens.listing(_engine(url))
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = f"已吊销 {r['revoked_at']}" if r["revoked_at"] else "有效"
        villages = ",".join(str(v) for v in r["villages"])  # type: ignore[attr-defined]
        click.echo(f"{r['id']}  {r['staff']}  {r['role']}  {villages}  {state}")


@server_group.group("policy")
def policy_group() -> None:
    """探访频次：乡镇统一设定，各村(社区)下次同步后生效。"""


@policy_group.command("set")
@database
@click.argument("category")
@click.argument("frequency")
def policy_set(url: str | None, category: str, frequency: str) -> None:
    """设定一类对象的探访频次，如 civtui server policy set 高龄 每季度。"""
    from civtui.domain.choices import Category, Frequency
    from sync.server import policy

    try:
        chosen = Category.parse(category)
    except ValueError as exc:
        raise click.ClickException(f"类别{exc}") from None
    try:
        how_often = Frequency.parse(frequency)
    except ValueError as exc:
        raise click.ClickException(f"探访频次{exc}") from None
    policy.set_frequency(_engine(url), chosen, how_often)
    click.echo(f"已设定：{chosen.zh}{how_often.zh}探访；各村(社区)下次同步后生效")


@policy_group.command("list")
@database
@click.option("--json", "as_json", is_flag=True)
def policy_list(url: str | None, as_json: bool) -> None:
    """列出每类对象的探访频次（未设定的按默认）。"""
    from civtui.domain.policy import DEFAULT_POLICY
    from sync.server import policy

    chosen = policy.current(_engine(url))
    if as_json:
        rows = [
            {"category": c.value, "frequency": chosen.get(c, f).value, "set": c in chosen}
            for c, f in DEFAULT_POLICY.items()
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for category, default in DEFAULT_POLICY.items():
        how_often = chosen.get(category, default)
        click.echo(f"{category.zh}\t{how_often.zh}" + ("" if category in chosen else "（默认）"))


@policy_group.group("rule")
def rule_group() -> None:
    """探访规则：年龄上限、哪些记录算探访、能力评估有效期等，乡镇统一设定。"""


@rule_group.command("set")
@database
@click.argument("name")
@click.argument("value")
def rule_set(url: str | None, name: str, value: str) -> None:
    """设定一条规则，如 civtui server policy rule set adl_valid_months 12、
    age_limit.留守儿童 16、contact_kinds.留守儿童 check。"""
    from civtui.domain.policy import Rules
    from sync.server import policy

    try:
        key, stored = Rules.check(name, value)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    policy.set_rule(_engine(url), key, stored)
    click.echo(f"已设定：{key} = {stored}；各村(社区)下次同步后生效")


@rule_group.command("list")
@database
@click.option("--json", "as_json", is_flag=True)
def rule_list(url: str | None, as_json: bool) -> None:
    """列出乡镇设定的探访规则（其余按默认，见 README 的覆盖率一节）。"""
    from sync.server import policy

    chosen = policy.rules(_engine(url))
    if as_json:
        click.echo(json.dumps(chosen, ensure_ascii=False, indent=2))
        return
    for name, value in sorted(chosen.items()):
        click.echo(f"{name}\t{value}")


@server_group.command("run")
@database
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址；默认只在本机。")
@click.option("--port", default=8765, show_default=True, type=int)
def run(url: str | None, host: str, port: int) -> None:
    """运行同步服务器。"""
    import uvicorn

    from sync.server.app import create_app

    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        click.echo(
            f"注意：服务器将监听 {host}，其他电脑可以连接；请放在 HTTPS 反向代理之后。", err=True
        )
    app = create_app(_engine(url))
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
