"""`civtui server ...`: set up, hand out tokens and run the central server.

Server libraries load inside the commands, so a village laptop without the
`server` extra still gets a clear message instead of an import error.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from civtui.domain.errors import text as error_text
from civtui.i18n import Translator

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sync.server.settings import ServerSettings

_DB_HELP = (
    "数据库 URL：sqlite:///路径 或 postgresql://…"
    "（默认读 CIVTUI_SERVER_DATABASE、配置文件，再默认本机 SQLite 文件）"
)
_CONFIG_KEY = "civtui.server.config"


def _t() -> Translator:
    root = click.get_current_context().find_root().obj
    return Translator(getattr(root, "lang", "zh"))


def _fail(key: str, **values: Any) -> NoReturn:
    raise click.ClickException(_t()(key, **values))


def settings(**flags: Any) -> ServerSettings:
    """The settings in force for this command: its flags, the environment, the TOML file."""
    from pydantic import ValidationError

    from sync.server import settings as server_settings

    config = click.get_current_context().meta.get(_CONFIG_KEY)
    try:
        return server_settings.load(config, **flags)
    except FileNotFoundError as exc:
        _fail("server.config_missing", path=exc.args[0])
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        _fail("server.config_invalid", problems=problems)


def _engine(url: str | None, *, ready: bool = True) -> Engine:
    from sync.server import storage

    engine = storage.make_engine(settings(database=url).database_url())
    if ready:
        _check_schema(engine)
    return engine


def _check_schema(engine: Engine) -> None:
    from sync.server import storage

    found = storage.schema_version(engine)
    if found > storage.HEAD:
        _fail("server.too_new", found=found, head=storage.HEAD)
    if found < storage.HEAD:
        _fail("server.schema_behind", found=found, head=storage.HEAD)


database = click.option("--database", "url", help=_DB_HELP)


_ARGS_KEY = "civtui.server.args"
_HELP = ("--help", "-h")


def _extra_missing() -> bool:
    """Whether the `server` extra (FastAPI, SQLAlchemy, uvicorn) is not installed here."""
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        return True
    return False


class ServerGroup(click.Group):
    """The server's commands: their help shows on a laptop without the server extra too,
    saying the extra is needed to run them."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # What follows the subcommand's name: the group's callback runs before the
        # subcommand reads its `--help`, and must not refuse what is only asked about.
        ctx.meta[_ARGS_KEY] = rest
        return name, command, rest

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        if _extra_missing():
            with formatter.indentation():
                formatter.write_paragraph()
                formatter.write_text(_t()("cli.server_extra"))


@click.group("server", cls=ServerGroup)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML 配置文件（默认读 CIVTUI_SERVER_CONFIG）。",
)
@click.pass_context
def server_group(ctx: click.Context, config: Path | None) -> None:
    """乡镇(街道)同步服务器：初始化、令牌、运行。"""
    ctx.meta[_CONFIG_KEY] = config
    # Runs before every subcommand: one check instead of a guard per import.
    if not _extra_missing():
        return
    if any(arg in _HELP for arg in ctx.meta.get(_ARGS_KEY, [])):
        # The help follows; said first on stderr, so it is seen even if the help scrolls.
        click.echo(_t()("cli.server_extra"), err=True)
        return
    raise click.ClickException(_t()("server.no_extra"))


@server_group.command("init")
@database
def init(url: str | None) -> None:
    """创建或升级服务器数据库（SQLite 文件升级前先备份）。"""
    from sync.server import storage
    from sync.server.settings import masked

    chosen = settings(database=url)
    engine = storage.make_engine(chosen.database_url())
    t = _t()
    click.echo(t("server.database", url=masked(chosen.database_url())))
    try:
        done = storage.migrate(engine, chosen.backup_dir)
    except storage.SchemaTooNewError as exc:
        _fail("server.too_new", found=exc.found, head=storage.HEAD)
    if done.backup is not None:
        click.echo(t("server.init.backup", path=done.backup))
    from sync.server import bundle

    key, made = bundle.make_keys(engine)
    if made:
        click.echo(t("bundle.cli.keygen", fingerprint=key.fingerprint()))
    if done.before == done.after:
        click.echo(t("server.init.current", after=done.after))
    elif done.before == 0:
        click.echo(t("server.init.created", after=done.after))
    else:
        click.echo(t("server.init.done", before=done.before, after=done.after))


@server_group.group("token")
def token_group() -> None:
    """工作人员令牌。"""


