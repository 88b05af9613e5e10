"""`civtui server report ...` and `civtui server export ...`: the township's view of its villages.

The rules are the laptops' (civtui.services.reports, civtui.excel): the server's records for
the township are pulled into a temporary profile database as a laptop covering every village
would hold them (sync.township), and the laptop's own reports and ledgers run on it.
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
from rich.text import Text

# `civtui server bundle ...` lives with the laptop's `civtui bundle ...`; importing it adds it.
from civtui.cli import bundle as _bundle  # noqa: F401
from civtui.cli.common import Context, coverage_table, echo, fail, output_folder_exists, shown
from civtui.cli.excel import MONTH_HELP, OUTPUT_HELP, export_bar, parse_month
from civtui.domain.choices import Category, Frequency
from civtui.domain.models import Village
from civtui.domain.policy import Group, Tally
from civtui.excel.export import Ledger, export_ledger
from civtui.services import reports
from civtui.services.reports import CoverageRow
from db import Store, open_store, queries, standings
from db.queries import PersonRow
from db.standings import Standings
from sync.server.cli import database, server_group

#: The township's rows carry this in place of a village code.
TOWNSHIP_CODE = "*"


@contextmanager
def township_store(
    obj: Context, url: str | None, township: str | None, village: str | None = None
) -> Iterator[Store]:
    """A temporary store holding the server's records of `township` (every village if None),
    or of its one village `village`."""
    from sync import township as pulled
    from sync.server import township as on_server
    from sync.server.cli import _engine

    engine = _engine(url)
    found = on_server.villages(engine)
    chosen = {v.code for v in found if township is None or v.township == township}
    if not found:
        fail(obj.t("township.none"))
    if not chosen:
        fail(obj.t("township.unknown", township=township))
    if village is not None:
        if village not in chosen:
            known = obj.t("list.sep").join(
                obj.t("village.code_name", code=v.code, name=v.name)
                for v in found
                if v.code in chosen
            )
            fail(obj.t("township.village_unknown", code=village, known=known), 2)
        chosen = {village}
    # A folder only this user can read (mkdtemp is 0700), removed with all it holds.
    with tempfile.TemporaryDirectory(prefix="civtui-township-") as folder:
        store = open_store(Path(folder) / "township.db", obj.clock)
        try:
            pulled.load(engine, store, chosen)
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
village_option = click.option(
    "--village", metavar="CODE", help="只看这个村(社区)（12位代码）；默认所选乡镇的全部村(社区)。"
)
month_option = click.option("--month", help=MONTH_HELP)


@server_group.group("report")
def report_group() -> None:
    """乡镇视角：各村(社区)的覆盖率与逾期，规则与各村电脑相同。"""


def _townships(store: Store) -> dict[str, str]:
    """Each village's township, as its record on the server names it ("" if none)."""
    return {v.id: v.township for v in store.all(Village)}


def _title_of(obj: Context, township: str | None, townships: set[str]) -> str:
    """What a report covers: the township asked for, the one township its villages are
    in, or every township (全部乡镇) — never 全乡镇 over villages of several townships."""
    if township is not None:
        return township
    if len(townships) == 1 and "" not in townships:
        return next(iter(townships))
    return obj.t("township.all")


