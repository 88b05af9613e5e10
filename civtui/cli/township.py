"""`civtui server report ...` and `civtui server export ...`: the township's view of its villages.

The rules are the laptops' (civtui.services.reports, civtui.excel): the server's records for
the township are pulled into a temporary profile database as a laptop covering every village
would hold them (sync.server.township), and the laptop's own reports and ledgers run on it.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

# `civtui server bundle ...` lives with the laptop's `civtui bundle ...`; importing it adds it.
from civtui.cli import bundle as _bundle  # noqa: F401
from civtui.cli.common import Context, echo, fail, shown
from civtui.cli.excel import parse_month
from civtui.domain.choices import Category, Frequency
from civtui.domain.policy import Group, Tally
from civtui.excel.export import Ledger, export_ledger
from civtui.services import reports
from civtui.services.reports import CoverageRow
from db import Store, open_store
from db.standings import Standings
from sync.server.cli import database, server_group

#: The township's rows carry this in place of a village code.
TOWNSHIP_CODE = "*"


@contextmanager
def township_store(obj: Context, url: str | None, township: str | None) -> Iterator[Store]:
    """A temporary store holding the server's records of `township` (every village if None)."""
    from sync.server import township as on_server
    from sync.server.cli import _engine

    engine = _engine(url)
    found = on_server.villages(engine)
    chosen = {v.code for v in found if township is None or v.township == township}
    if not found:
        fail(obj.t("township.none"))
    if not chosen:
        fail(obj.t("township.unknown", township=township))
    # A folder only this user can read (mkdtemp is 0700), removed with all it holds.
    with tempfile.TemporaryDirectory(prefix="civtui-township-") as folder:
        store = open_store(Path(folder) / "township.db", obj.clock)
        try:
            on_server.load(engine, store, chosen)
            yield store
        finally:
            store.close()
    engine.dispose()


def township_total(rows: list[CoverageRow], label: str) -> list[CoverageRow]:
    """The villages' rows added up, line by line (rate, group, category), as a village's."""
    summed: dict[tuple[Frequency, Group | None, Category | None], list[int]] = {}
    for r in rows:
        tally = summed.setdefault((r.rate_kind, r.group, r.category), [0, 0, 0])
        tally[0] += r.required
        tally[1] += r.contacted
        tally[2] += r.late
    return [
        CoverageRow(TOWNSHIP_CODE, label, kind, group, category, required, contacted, late)
        for (kind, group, category), (required, contacted, late) in summed.items()
    ]


township_option = click.option(
    "--township", help="只看这个乡镇(街道)的村(社区)（按村记录中的乡镇名）；默认全部。"
)
month_option = click.option("--month", help="年月，如 2026-11（默认本月）。")


@server_group.group("report")
def report_group() -> None:
    """乡镇视角：各村(社区)的覆盖率与逾期，规则与各村电脑相同。"""


@report_group.command("coverage")
@database
@month_option
@township_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_coverage(
    obj: Context, url: str | None, month: str | None, township: str | None, as_json: bool
) -> None:
    """每个村(社区)、每个类别的探访覆盖率，及全乡镇合计。"""
    when = parse_month(month, obj)
    with township_store(obj, url, township) as store:
        rows = reports.coverage(store, when, obj.clock.today())
    t = obj.t
    total = township_total(rows, township or t("township.all"))
    if as_json:
        data = {
            "month": f"{when:%Y-%m}",
            "township": township,
            "rows": [r.as_json() for r in rows],
            "total": [r.as_json() for r in total],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    keys = ("village", "rate_kind", "group", "category", "required", "contacted", "rate")
    title = t("township.coverage.title", township=township or t("township.all"), month=when)
    table = Table(*[t(f"cli.col.{k}") for k in keys], t("dash.late"), title=shown(title))
    for r in [*rows, *total]:
        rate = f"{r.rate:.0%}" if r.rate is not None else "—"
        style = "bold" if r.category is None else ""
        who = t(f"group.{r.group}") if r.group else t("cli.total")
        subtotal = t("group.subtotal") if r.group else t("cli.total")
        label = r.category.label(obj.lang) if r.category else subtotal
        kind = t("rate.monthly" if r.rate_kind is Frequency.MONTHLY else "rate.quarterly")
        cells = [r.village, kind, who, label, r.required, r.contacted, rate, r.late]
        table.add_row(*(shown(cell) for cell in cells), style=style)
    Console().print(table)


@report_group.command("overdue")
@database
@month_option
@township_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_overdue(
    obj: Context, url: str | None, month: str | None, township: str | None, as_json: bool
) -> None:
    """每个村(社区)本月应访、已访和逾期未访（上一周期也未访）的人数：哪个村落后了。"""
    when = parse_month(month, obj)
    with township_store(obj, url, township) as store:
        standing = reports.month_standings(store, when, obj.clock.today())
        names = {code: name for code, name in _names(store).items() if code in standing}
    rows = [
        {
            "village_code": code,
            "village": names.get(code, code),
            "required": monthly.required,
            "contacted": monthly.contacted,
            "overdue": s.overdue_count,
        }
        for code, s in standing.items()
        for monthly in [_monthly_total(s)]
    ]
    rows.sort(key=lambda r: (-int(str(r["overdue"])), str(r["village_code"])))
    if as_json:
        data = {"month": f"{when:%Y-%m}", "township": township, "rows": rows}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    t = obj.t
    heads = [t(f"cli.col.{k}") for k in ("village", "required", "contacted")]
    title = t("township.overdue.title", township=township or t("township.all"), month=when)
    table = Table(*heads, t("township.col.overdue"), title=shown(title))
    for r in rows:
        cells = (r["village"], r["required"], r["contacted"], r["overdue"])
        table.add_row(*(shown(cell) for cell in cells))
    Console().print(table)


def _monthly_total(s: Standings) -> Tally:
    """The village's 月探访率 合计 (nobody due: an empty tally)."""
    report = s.rate(Frequency.MONTHLY)
    return report.total if report is not None else Tally()


def _names(store: Store) -> dict[str, str]:
    from db import queries

    return queries.village_names(store)


@server_group.group("export")
def export_group() -> None:
    """全乡镇的台账（与各村电脑导出的格式相同）。"""


def _export(
    obj: Context, url: str | None, township: str | None, ledger: Ledger, output: Path,
    month: dt.date,
) -> None:  # fmt: skip
    with township_store(obj, url, township) as store:
        try:
            rows = export_ledger(store, ledger, output, month=month, today=obj.clock.today())
        except (ValueError, OSError) as exc:
            fail(str(exc), 2)
    echo(obj.t("cli.exported", n=rows, path=output))


def _ledger_command(ledger: Ledger, help_text: str) -> None:
    @export_group.command(ledger.value, help=help_text)
    @database
    @month_option
    @township_option
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
    @click.pass_obj
    def command(
        obj: Context, url: str | None, month: str | None, township: str | None, output: Path
    ) -> None:
        _export(obj, url, township, ledger, output, parse_month(month, obj))


_ledger_command(Ledger.VISITS, "全乡镇探访台账、各类别覆盖率、待访名单。")
_ledger_command(Ledger.CHILD_CHECKS, "全乡镇儿童随访台账。")
_ledger_command(Ledger.NEEDS, "全乡镇老人需求台账。")
