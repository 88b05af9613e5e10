"""Exported ledgers opened with openpyxl and checked against the database."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import keyring
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from civtui.cli import main
from civtui.services import keys
from db import Store
from db.connection import raw_connect
from tests.conftest import TODAY, MemoryKeyring, run_cli

MONTH = TODAY.strftime("%Y-%m")


run = run_cli


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[tuple[str, str], str]]:
    """A data folder holding the 150-person demo profile, and its keyring's entries.

    Made once per module: the tests read the same demo (`--seed 2` makes the same people
    every time), which cost about a second of CPU to generate for each; each gets a copy.
    """
    folder = tmp_path_factory.mktemp("demo") / "home"
    memory, before = MemoryKeyring(), keyring.get_keyring()
    keyring.set_keyring(memory)
    keys.forget()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CIVTUI_HOME", str(folder))
            for name in ("CIVTUI_PROFILE", "CIVTUI_TODAY", "CIVTUI_SERVER", "CIVTUI_TOKEN"):
                patch.delenv(name, raising=False)
            assert run("demo", "--persons", "150", "--seed", "2").exit_code == 0
    finally:
        keys.forget()
        keyring.set_keyring(before)
    return folder, dict(memory.items)


@pytest.fixture
def db(home: Path, vault: MemoryKeyring, demo_home: tuple[Path, dict[tuple[str, str], str]]) -> Any:
    folder, entries = demo_home
    shutil.copytree(folder, home)
    vault.items.update(entries)
    path = json.loads(run("status", "--json").stdout)["path"]
    return raw_connect(Path(path), keys.key_for(Path(path)))


def header(ws: Worksheet) -> list[Any]:
    """The header row: under the title row the sheet prints first."""
    return [c.value for c in ws[2]]


def body(ws: Worksheet) -> list[tuple[Any, ...]]:
    """The table's rows: between the header and the sign-off line."""
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    return [r for r in rows if not str(r[0]).startswith("填表人")]


def child_book(folder: Path) -> Path:
    out = folder / "children.xlsx"
    assert run("export", "child-checks", "-o", str(out)).exit_code == 0
    return out


def all_text(path: Path) -> str:
    book = load_workbook(path)
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )


def test_visit_ledger_matches_the_database(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "探访台账.xlsx"
    result = run("export", "visits", "--month", MONTH, "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["探访台账", "覆盖率", "待访名单"]
    ledger = book["探访台账"]
    assert str(ledger["A1"].value).endswith(f"{TODAY:%Y年%m月}探访台账")
    assert "海星村" in str(ledger["A1"].value)
    heads = header(ledger)
    assert heads[:6] == ["序号", "村(社区)", "姓名", "性别", "年龄", "身份证号"]
    assert {"住址", "联系电话", "存在问题", "处理情况"} <= set(heads)
    assert heads[-2:] == ["探访人签字", "对象（家属）签字"]
    expected = db.execute(
        "SELECT count(*) FROM visits WHERE deleted = 0 AND visit_date LIKE ?", [f"{MONTH}-%"]
    ).fetchone()[0]
    rows = body(ledger)
    assert len(rows) == expected > 0
    assert [r[0] for r in rows] == list(range(1, expected + 1))
    day = heads.index("探访日期")
    assert all(str(r[day]).startswith(MONTH) for r in rows)
    last = list(ledger.iter_rows(values_only=True))[-1]
    assert "填表人" in str(last[0]) and "审核人" in str(last[0]) and "填表日期" in str(last[0])
    # Printable: frozen header, A4 landscape, fitted to the page width, wrapped text in a
    # CJK font with rows tall enough for it.
    assert ledger.freeze_panes == "A3"
    assert ledger.page_setup.orientation == "landscape"
    assert str(ledger.page_setup.paperSize) == str(ledger.PAPERSIZE_A4)
    fit = ledger.sheet_properties.pageSetUpPr
    # fitToWidth left out is 1 (its default in the standard, ECMA-376 CT_PageSetup).
    assert ledger.page_setup.fitToWidth in (None, 1) and fit is not None and fit.fitToPage
    assert ledger.page_setup.fitToHeight == 0
    notes = heads.index("探访情况") + 1
    cell = ledger.cell(row=3, column=notes)
    assert cell.alignment.wrap_text and cell.font.name == "宋体"
    # Every body cell, an empty one too (the signature columns), is boxed and centred.
    for row in ledger.iter_rows(min_row=3, max_row=2 + expected):
        for each in row:
            assert (each.font.name, each.font.size, each.font.bold) == ("宋体", 10, False)
            assert each.alignment.vertical == "center" and each.alignment.wrap_text
            sides = (each.border.left, each.border.right, each.border.top, each.border.bottom)
            assert all(side is not None and side.style == "thin" for side in sides)
    longest = max(range(3, 3 + expected), key=lambda r: len(str(ledger.cell(r, notes).value)))
    assert ledger.row_dimensions[longest].height >= 28


def test_no_full_id_number_leaves_in_an_export(db: Any, tmp_path: Path) -> None:
    numbers = [n for (n,) in db.execute("SELECT id_number FROM persons")]
    for kind in ("visits", "child-checks", "needs"):
        out = tmp_path / f"{kind}.xlsx"
        assert run("export", kind, "-o", str(out)).exit_code == 0
        text = all_text(out)
        assert not any(n in text for n in numbers), kind
        assert "********" in text


def test_coverage_and_due_sheets_agree_with_the_report(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "v.xlsx"
    assert run("export", "visits", "-o", str(out)).exit_code == 0
    book = load_workbook(out)
    report = json.loads(run("report", "coverage", "--json").stdout)
    monthly = [r for r in report["rows"] if r["category"] is None and r["rate_kind"] == "monthly"]
    totals = {r["village"]: r for r in monthly if r["group"] is None}
    adults = {r["village"]: r for r in monthly if r["group"] == "adult"}
    sheet_totals = {
        row[0]: row
        for row in book["覆盖率"].iter_rows(min_row=2, values_only=True)
        if row[1] == "月探访率" and row[2] == "合计"
    }
    for village, row in totals.items():
        assert sheet_totals[village][4:6] == (row["required"], row["contacted"])
    due_sheet = book["待访名单"]
    due = body(due_sheet)
    heads = header(due_sheet)
    adults_due = sum(r["required"] - r["contacted"] for r in adults.values())
    # Children due are listed too, marked for a child check, so no one due is missing.
    kind = [r[heads.index("应做")] for r in due]
    assert 0 < kind.count("探访") <= adults_due
    assert kind.count("儿童随访") > 0
    children = body(load_workbook(child_book(tmp_path))["待随访名单"])
    assert kind.count("儿童随访") == len(children)
    overdue = {r[heads.index("是否逾期")] for r in due}
    assert overdue == {"是", "否"}


def test_child_check_ledger_as_csv(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert run("export", "child-checks", "--month", MONTH, "-o", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[0][:3] == ["序号", "村(社区)", "姓名"]
    expected = db.execute(
        "SELECT count(*) FROM child_checks WHERE deleted = 0 AND check_date LIKE ?",
        [f"{MONTH}-%"],
    ).fetchone()[0]
    assert len(lines) - 1 == expected
    level, at, to = (lines[0].index(h) for h in ("风险等级", "强制报告时间", "报告对象"))
    high = [line for line in lines[1:] if line[level] == "高"]
    assert all(line[at] and line[to] for line in high)


def test_child_due_list_is_headed_by_the_last_check(db: Any, tmp_path: Path) -> None:
    book = load_workbook(child_book(tmp_path))
    assert book.sheetnames == ["儿童随访台账", "覆盖率", "待随访名单"]
    heads = header(book["待随访名单"])
    assert "上次随访" in heads and "上次探访" not in heads
    assert all(r[heads.index("年龄")] < 18 for r in body(book["待随访名单"]))


def test_needs_filtered_by_status(db: Any, tmp_path: Path) -> None:
    out = tmp_path / "n.xlsx"
    assert (
        run(
            "export", "needs", "--status", "待处理", "--status", "referred", "-o", str(out)
        ).exit_code
        == 0
    )
    book = load_workbook(out)
    ledger = book["老人需求台账"]
    rows = body(ledger)
    expected = db.execute(
        "SELECT count(*) FROM elder_needs WHERE status IN ('pending', 'referred')"
    ).fetchone()[0]
    status = header(ledger).index("状态")
    assert len(rows) == expected and {r[status] for r in rows} <= {"待处理", "已转介"}
    steps = body(book["办理记录"])
    assert len(steps) >= len(rows)


def test_bad_month_and_bad_file_kind_are_explained(db: Any, tmp_path: Path) -> None:
    bad_month = run("export", "visits", "--month", "11/2026", "-o", str(tmp_path / "x.xlsx"))
    assert bad_month.exit_code == 2 and "2026-03" in bad_month.output
    too_early = run("export", "visits", "--month", "2020-01", "-o", str(tmp_path / "x.xlsx"))
    assert too_early.exit_code == 2 and "2021-11 以后" in too_early.output
    bad_kind = run("export", "visits", "-o", str(tmp_path / "x.pdf"))
    assert bad_kind.exit_code == 2 and ".xlsx" in bad_kind.output


def test_village_option_exports_that_village_alone(db: Any, tmp_path: Path) -> None:
    villages = dict(db.execute("SELECT id, name FROM villages WHERE deleted = 0").fetchall())
    assert len(villages) > 1
    code, name = sorted(villages.items())[1]
    out = tmp_path / "one.xlsx"
    result = run("export", "visits", "--month", MONTH, "--village", code, "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    expected = db.execute(
        "SELECT count(*) FROM visits v JOIN persons p ON p.id = v.person_id "
        "WHERE v.deleted = 0 AND v.visit_date LIKE ? AND p.village_code = ?",
        [f"{MONTH}-%", code],
    ).fetchone()[0]
    rows = body(book["探访台账"])
    assert len(rows) == expected > 0 and {r[1] for r in rows} == {name}
    assert {r[0] for r in book["覆盖率"].iter_rows(min_row=3, values_only=True)} == {name}
    assert {r[1] for r in body(book["待访名单"])} <= {name}
    assert str(book["探访台账"]["A1"].value).startswith(f"{name}{TODAY:%Y年%m月}")
    needs = tmp_path / "needs.csv"
    assert run("export", "needs", "--village", code, "-o", str(needs)).exit_code == 0
    with needs.open(encoding="utf-8-sig") as handle:
        assert {row[1] for row in list(csv.reader(handle))[1:]} == {name}


def test_village_option_names_the_villages_it_takes(db: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "--lang",
            "en",
            "export",
            "child-checks",
            "--village",
            "=1+2",
            "-o",
            str(tmp_path / "x.xlsx"),
        ],
    )
    assert result.exit_code == 2
    assert "--village" in result.output and "'=1+2'" in result.output
    assert all(code in result.output for (code,) in db.execute("SELECT id FROM villages"))
    # An English list in English marks: "330902112201 (海星村), …", never （ or 、.
    assert not set("（）、：") & set(result.output), result.output
    assert not (tmp_path / "x.xlsx").exists()


def test_the_export_use_case_closes_ended_months_and_keeps_the_file_private(
    store: Store, tmp_path: Path
) -> None:
    """`civtui export` and the app's palette both call `export`: an ended month is closed
    (its 月报) before the ledger is written, and the file is its owner's alone."""
    from civtui.domain.models import Visit
    from civtui.excel.export import Ledger, export
    from civtui.services import reports
    from tests.conftest import make_person

    person = make_person(name="王[/]秀=英")
    store.save(person)
    store.save(Visit(person_id=person.id, visit_date=TODAY, visitor="李\\[b]"))
    next_month = (TODAY.replace(day=1) + dt.timedelta(days=40)).replace(day=3)
    assert reports.months_to_close(store, next_month) == [TODAY.replace(day=1)]

    needs = tmp_path / "needs.xlsx"
    export(store, Ledger.NEEDS, needs, month=next_month, today=next_month)
    assert reports.months_to_close(store, next_month) == [TODAY.replace(day=1)]

    visits = tmp_path / "visits.xlsx"
    rows = export(store, Ledger.VISITS, visits, month=TODAY, today=next_month)
    assert reports.months_to_close(store, next_month) == []
    assert rows == 1 and "王[/]秀=英" in all_text(visits)
    assert stat.S_IMODE(visits.stat().st_mode) == 0o600


def test_an_export_goes_on_while_another_window_holds_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing months is not worth failing an export for, as it is not worth failing a sync."""
    from civtui.excel.export import Ledger, export
    from civtui.services import reports
    from db.connection import OperationalError

    def busy(_store: Store, _today: dt.date) -> list[object]:
        raise OperationalError("database is locked")

    monkeypatch.setattr(reports, "close_past_months", busy)
    out = tmp_path / "visits.csv"
    assert export(store, Ledger.VISITS, out, month=TODAY, today=TODAY) == 0
    assert out.exists()


def test_status_and_reports_do_not_load_the_spreadsheet_libraries() -> None:
    # openpyxl is ~0.2 s of a start-up a person waits on: only imports and exports load it.
    # `report` shares its module with `import` and `export`; each group loads on first use.
    code = (
        "import sys, click\n"
        "from civtui.cli import main\n"
        "context = click.Context(main)\n"
        "for name in ('status', 'report'):\n"
        "    assert main.get_command(context, name) is not None, name\n"
        "loaded = ('openpyxl', 'xlsxwriter', 'civtui.cli.excel')\n"
        "print(*(name in sys.modules for name in loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "True"]


def test_a_ledger_loads_no_openpyxl(tmp_path: Path) -> None:
    # openpyxl reads rosters; a ledger is written by xlsxwriter alone.
    code = (
        "import sys, datetime as dt\n"
        "from pathlib import Path\n"
        "from civtui.excel import ledgers\n"
        "sheet = ledgers.Sheet('台账', ['序号', '姓名'], [6, 12], [[1, '=1+1[/]']])\n"
        f"ledgers.write(Path({str(tmp_path / 'l.xlsx')!r}), [sheet], '测试')\n"
        "print('openpyxl' in sys.modules, 'xlsxwriter' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