@report_group.command("coverage")
@database
@month_option
@township_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_coverage(
    obj: Context, url: str | None, month: str | None, township: str | None, as_json: bool
) -> None:
    """每个村(社区)、每个类别的探访覆盖率，各乡镇小计，及合计。"""
    when = parse_month(month, obj)
    with township_store(obj, url, township) as store:
        rows = reports.coverage(store, when, obj.clock.today())
        of = _townships(store)
    t = obj.t
    title_of = _title_of(obj, township, {of.get(r.village_code, "") for r in rows})
    total = township_total(rows, title_of)
    # Villages of several townships: each township's villages, then its subtotal.
    groups: dict[str, list[CoverageRow]] = {}
    for r in rows:
        groups.setdefault(of.get(r.village_code, ""), []).append(r)
    names = {name: name or t("township.unnamed") for name in groups}
    subtotals = {name: township_total(group, names[name]) for name, group in groups.items()}
    if as_json:
        data = {
            "month": f"{when:%Y-%m}",
            "township": township,
            "covers": title_of,
            "rows": [r.as_json() for r in rows],
            "townships": [
                {"township": name, "total": [r.as_json() for r in subtotals[name]]}
                for name in sorted(groups)
            ],
            "total": [r.as_json() for r in total],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    keys = ("village", "rate_kind", "group", "category", "required", "contacted", "rate")
    title = t("township.coverage.title", township=title_of, month=when)
    table = Table(*[t(f"cli.col.{k}") for k in keys], t("dash.late"), title=shown(title))
    several = len(groups) > 1
    shown_rows: list[CoverageRow] = []
    for name in sorted(groups):
        shown_rows += groups[name] + (subtotals[name] if several else [])
    lines: list[tuple[list[Text], str]] = []
    for r in [*shown_rows, *total]:
        rate = f"{r.rate:.0%}" if r.rate is not None else "—"
        style = "bold" if r.category is None else ""
        who = t(f"group.{r.group}") if r.group else t("cli.total")
        subtotal = t("group.subtotal") if r.group else t("cli.total")
        label = r.category.label(obj.lang) if r.category else subtotal
        kind = t("rate.monthly" if r.rate_kind is Frequency.MONTHLY else "rate.quarterly")
        cells = [r.village, kind, who, label, r.required, r.contacted, rate, r.late]
        lines.append(([shown(cell) for cell in cells], style))
    console = Console()
    console.print(coverage_table(table, lines, console.width))


@report_group.command("overdue")
@database
@month_option
@township_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
@click.pass_obj
def report_overdue(
    obj: Context, url: str | None, month: str | None, township: str | None, as_json: bool
) -> None:
    """每个村(社区)本月应访、已访和逾期未访（上一周期也未访）的人数，及逾期者名单。"""
    when = parse_month(month, obj)
    today = obj.clock.today()
    with township_store(obj, url, township) as store:
        standing = reports.month_standings(store, when, today)
        names = {code: name for code, name in _names(store).items() if code in standing}
        of = _townships(store)
        people = {p.id: p for p in queries.person_rows(store, today)}
        late = {
            code: [
                item
                for item in standings.work_list(store, s, village_code=code)
                if item.overdue and item.person_id in people
            ]
            for code, s in standing.items()
        }
    rows = [
        {
            "village_code": code,
            "village": names.get(code, code),
            "township": of.get(code, ""),
            "required": monthly.required,
            "contacted": monthly.contacted,
            "overdue": s.overdue_count,
            # Masked: the report leaves the server's database on a screen or in a file.
            "people": [
                {
                    "name": people[item.person_id].name,
                    "id_number": people[item.person_id].masked_id,
                    "categories": [c.value for c in _categories(people[item.person_id])],
                    "last_contact": item.last_contact.isoformat() if item.last_contact else None,
                }
                for item in late[code]
            ],
        }
        for code, s in standing.items()
        for monthly in [_monthly_total(s)]
    ]
    rows.sort(key=lambda r: (-int(str(r["overdue"])), str(r["village_code"])))
    title_of = _title_of(obj, township, {str(r["township"]) for r in rows})
    if as_json:
        data = {"month": f"{when:%Y-%m}", "township": township, "covers": title_of, "rows": rows}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    t = obj.t
    console = Console()
    several = len({r["township"] for r in rows}) > 1
    heads = [t(f"cli.col.{k}") for k in ("village", "required", "contacted")]
    title = t("township.overdue.title", township=title_of, month=when)
    table = Table(
        *([t("township.col.township")] if several else []),
        *heads,
        t("township.col.overdue"),
        title=shown(title),
    )
    for r in rows:
        cells = (r["village"], r["required"], r["contacted"], r["overdue"])
        place = [r["township"] or t("township.unnamed")] if several else []
        table.add_row(*(shown(cell) for cell in [*place, *cells]))
    console.print(table)
    # Who, village by village: the names a township phones about.
    for r in rows:
        listed = r["people"]
        assert isinstance(listed, list)
        if not listed:
            continue
        keys = ("name", "id", "category")
        who = Table(
            *[t(f"cli.col.{k}") for k in keys],
            t("township.col.last_contact"),
            title=shown(t("township.overdue.people", village=r["village"], n=len(listed))),
            title_justify="left",
        )
        for person in listed:
            cats = t("list.sep").join(Category(c).label(obj.lang) for c in person["categories"])
            last = person["last_contact"] or t("township.never")
            who.add_row(*(shown(c) for c in (person["name"], person["id_number"], cats, last)))
        console.print(who)


def _categories(row: PersonRow) -> list[Category]:
    order = list(Category)
    return sorted(row.categories, key=order.index)


def _monthly_total(s: Standings) -> Tally:
    """The village's 月探访率 合计 (nobody due: an empty tally)."""
    report = s.rate(Frequency.MONTHLY)
    return report.total if report is not None else Tally()


def _names(store: Store) -> dict[str, str]:
    return queries.village_names(store)


@server_group.group("export")
def export_group() -> None:
    """全乡镇的台账（与各村电脑导出的格式相同）。"""


def _export(
    obj: Context, url: str | None, township: str | None, ledger: Ledger, output: Path,
    month: dt.date, village: str | None = None,
) -> None:  # fmt: skip
    output_folder_exists(output)
    with township_store(obj, url, township, village) as store:
        try:
            # A township's month is tens of thousands of rows: a bar, as `civtui export`.
            with export_bar(obj.t("cli.writing")) as tick:
                rows = export_ledger(
                    store, ledger, output, month=month, today=obj.clock.today(), progress=tick
                )
        except (ValueError, OSError) as exc:
            fail(str(exc), 2)
    echo(obj.t("cli.exported", n=rows, path=output))


def _ledger_command(ledger: Ledger, help_text: str) -> None:
    @export_group.command(ledger.value, help=help_text)
    @database
    @month_option
    @township_option
    @village_option
    @click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help=OUTPUT_HELP[ledger.value],
    )
    @click.pass_obj
    def command(
        obj: Context,
        url: str | None,
        month: str | None,
        township: str | None,
        village: str | None,
        output: Path,
    ) -> None:
        _export(obj, url, township, ledger, output, parse_month(month, obj), village)


_ledger_command(Ledger.VISITS, "全乡镇探访台账、各类别覆盖率、待访名单。")
_ledger_command(Ledger.CHILD_CHECKS, "全乡镇儿童随访台账。")
_ledger_command(Ledger.NEEDS, "全乡镇老人需求台账。")
