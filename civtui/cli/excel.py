"""`civtui import`, `civtui export` and `civtui report`: Excel and CSV in and out."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from civtui.cli.common import Context, fail, profile_store
from civtui.domain.choices import Frequency, NeedStatus
from civtui.domain.models import Village
from civtui.domain.policy import add_months
from civtui.excel import importer
from civtui.excel.export import Ledger, export_ledger
from civtui.services import reports
from db import standings

#: Files with more rows than this get a progress bar.
PROGRESS_FROM = 300


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr for long work; a no-op callback for short work."""
    if total <= PROGRESS_FROM:
        yield lambda done: None
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def parse_month(text: str | None, context: Context) -> dt.date:
    if not text:
        return context.clock.today().replace(day=1)
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        fail(f"--month “{text}”格式不对；请按 2026-03 的格式填写年月", 2)
    earliest = add_months(context.clock.today(), -standings.REACH_MONTHS)
    if month < earliest:
        fail(f"--month “{text}”太早：只能查询 {earliest:%Y-%m} 以后的月份（近五年）", 2)
    return month


# -- import -------------------------------------------------------------------


@click.group("import")
def import_group() -> None:
    """从 Excel/CSV 导入服务对象名册。"""


@import_group.command("template")
@click.argument("kind", type=click.Choice(["persons"]))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="生成的 .xlsx 文件。"
)
@click.pass_obj
def template(obj: Context, kind: str, output: Path) -> None:
    """生成带中文表头、填写说明和下拉选项的空白名册模板。"""
    if output.suffix.lower() != ".xlsx":
        fail("模板只能是 .xlsx 文件；请用 .xlsx 结尾的文件名", 2)
    with profile_store(obj) as store:
        importer.write_template(output, store.all(Village))
    click.echo(f"已生成模板：{output}")


def _problem_table(title: str, problems: list[importer.RowProblem]) -> Table:
    table = Table("行", "列", "值", "问题", "修改方法", title=title, title_justify="left")
    for column in table.columns[2:]:
        column.overflow = "fold"
    for p in problems:
        table.add_row(str(p.row), p.column, p.value, p.problem, p.fix)
    return table


@import_group.command("persons")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入。")
@click.option("--skip-invalid", is_flag=True, help="导入正确的行；错误行另存到输入文件旁。")
@click.option("--update-existing", is_flag=True, help="身份证号已登记的，用表中内容更新。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.pass_obj
def import_persons(
    obj: Context,
    file: Path,
    dry_run: bool,
    skip_invalid: bool,
    update_existing: bool,
    as_json: bool,
) -> None:
    """导入服务对象（.xlsx，或 UTF-8 / GBK 编码的 .csv）。有错误行时默认一行也不导入。"""
    console = Console(stderr=as_json, soft_wrap=True)
    try:
        table = importer.read_table(file)
    except importer.ImportFileError as exc:
        fail(str(exc), 2)
    with profile_store(obj) as store:
        try:
            with progress_bar("检查", len(table.rows)) as tick:
                plan = importer.plan_import(
                    store, table, obj.clock.today(), update_existing=update_existing, progress=tick
                )
        except importer.ImportFileError as exc:
            fail(str(exc), 2)
        rejects: Path | None = None
        blocked = bool(plan.problems) and not skip_invalid
        written = 0
        if plan.problems:
            console.print(_problem_table(f"有 {len(plan.bad_rows)} 行需要修改", plan.problems))
        if plan.warnings:
            console.print(_problem_table("请核对（仍会导入）", plan.warnings))
        if plan.skipped:
            console.print(_problem_table("已登记，跳过", plan.skipped))
        if not dry_run and not blocked:
            with progress_bar("写入", len(plan.new) + len(plan.updates)) as tick:
                written = importer.apply(store, plan, progress=tick)
            if plan.problems:
                rejects = importer.write_rejects(file, table, plan)
    summary = {
        "rows": len(table.rows),
        "new": len(plan.new),
        "updated": len(plan.updates),
        "skipped_existing": len(plan.skipped),
        "invalid_rows": len(plan.bad_rows),
        "likely_duplicates": len(plan.warnings),
        "written": written,
        "rejects_file": str(rejects) if rejects else None,
        "dry_run": dry_run,
        "problems": [vars(p) for p in plan.problems],
        "warnings": [vars(p) for p in plan.warnings],
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if blocked:
        fail(
            f"{len(plan.bad_rows)} 行有错误，本次没有导入任何一行。请修改后重新导入，"
            "或加 --skip-invalid 先导入正确的行",
        )
    if not as_json:
        action = "检查完毕（未写入）" if dry_run else "导入完成"
        console.print(
            f"{action}：共 {len(table.rows)} 行，新增 {len(plan.new)}，更新 {len(plan.updates)}，"
            f"跳过已登记 {len(plan.skipped)}，错误 {len(plan.bad_rows)}"
        )
        if rejects:
            console.print(f"错误行已另存：{rejects}")


# -- export -------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """导出可打印的月度台账（.xlsx 或 .csv）。"""


def _output_option(func: Callable[..., None]) -> Callable[..., None]:
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help=".xlsx（含覆盖率和待访名单）或 .csv（仅台账）。",
    )(func)


def _export(
    obj: Context,
    ledger: Ledger,
    output: Path,
    month: dt.date,
    statuses: set[NeedStatus] | None = None,
) -> None:
    with profile_store(obj) as store:
        if ledger is not Ledger.NEEDS:
            # A month that has ended is closed first: its figures are kept as its 月报.
            reports.close_past_months(store, obj.clock.today())
        try:
            rows = export_ledger(
                store, ledger, output, month=month, today=obj.clock.today(), statuses=statuses
            )
        except (ValueError, OSError) as exc:
            fail(str(exc), 2)
    click.echo(f"已导出 {rows} 条：{output}")


@export_group.command("visits")
@click.option("--month", help="年月，如 2026-11（默认本月）。")
@_output_option
@click.pass_obj
def export_visits(obj: Context, month: str | None, output: Path) -> None:
    """探访台账、各类别覆盖率、待访名单。"""
    _export(obj, Ledger.VISITS, output, parse_month(month, obj))


@export_group.command("child-checks")
@click.option("--month", help="年月，如 2026-11（默认本月）。")
@_output_option
@click.pass_obj
def export_child_checks(obj: Context, month: str | None, output: Path) -> None:
    """儿童随访台账、儿童类别覆盖率、待随访名单。"""
    _export(obj, Ledger.CHILD_CHECKS, output, parse_month(month, obj))


@export_group.command("needs")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in NeedStatus] + [s.zh for s in NeedStatus]),
    help="只导出这些状态（可多次给出）。",
)
@_output_option
@click.pass_obj
def export_needs(obj: Context, statuses: tuple[str, ...], output: Path) -> None:
    """老人需求台账及办理记录。"""
    wanted = {NeedStatus(s) for s in statuses} or None
    _export(obj, Ledger.NEEDS, output, obj.clock.today(), wanted)


