"""`civtui server ...`: set up, hand out tokens and run the central server.

Server libraries load inside the commands, so a village laptop without the
`server` extra still gets a clear message instead of an import error.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING

import click

from civtui.domain.errors import text as error_text
from civtui.i18n import Translator

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _t() -> Translator:
    """The translator of `civtui --lang` (or the saved language), Chinese without one."""
    obj = click.get_current_context().find_root().obj
    return Translator(getattr(obj, "lang", "zh"))


_DB_HELP = (
    "数据库 URL：sqlite:///路径 或 postgresql://…"
    "（默认读 CIVTUI_SERVER_DATABASE，再默认本机 SQLite 文件）"
)


def _engine(url: str | None, *, ready: bool = True) -> Engine:
    from sync.server import storage

    engine = storage.make_engine(url)
    if ready and not storage.is_ready(engine):
        raise click.ClickException(_t()("server.not_ready"))
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
        raise click.ClickException(_t()("server.no_extra")) from None


@server_group.command("init")
@database
def init(url: str | None) -> None:
    """创建或升级服务器数据库。"""
    from sync.server import storage

    t = _t()
    applied = storage.migrate(_engine(url, ready=False))
    said = t("sync.list").join(applied) if applied else t("server.up_to_date")
    click.echo(t("server.initialised", applied=said))


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

    t = _t()
    bad = [v for v in villages if not (v.isdigit() and len(v) == 12)]
    if bad:
        raise click.ClickException(t("server.bad_codes", codes=t("sync.list").join(bad)))
    token_id, token = tokens.create(_engine(url), staff, role, list(villages))
    click.echo(t("server.token_id", id=token_id), err=True)
    click.echo(t("server.token_once"), err=True)
    click.echo(token)


@token_group.command("revoke")
@database
@click.argument("token_id")
def token_revoke(url: str | None, token_id: str) -> None:
    """吊销令牌：持有者从此不能再同步。"""
    from sync.server import tokens

    t = _t()
    if not tokens.revoke(_engine(url), token_id):
        raise click.ClickException(t("server.no_such_token", id=token_id))
    click.echo(t("server.revoked", id=token_id))


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
    t = _t()
    for r in rows:
        state = t("server.revoked_at", at=r["revoked_at"]) if r["revoked_at"] else t("server.valid")
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

    t = _t()
    try:
        chosen = Category.parse(category)
    except ValueError as exc:
        raise click.ClickException(
            t("server.bad_category", error=error_text(exc, t.lang))
        ) from None
    try:
        how_often = Frequency.parse(frequency)
    except ValueError as exc:
        error = error_text(exc, t.lang)
        raise click.ClickException(t("server.bad_frequency", error=error)) from None
    policy.set_frequency(_engine(url), chosen, how_often)
    said = t("server.policy_set", category=chosen.label(t.lang), frequency=how_often.label(t.lang))
    click.echo(said)


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
    t = _t()
    for category, default in DEFAULT_POLICY.items():
        how_often = chosen.get(category, default)
        line = f"{category.label(t.lang)}\t{how_often.label(t.lang)}"
        click.echo(line + ("" if category in chosen else t("server.default")))


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
        click.echo(_t()("server.listening", host=host), err=True)
    app = create_app(_engine(url))
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
