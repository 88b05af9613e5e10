"""Exported ledgers opened with openpyxl and checked against the database."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from civtui.cli import main
from tests.conftest import TODAY

MONTH = TODAY.strftime("%Y-%m")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], catch_exceptions=False)


@pytest.fixture
def db(home: Path) -> sqlite3.Connection:
    assert run("demo", "--persons", "150", "--seed", "2").exit_code == 0
    path = json.loads(run("status", "--json").stdout)["path"]
    return sqlite3.connect(path)


def all_text(path: Path) -> str:
    book = load_workbook(path)
    return "\n".join(
        str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row
    )


def test_visit_ledger_matches_the_database(db: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "探访台账.xlsx"
    result = run("export", "visits", "--month", MONTH, "-o", str(out))
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["探访台账", "覆盖率", "待访名单"]
    ledger = book["探访台账"]
    header = [c.value for c in ledger[1]]
    assert header[:5] == ["村(社区)", "姓名", "身份证号", "类别", "探访日期"]
    assert header[-1] == "探访人"
    expected = db.execute(
        "SELECT count(*) FROM visits WHERE deleted = 0 AND visit_date LIKE ?", [f"{MONTH}-%"]
    ).fetchone()[0]
    body = list(ledger.iter_rows(min_row=2, values_only=True))
    assert len(body) == expected > 0
    assert all(str(r[4]).startswith(MONTH) for r in body)
    # Printable: frozen header, A4 landscape, fitted to the page width.
    assert ledger.freeze_panes == "A2"
    assert ledger.page_setup.orientation == "landscape"
    assert str(ledger.page_setup.paperSize) == str(ledger.PAPERSIZE_A4)
    assert ledger.column_dimensions["C"].width == 21


def test_no_full_id_number_leaves_in_an_export(db: sqlite3.Connection, tmp_path: Path) -> None:
    numbers = [n for (n,) in db.execute("SELECT id_number FROM persons")]
    for kind in ("visits", "child-checks", "needs"):
        out = tmp_path / f"{kind}.xlsx"
        assert run("export", kind, "-o", str(out)).exit_code == 0
        text = all_text(out)
        assert not any(n in text for n in numbers), kind
        assert "********" in text


def test_coverage_and_due_sheets_agree_with_the_report(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
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
    due = list(book["待访名单"].iter_rows(min_row=2, values_only=True))
    adults_due = sum(r["required"] - r["contacted"] for r in adults.values())
    assert 0 < len(due) <= adults_due
    assert any(r[6] == "逾期" for r in due)


def test_child_check_ledger_as_csv(db: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert run("export", "child-checks", "--month", MONTH, "-o", str(out)).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert lines[0][:2] == ["村(社区)", "姓名"]
    expected = db.execute(
        "SELECT count(*) FROM child_checks WHERE deleted = 0 AND check_date LIKE ?",
        [f"{MONTH}-%"],
    ).fetchone()[0]
    assert len(lines) - 1 == expected
    high = [line for line in lines[1:] if line[10] == "高"]
    assert all(line[11] and line[12] for line in high)


def test_needs_filtered_by_status(db: sqlite3.Connection, tmp_path: Path) -> None:
    out = tmp_path / "n.xlsx"
    assert (
        run(
            "export", "needs", "--status", "待处理", "--status", "referred", "-o", str(out)
        ).exit_code
        == 0
    )
    book = load_workbook(out)
    rows = list(book["老人需求台账"].iter_rows(min_row=2, values_only=True))
    expected = db.execute(
        "SELECT count(*) FROM elder_needs WHERE status IN ('pending', 'referred')"
    ).fetchone()[0]
    assert len(rows) == expected and {r[6] for r in rows} <= {"待处理", "已转介"}
    steps = list(book["办理记录"].iter_rows(min_row=2, values_only=True))
    assert len(steps) >= len(rows)


def test_bad_month_and_bad_file_kind_are_explained(db: sqlite3.Connection, tmp_path: Path) -> None:
    bad_month = run("export", "visits", "--month", "2026/11", "-o", str(tmp_path / "x.xlsx"))
    assert bad_month.exit_code == 2 and "2026-03" in bad_month.output
    too_early = run("export", "visits", "--month", "2020-01", "-o", str(tmp_path / "x.xlsx"))
    assert too_early.exit_code == 2 and "2021-11 以后" in too_early.output
    bad_kind = run("export", "visits", "-o", str(tmp_path / "x.pdf"))
    assert bad_kind.exit_code == 2 and ".xlsx" in bad_kind.output
