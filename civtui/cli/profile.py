"""`civtui init`, `civtui demo`, `civtui status`: making and inspecting a profile."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from civtui.cli.common import Context, Labelled, fail, labelled, profile_store, shown, working
from civtui.domain.choices import Role
from civtui.domain.errors import text
from civtui.services import demo, keys, ownership
from civtui.services.profile import (
    DEMO_PROFILE,
    Profile,
    ProfileExistsError,
    SetupError,
    install,
    set_up,
)
from db import queries


@click.command()
@click.option("--village-code", required=True, help="12位统计用区划代码，如 330902112201。")
@click.option("--village-name", required=True, help="村(社区)名称。")
@click.option("--township", default="", help="所属乡镇(街道)。")
@click.option("--staff", "staff_name", required=True, help="你的姓名。")
@click.option(
    "--role",
    type=Labelled(Role),
    required=True,
    help="你的角色：民政协管员、儿童主任或督导员（也可写 assistant 等）。",
)
@click.option("--force", is_flag=True, help="档案已存在时重建（旧文件改名保留）。")
@click.pass_obj
def init(
    obj: Context,
    village_code: str,
    village_name: str,
    township: str,
    staff_name: str,
    role: str,
    force: bool,
) -> None:
    """创建本机档案：一个村(社区)和使用它的工作人员。"""
    profile = obj.profile
    try:
        moved = set_up(
            profile,
            village_code=village_code,
            village_name=village_name,
            township=township,
            staff_name=staff_name,
            role=role,
            clock=obj.clock,
            lang=obj.lang,
            force=force,
        )
    except SetupError as exc:
        fail(str(exc), 2)
    except ProfileExistsError:
        fail(obj.t("cli.profile_exists", name=profile.name, path=profile.db_path))
    except (keys.KeyUnavailableError, ownership.ProfileBusyError) as exc:
        fail(text(exc, obj.lang))
    _created(obj, profile, moved)


@click.command("demo")
@click.option(
    "--persons",
    default=demo.DEFAULT_PERSONS,
    show_default=True,
    type=click.IntRange(1, 200_000),
    help="生成多少名服务对象。",
)
@click.option("--seed", default=1, show_default=True, help="随机种子；相同种子生成相同数据。")
@click.option("--force", is_flag=True, help="演示档案已存在时重建（旧文件改名保留）。")
@click.pass_obj
def demo_command(obj: Context, persons: int, seed: int, force: bool) -> None:
    """创建演示档案：三个海岛村的虚构人员和近三个月的工作记录。"""
    profile = Profile(obj.profile_name or DEMO_PROFILE)
    data = demo.generate(persons, seed, today=obj.clock.today())
    staff_id = data.staff[0].id
    with working(obj.t("cli.demo_running")):
        try:
            moved = install(profile, data.all(), staff_id, obj.clock, force=force)
        except ProfileExistsError:
            fail(obj.t("cli.profile_exists", name=profile.name, path=profile.db_path))
        except (keys.KeyUnavailableError, ownership.ProfileBusyError) as exc:
            fail(text(exc, obj.lang))
    _created(obj, profile, moved)


def _created(obj: Context, profile: Profile, moved: Path | None) -> None:
    console = Console(soft_wrap=True)
    if moved:
        console.print(shown(obj.t("cli.moved_aside", path=moved), lines=True))
    console.print(shown(obj.t("cli.created", name=profile.name, path=profile.db_path), lines=True))
    # Losing the key loses the profile: said plainly, with what to do about it.
    t = obj.t
    info = keys.read_info(profile.db_path)
    where = "key.where_passphrase" if info and info.source == "passphrase" else "key.where_keyring"
    click.secho(t("key.loss_warning", where=t(where)), fg="yellow", bold=True)
    if info and info.source == "keyring":
        click.echo(t("key.pin_hint"))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（键名稳定，见 README）。")
@click.pass_obj
def status(obj: Context, as_json: bool) -> None:
    """档案概况：村(社区)、各类记录数量、待同步的修改、上次同步。"""
    profile = obj.profile
    with profile_store(obj) as store:
        report = {"profile": profile.name, "path": str(profile.db_path), **queries.summary(store)}
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    t = obj.t
    console = Console(soft_wrap=True)
    console.print(labelled(t("cli.status.profile"), f"{report['profile']}  {report['path']}"))
    sep = "、" if obj.lang == "zh" else ", "
    villages = sep.join(f"{v['name']}({v['code']})" for v in report["villages"])
    console.print(labelled(t("cli.status.villages"), villages or t("cli.status.none")))
    table = Table(t("cli.status.record"), t("cli.status.count"), box=None)
    for key, count in report["counts"].items():
        table.add_row(shown(t(f"table.{key}")), shown(count))
    console.print(table)
    console.print(labelled(t("cli.status.pending"), report["pending_changes"]))
    last = report["last_sync"] or t("cli.status.never")
    console.print(labelled(t("cli.status.last_sync"), last))
