"""`civtui import`, `civtui export` and `civtui report`: Excel and CSV in and out."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from civtui.cli.common import (
    Context,
    coverage_table,
    echo,
    fail,
    output_folder_exists,
    profile_store,
    shown,
)
from civtui.domain import dates
from civtui.domain.choices import Frequency, NeedStatus
from civtui.domain.errors import text
from civtui.domain.models import Village
from civtui.domain.policy import add_months
from civtui.i18n import Translator
from civtui.services import reports
from db import standings

if TYPE_CHECKING:
    from civtui.excel import importer

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


@contextmanager
def export_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for an export: it pulses while the ledger's rows are read
    (their number is not known yet), then fills as they are written (`ledgers.write`)."""
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def parse_month(text: str | None, context: Context) -> dt.date:
    if not text:
        return context.clock.today().replace(day=1)
    month = dates.parse_month(text)
    if month is None:
        fail(context.t("cli.bad_month", value=text), 2)
    earliest = add_months(context.clock.today(), -standings.REACH_MONTHS)
    if month < earliest:
        fail(context.t("cli.early_month", value=text, earliest=f"{earliest:%Y-%m}"), 2)
    return month


# -- import -------------------------------------------------------------------


@click.group("import")
def import_group() -> None:
    """从 Excel/CSV 导入服务对象名册。"""


@import_group.command("template")
@click.argument("kind", type=click.Choice(["persons"]))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="生成的 .xlsx 文件（默认：当前文件夹下的“服务对象名册模板.xlsx”）。",
)
@click.pass_obj
def template(obj: Context, kind: str, output: Path | None) -> None:
    """生成带中文表头、填写说明和下拉选项的空白名册模板。"""
    if output is None:
        # The template is a Chinese form whatever the interface language; so is its name.
        output = Path("服务对象名册模板.xlsx")
        if output.exists():
            fail(obj.t("cli.template_exists", path=output.resolve()), 2)
    if output.suffix.lower() != ".xlsx":
        fail(obj.t("cli.template_xlsx"), 2)
    output_folder_exists(output)
    from civtui.excel import importer

    with profile_store(obj) as store:
        importer.write_template(output, store.all(Village))
    echo(obj.t("cli.template_done", path=output))


#: How many already-registered rows an import lists one by one (`--json` lists all).
SKIPPED_LISTED = 20


#: How many warnings of one kind an import lists one by one (`--json` lists all). A roster
#: whose every row has a note starting with `=` warns 10,000 times the same way; laying
#: out that table took most of the import's time, and nobody reads it to the end.
WARNINGS_LISTED = 20


def _first_of_each(
    problems: list[importer.RowProblem], limit: int
) -> tuple[list[importer.RowProblem], int]:
    """The first `limit` problems of each code, in file order, and how many were left out."""
    seen: dict[str, int] = {}
    listed = []
    for p in problems:
        seen[p.code] = seen.get(p.code, 0) + 1
        if seen[p.code] <= limit:
            listed.append(p)
    return listed, len(problems) - len(listed)


def _problem_table(title: str, problems: list[importer.RowProblem], lang: str) -> Table:
    t = Translator(lang)
    heads = [t(f"cli.col.{k}") for k in ("row", "column", "value", "problem", "fix")]
    table = Table(*heads, title=shown(title), title_justify="left")
    for column in table.columns[2:]:
        column.overflow = "fold"
    for p in problems:
        problem, fix = p.describe(lang)
        cells = (p.row, p.column_in(lang), p.value, problem, fix)
        table.add_row(*(shown(cell) for cell in cells))
    return table