# -- report -------------------------------------------------------------------


@click.group("report")
def report_group() -> None:
    """覆盖率与政策找人报告。"""


@report_group.command("coverage")
@click.option("--month", help="年月，如 2026-11（默认本月）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_coverage(obj: Context, month: str | None, as_json: bool) -> None:
    """各村(社区)、各类别的探访覆盖率。"""
    when = parse_month(month, obj)
    with profile_store(obj) as store:
        # A month that has ended is closed first: its figures are kept as its 月报.
        reports.close_past_months(store, obj.clock.today())
        rows = reports.coverage(store, when, obj.clock.today())
    if as_json:
        data = [
            {
                "village_code": r.village_code,
                "village": r.village,
                "rate_kind": r.rate_kind.value,
                "group": r.group,
                "category": r.category.value if r.category else None,
                "required": r.required,
                "contacted": r.contacted,
                "rate": r.rate,
                "late": r.late,
            }
            for r in rows
        ]
        click.echo(
            json.dumps({"month": f"{when:%Y-%m}", "rows": data}, ensure_ascii=False, indent=2)
        )
        return
    table = Table(
        "村(社区)",
        "口径",
        "人群",
        "类别",
        "应访",
        "已访",
        "覆盖率",
        "补录",
        title=f"{when:%Y年%m月}探访覆盖率",
    )
    groups = {"adult": "成人", "child": "儿童"}
    for r in rows:
        rate = f"{r.rate:.0%}" if r.rate is not None else "—"
        style = "bold" if r.category is None else ""
        who = groups[r.group] if r.group else "合计"
        label = r.category.zh if r.category else ("小计" if r.group else "合计")
        kind = "月探访率" if r.rate_kind is Frequency.MONTHLY else "季度探访率"
        table.add_row(
            r.village,
            kind,
            who,
            label,
            str(r.required),
            str(r.contacted),
            rate,
            str(r.late),
            style=style,
        )
    Console().print(table)


@report_group.command("eligible")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_eligible(obj: Context, as_json: bool) -> None:
    """政策找人：看起来符合某类别却未标记的人（以及已不符合的标记）。"""
    with profile_store(obj) as store:
        hints = reports.eligible(store, obj.clock.today())
        names = {v.id: v.name for v in store.all(Village)}
    if as_json:
        data = [
            {
                "person_id": h.person.id,
                "name": h.person.name,
                "id_number": h.person.masked_id,
                "village": names.get(h.person.village_code),
                "category": h.category.value,
                "action": "remove" if h.remove else "add",
                "reason": h.reason,
            }
            for h in hints
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table("村(社区)", "姓名", "身份证号", "建议", "类别", "依据", title="政策找人")
    table.columns[-1].overflow = "fold"
    for h in hints:
        action = "去掉" if h.remove else "增加"
        table.add_row(
            names.get(h.person.village_code, ""),
            h.person.name,
            h.person.masked_id,
            action,
            h.category.zh,
            h.reason,
        )
    Console().print(table)
    Console().print(f"共 {len(hints)} 条")