@token_group.command("create")
@database
@click.option("--staff", required=True, help="工作人员姓名。")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["assistant", "child_director", "supervisor"]),
    help="工作人员的角色：assistant（民政协管员）、child_director（儿童主任）、supervisor（督导员）。",
)
@click.option(
    "--village", "villages", multiple=True, required=True, help="可访问的村(社区)代码，可多次给出。"
)
def token_create(url: str | None, staff: str, role: str, villages: tuple[str, ...]) -> None:
    """创建令牌；令牌只显示这一次，服务器只保存其摘要。"""
    from civtui.domain import village_code
    from sync.server import tokens

    t = _t()
    codes = [village_code.normalize(v) for v in villages]
    bad = [v for v, code in zip(villages, codes, strict=True) if not village_code.is_code(code)]
    if bad:
        raise click.ClickException(t("server.bad_codes", codes=t("list.sep").join(bad)))
    token_id, token = tokens.create(_engine(url), staff, role, codes)
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


_FROM_HELP = "从哪个月起生效（YYYY-MM，默认本月）；此前的月份不变。"
_from_month = click.option(
    "--from", "since", type=click.DateTime(formats=["%Y-%m"]), help=_FROM_HELP
)


def _since(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else value.date()


@policy_group.command("set")
@database
@click.argument("category")
@click.argument("frequency")
@_from_month
def policy_set(url: str | None, category: str, frequency: str, since: dt.datetime | None) -> None:
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
    try:
        policy.set_frequency(_engine(url), chosen, how_often, _since(since))
    except ValueError:
        raise click.ClickException(t("server.policy_before", name=chosen.label(t.lang))) from None
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


_run_options = [
    database,
    click.option("--host", help="监听地址；默认 127.0.0.1，只在本机。"),
    click.option("--port", type=int, help="端口；默认 8765。"),
    click.option("--workers", type=int, help="工作进程数（多于 1 个需 PostgreSQL）；默认 1。"),
    click.option(
        "--log-level",
        type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    ),
    click.option(
        "--log-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="另把日志按行写成 JSON 到此文件（0600）。",
    ),
]


def run_options(command: Any) -> Any:
    for option in reversed(_run_options):
        command = option(command)
    return command


def _flags(url: str | None, **flags: Any) -> dict[str, Any]:
    if flags.get("log_level"):
        flags["log_level"] = flags["log_level"].upper()
    return {"database": url, **flags}


@server_group.command("config")
@run_options
@click.option("--json", "as_json", is_flag=True)
def config_command(url: str | None, as_json: bool, **flags: Any) -> None:
    """显示生效的服务器设置（命令行 > CIVTUI_SERVER_* 环境变量 > 配置文件 > 默认）。"""
    shown = settings(**_flags(url, **flags)).shown()
    if as_json:
        click.echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    for key, value in shown.items():
        click.echo(f"{key} = {'' if value is None else value}")


@policy_group.group("rule")
def rule_group() -> None:
    """探访规则：年龄上限、哪些记录算探访、能力评估有效期等，乡镇统一设定。"""


@rule_group.command("set")
@database
@click.argument("name")
@click.argument("value")
@_from_month
def rule_set(url: str | None, name: str, value: str, since: dt.datetime | None) -> None:
    """设定一条规则，如 civtui server policy rule set adl_valid_months 12、
    age_limit.留守儿童 16、contact_kinds.留守儿童 check。"""
    from civtui.domain.policy import Rules
    from sync.server import policy

    t = _t()
    try:
        key, stored = Rules.check(name, value)
    except ValueError as exc:
        raise click.ClickException(error_text(exc, t.lang)) from None
    try:
        policy.set_rule(_engine(url), key, stored, _since(since))
    except ValueError:
        raise click.ClickException(t("server.policy_before", name=key)) from None
    click.echo(t("server.rule_set", name=key, value=stored))


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
@run_options
def run(url: str | None, **flags: Any) -> None:
    """运行同步服务器。"""
    import uvicorn

    from civtui import __version__
    from sync.server import logs, storage
    from sync.server.settings import masked

    chosen = settings(**_flags(url, **flags))
    t = _t()
    engine = storage.make_engine(chosen.database_url())
    _check_schema(engine)
    if chosen.workers > 1 and engine.dialect.name != "postgresql":
        _fail("server.run.workers_sqlite")
    engine.dispose()
    logs.configure(chosen.log_level, chosen.log_file)
    click.echo(t("server.run.version", version=__version__), err=True)
    click.echo(t("server.run.address", host=chosen.host, port=chosen.port), err=True)
    click.echo(t("server.database", url=masked(chosen.database_url())), err=True)
    click.echo(t("server.run.workers", workers=chosen.workers), err=True)
    if chosen.log_file:
        click.echo(t("server.run.log_file", path=chosen.log_file), err=True)
    else:
        click.echo(t("server.run.log_terminal"), err=True)
    try:
        loopback = ipaddress.ip_address(chosen.host).is_loopback
    except ValueError:
        loopback = chosen.host == "localhost"
    if not loopback:
        click.echo(t("server.listening", host=chosen.host), err=True)
    # Worker processes build their app from the environment: hand them these settings there.
    os.environ.update(chosen.environment())
    uvicorn.run(
        "sync.server.app:from_environment",
        factory=True,
        host=chosen.host,
        port=chosen.port,
        workers=chosen.workers,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