@import_group.command("persons")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入。")
@click.option("--skip-invalid", is_flag=True, help="导入正确的行；错误行另存到输入文件旁。")
@click.option("--update-existing", is_flag=True, help="身份证号已登记的，用表中内容更新。")
@click.option(
    "--sheet",
    metavar="NAME",
    help="读取这个工作表（隐藏的也可以）；默认读取第一个像名册的可见工作表。",
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.pass_obj
def import_persons(
    obj: Context,
    file: Path,
    dry_run: bool,
    skip_invalid: bool,
    update_existing: bool,
    sheet: str | None,
    as_json: bool,
) -> None:
    """导入服务对象（.xlsx，或 UTF-8 / GBK 编码的 .csv）。有错误行时默认一行也不导入。"""
    # Imported here, not with the module: `civtui report` and `status` share this module
    # and would otherwise load openpyxl (~0.2 s of CPU, more on a busy laptop) for nothing.
    from civtui.excel import importer

    console = Console(stderr=as_json, soft_wrap=True)
    t, lang = obj.t, obj.lang
    try:
        table = importer.read_table(file, sheet=sheet)
    except importer.ImportFileError as exc:
        fail(exc.text(lang), 2)
    with profile_store(obj) as store:
        try:
            with progress_bar(t("cli.checking"), len(table.rows)) as tick:
                plan = importer.plan_import(
                    store, table, obj.clock.today(), update_existing=update_existing, progress=tick
                )
        except importer.ImportFileError as exc:
            fail(exc.text(lang), 2)
        rejects: Path | None = None
        blocked = bool(plan.problems) and not skip_invalid
        written = 0
        if plan.problems:
            key = "cli.dry_bad_rows" if dry_run else "cli.bad_rows"
            console.print(_problem_table(t(key, n=len(plan.bad_rows)), plan.problems, lang))
        if plan.notes:
            console.print(_problem_table(t("cli.sheet_notes"), plan.notes, lang))
        if plan.warnings:
            listed, more = _first_of_each(plan.warnings, WARNINGS_LISTED)
            console.print(_problem_table(t("cli.warnings"), listed, lang))
            if more:
                console.print(shown(t("import.warnings_more", n=more, each=WARNINGS_LISTED)))
        if plan.skipped:
            # Rows already registered are listed while a person can read them; a re-import
            # of a whole roster says how many and where the full list is (printing 10,000
            # rows was three quarters of the re-import's time).
            listed = plan.skipped[:SKIPPED_LISTED]
            console.print(_problem_table(t("cli.skipped"), listed, lang))
            if len(plan.skipped) > len(listed):
                more = len(plan.skipped) - len(listed)
                console.print(shown(t("cli.skipped_more", n=more)))
        if not dry_run and not blocked:
            with progress_bar(t("cli.writing"), len(plan.new) + len(plan.updates)) as tick:
                written = importer.apply(store, plan, progress=tick)
            if plan.problems:
                rejects = importer.write_rejects(file, table, plan, lang)
    if as_json:
        # Every row said in words, built only when asked for: a re-import of a roster
        # describes each of its 10,000 skipped rows.
        summary = {
            "sheet": table.sheet,
            "header_row": table.header_row,
            "group_row": table.group_row,
            "rows": len(table.rows),
            "new": len(plan.new),
            "updated": len(plan.updates),
            "skipped_existing": len(plan.skipped),
            "invalid_rows": len(plan.bad_rows),
            "likely_duplicates": sum(w.code == "likely_duplicate" for w in plan.warnings),
            "written": written,
            "rejects_file": str(rejects) if rejects else None,
            "dry_run": dry_run,
            "problems": [p.as_json(lang) for p in plan.problems],
            "warnings": [p.as_json(lang) for p in plan.warnings],
            "skipped": [p.as_json(lang) for p in plan.skipped],
            "notes": [p.as_json(lang) for p in plan.notes],
        }
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    if blocked and not dry_run:
        fail(t("cli.blocked", n=len(plan.bad_rows)))
    if blocked:
        # A dry run that found errors is not an error itself: it did what it was asked.
        # It says so in its own words and exits 1 so that scripts can still tell.
        console.print(shown(t("cli.dry_blocked", n=len(plan.bad_rows)), style="yellow"))
        sys.exit(1)
    if not as_json:
        counts = {
            "rows": len(table.rows),
            "new": len(plan.new),
            "updated": len(plan.updates),
            "skipped": len(plan.skipped),
            "bad": len(plan.bad_rows),
        }
        key = "cli.dry_ok" if dry_run else "cli.imported"
        console.print(shown(t(key, **counts), lines=True))
        if rejects:
            console.print(shown(t("cli.rejects_saved", path=rejects), lines=True))


# -- export -------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """导出可打印的月度台账（.xlsx 或 .csv）。"""


#: Each export's `-o`, naming the sheets its workbook holds (`civtui.excel.ledgers`).
OUTPUT_HELP = {
    "visits": ".xlsx（含探访台账、探访覆盖率、待访名单）或 .csv（仅探访台账）。",
    "child-checks": ".xlsx（含儿童随访台账、覆盖率、待随访名单）或 .csv（仅儿童随访台账）。",
    "needs": ".xlsx（含老人需求台账、办理记录）或 .csv（仅老人需求台账）。",
}
#: Every `--month`: the forms `dates.parse_month` reads.
MONTH_HELP = "年月，如 2026-11 或 2026年11月（默认本月）。"


def _output_option(kind: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return partial(_with_output, OUTPUT_HELP[kind])


def _with_output(output_help: str, func: Callable[..., None]) -> Callable[..., None]:
    only = click.option(
        "--village",
        metavar="CODE",
        help="只导出这个村(社区)（12位代码）；默认本档案的全部村(社区)。",
    )
    full = click.option(
        "--full-ids",
        is_flag=True,
        help="写出完整身份证号（默认只显示前6位和后4位）；文件不加密，请妥善保管。",
    )
    return only(
        full(
            click.option(
                "-o",
                "--output",
                type=click.Path(dir_okay=False, path_type=Path),
                required=True,
                help=output_help,
            )(func)
        )
    )


def _export(
    obj: Context,
    kind: str,
    output: Path,
    month: dt.date,
    statuses: set[NeedStatus] | None = None,
    *,
    full_ids: bool = False,
    village: str | None = None,
) -> None:
    from civtui.excel.export import Ledger, export  # openpyxl: see import_persons

    ledger = Ledger(kind)
    output_folder_exists(output)
    with profile_store(obj, personal=True) as store:
        if village is not None:
            known = {v.id: v.name for v in store.all(Village)}
            if village not in known:
                choices = obj.t("list.sep").join(
                    obj.t("village.code_name", code=code, name=name)
                    for code, name in sorted(known.items())
                )
                fail(obj.t("cli.village_unknown", code=village, known=choices), 2)
        try:
            # A month of a township's visits is tens of thousands of rows: seconds to minutes.
            with export_bar(obj.t("cli.writing")) as tick:
                rows = export(
                    store,
                    ledger,
                    output,
                    month=month,
                    today=obj.clock.today(),
                    statuses=statuses,
                    full_ids=full_ids,
                    village=village,
                    progress=tick,
                )
        except (ValueError, OSError) as exc:
            fail(text(exc, obj.lang), 2)
    echo(obj.t("cli.exported", n=rows, path=output))
    echo(obj.t("export.leaves_store"))


@export_group.command("visits")
@click.option("--month", help=MONTH_HELP)
@_output_option("visits")
@click.pass_obj
def export_visits(
    obj: Context, month: str | None, output: Path, full_ids: bool, village: str | None
) -> None:
    """探访台账、各类别覆盖率、待访名单。"""
    when = parse_month(month, obj)
    _export(obj, "visits", output, when, full_ids=full_ids, village=village)


@export_group.command("child-checks")
@click.option("--month", help=MONTH_HELP)
@_output_option("child-checks")
@click.pass_obj
def export_child_checks(
    obj: Context, month: str | None, output: Path, full_ids: bool, village: str | None
) -> None:
    """儿童随访台账、儿童类别覆盖率、待随访名单。"""
    when = parse_month(month, obj)
    _export(obj, "child-checks", output, when, full_ids=full_ids, village=village)


@export_group.command("needs")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([s.value for s in NeedStatus] + [s.zh for s in NeedStatus]),
    help="只导出这些状态（可多次给出）。",
)
@_output_option("needs")
@click.pass_obj
def export_needs(
    obj: Context, statuses: tuple[str, ...], output: Path, full_ids: bool, village: str | None
) -> None:
    """老人需求台账及办理记录。"""
    wanted = {NeedStatus(s) for s in statuses} or None
    today = obj.clock.today()
    _export(obj, "needs", output, today, wanted, full_ids=full_ids, village=village)


# -- report -------------------------------------------------------------------


@click.group("report")
def report_group() -> None:
    """覆盖率与政策找人报告。"""


@report_group.command("coverage")
@click.option("--month", help=MONTH_HELP)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_coverage(obj: Context, month: str | None, as_json: bool) -> None:
    """各村(社区)、各类别的探访覆盖率。"""
    when = parse_month(month, obj)
    with profile_store(obj, personal=True) as store:
        # A month that has ended is closed first: its figures are kept as its 月报.
        reports.close_past_months(store, obj.clock.today())
        rows = reports.coverage(store, when, obj.clock.today())
    if as_json:
        data = [r.as_json() for r in rows]
        click.echo(
            json.dumps({"month": f"{when:%Y-%m}", "rows": data}, ensure_ascii=False, indent=2)
        )
        return
    t = obj.t
    keys = ("village", "rate_kind", "group", "category", "required", "contacted", "rate")
    month = t("cli.month", year=when.year, month=when.month)
    table = Table(
        *[t(f"cli.col.{k}") for k in keys],
        t("dash.late"),
        t("report.now"),
        title=shown(t("cli.coverage_title", month=month)),
    )
    lines: list[tuple[list[Text], str]] = []
    for r in rows:
        rate = f"{r.rate:.0%}" if r.rate is not None else "—"
        style = "bold" if r.category is None else ""
        who = t(f"group.{r.group}") if r.group else t("cli.total")
        subtotal = t("group.subtotal") if r.group else t("cli.total")
        label = r.category.label(obj.lang) if r.category else subtotal
        kind = t("rate.monthly" if r.rate_kind is Frequency.MONTHLY else "rate.quarterly")
        # A closed month: its report first, today's figure last where they differ; a row
        # only today's records have is marked, with no report figures of its own.
        shown_now = r.now is not None and (r.changed_since or r.only_now)
        now = f"{r.now[1]}/{r.now[0]}" if r.now and shown_now else ""
        figures: tuple[object, ...] = (r.required, r.contacted, rate)
        if r.only_now:
            label, figures = t("report.only_now", what=label), ("", "", "")
        cells = (r.village, kind, who, label, *figures, r.late, now)
        lines.append(([shown(cell) for cell in cells], style))
    console = Console()
    console.print(coverage_table(table, lines, console.width))


@report_group.command("eligible")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_eligible(obj: Context, as_json: bool) -> None:
    """政策找人：看起来符合某类别却未标记的人（以及已不符合的标记）。"""
    with profile_store(obj, personal=True) as store:
        names = {v.id: v.name for v in store.all(Village)}
        # By village, as the offices divide the work; the report's own order within one.
        order = {code: n for n, code in enumerate(sorted(names, key=lambda c: (names[c], c)))}
        hints = sorted(
            reports.eligible(store, obj.clock.today()),
            key=lambda h: order.get(h.person.village_code, len(order)),
        )
    if as_json:
        data = [
            {
                "person_id": h.person.id,
                "name": h.person.name,
                "id_number": h.person.masked_id,
                "village": names.get(h.person.village_code),
                "category": h.category.value,
                "action": "remove" if h.remove else "add",
                "reason": h.reason.in_(obj.lang),
            }
            for h in hints
        ]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    t = obj.t
    keys = ("village", "name", "id", "action", "category", "reason")
    table = Table(*[t(f"cli.col.{k}") for k in keys], title=shown(t("cli.eligible_title")))
    table.columns[-1].overflow = "fold"
    for h in hints:
        cells = (
            names.get(h.person.village_code, ""),
            h.person.name,
            h.person.masked_id,
            t("cli.remove" if h.remove else "cli.add"),
            h.category.label(obj.lang),
            h.reason.in_(obj.lang),
        )
        table.add_row(*(shown(cell) for cell in cells))
    Console().print(table)
    Console().print(shown(t("cli.count", n=len(hints))))
