"""Exports are inert: a person's text is written as text, never as a formula.

Every path that writes a spreadsheet — `civtui export` (.xlsx and .csv), the app's palette,
`civtui server export`, the importer's rejects file and the template — is run on a person
named `=1+2` with a note `=HYPERLINK(...)`, and the file is read back: in an .xlsx every
such cell is a string cell holding the text unchanged, in a .csv it starts with `'`.
LibreOffice then opens an exported ledger and must show `=1+2`, not 3.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell as XlCell

from civtui.cli import main
from civtui.domain.choices import Category, GuardianSituation, NeedType
from civtui.domain.clock import Clock
from civtui.domain.models import ChildCheck, ElderNeed, Record, Staff, Village, Visit
from civtui.excel import cells
from civtui.excel.importer import COLUMNS
from civtui.services.profile import Profile, create_profile
from tests.conftest import TODAY, VILLAGE, make_person, run_cli
from tests.sync_harness import Server, device, server
from tests.test_print import tools
from tests.tui_helpers import app_on

__all__ = ["server", "tools"]  # the fixtures, re-exported for pytest

NAME = "=1+2"
LINK = '=HYPERLINK("http://127.0.0.1/","点我")'
ADDRESS = "@SUM(A1)"
VILLAGE_NAME = "=1+2村"
#: A note with what openpyxl refuses (ESC, BEL, NUL) and what XML cannot hold (U+FFFF).
CONTROL_NOTE = "\x1b[31m红\x07\x00尾\uffff"
CONTROL_SHOWN = "␛[31m红␇␀尾\ufffd"
#: The first characters a spreadsheet reads as the start of a formula, for the test's own
#: check of a .csv; written here, not taken from civtui, so the two cannot agree by accident.
LIVE = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


run = run_cli


# -- the function itself --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "=1+2",
        '=HYPERLINK("http://x","y")',
        "@SUM(A1)",
        "-2+3",
        "+1",
        "+8613800000000",
        "-",
        "\t=1+2",
        "\r=1+2",
        "=cmd|' /C calc'!A0",
        "＝1+2",
        "﹦1+2",
        "＋1",
        "－2+3",
        "＠SUM(A1)",
    ],
)
def test_a_formula_start_is_escaped_in_csv(text: str) -> None:
    assert cells.csv_value(text) == "'" + text


@pytest.mark.parametrize(
    "text", ["张三", "1+2", "a=b", "", " =1+2", "'=1+2", "2026-11-22", "—", "（=1）"]
)
def test_ordinary_text_is_written_as_it_is(text: str) -> None:
    assert cells.csv_value(text) == text


@pytest.mark.parametrize("number", [3, -2, 0, 1.5, -0.25, None])
def test_numbers_stay_numbers(number: int | float | None) -> None:
    assert cells.csv_value(number) == number


def test_what_a_workbook_cannot_hold_is_shown_not_dropped() -> None:
    every_control = "".join(chr(c) for c in range(32))
    shown = cells.visible(every_control)
    # Tab, LF and CR are legal in a cell and kept; every other control is its picture.
    assert shown == "".join(c if c in "\t\n\r" else chr(0x2400 + ord(c)) for c in every_control)
    assert cells.visible("甲\ud800乙\ufffe丙\uffff") == "甲\ufffd乙\ufffd丙\ufffd"
    assert cells.visible("张三\n第二行") == "张三\n第二行"
    # A control character cannot hide a formula start from the .csv escape.
    assert cells.csv_value("\x00=1+2") == "␀=1+2"
    assert cells.csv_value("\t\x1b=1") == "'\t␛=1"


def test_every_string_cell_is_text_and_numbers_stay_numbers(tmp_path: Path) -> None:
    hostile = ["=1+2", LINK, "@SUM(A1)", "-2+3", "+1", "#N/A", "#REF!", "\t=1", "\r=1"]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    first = cells.append(sheet, hostile)
    second = cells.append(sheet, [7, -2, 1.5, None, CONTROL_NOTE])
    assert (first, second) == (1, 2)
    path = tmp_path / "cells.xlsx"
    book.save(path)
    read = load_workbook(path).active
    assert read is not None
    # XML reads a bare CR back as LF (end-of-line normalisation): printed, they look alike.
    assert [(c.value, c.data_type) for c in read[1]] == [
        (t.replace("\r", "\n"), "s") for t in hostile
    ]
    assert [c.value for c in read[2]][:5] == [7, -2, 1.5, None, CONTROL_SHOWN]
    assert [c.data_type for c in read[2]][:3] == ["n", "n", "n"]


# -- every export path, end to end ---------------------------------------------


def hostile_records(note: str = LINK) -> list[Record]:
    """A village, an elder and a child whose texts are formulas, and their month's records;
    the elder's visit of the day before has `note`."""
    elder = make_person(
        dt.date(1940, 3, 3), 101, name=NAME, address=ADDRESS, categories=[Category.LIVING_ALONE]
    )
    child = make_person(
        dt.date(2016, 3, 3),
        103,
        name=NAME,
        address=ADDRESS,
        categories=[Category.LEFT_BEHIND],
        guardian_name="+1",
    )
    return [
        Village(id=VILLAGE, name=VILLAGE_NAME, township="金塘镇"),
        Staff(name="王", role="assistant", village_codes=[VILLAGE]),
        elder,
        child,
        Visit(
            person_id=elder.id,
            visit_date=TODAY,
            visitor="王",
            notes=LINK,
            follow_up_needed=True,
            follow_up_note="-2+3",
        ),
        Visit(
            person_id=elder.id,
            visit_date=TODAY - dt.timedelta(days=1),
            visitor="王",
            notes=note,
        ),
        ChildCheck(
            person_id=child.id,
            check_date=TODAY,
            checker="王",
            guardian_situation=GuardianSituation.BOTH_AWAY,
            notes=LINK,
        ),
        ElderNeed(
            person_id=elder.id,
            need_type=NeedType.MEALS,
            description=LINK,
            raised_on=TODAY,
            raised_by="王",
        ),
    ]


def default_profile(records: list[Record]) -> Profile:
    """The CLI's default profile, holding `records`."""
    staff = next(r for r in records if isinstance(r, Staff))
    profile = Profile("default")
    create_profile(profile, records, staff.id, Clock.pinned(TODAY))
    return profile


@pytest.fixture
def hostile(home: Path) -> Profile:
    return default_profile(hostile_records())


def xlsx_cells(path: Path) -> list[XlCell]:
    book = load_workbook(path)
    return [c for ws in book.worksheets for row in ws.iter_rows() for c in row]  # type: ignore[misc]


def assert_inert_xlsx(path: Path, expected: set[str]) -> None:
    """No formula anywhere in the book, and each of `expected` is a string cell, unchanged."""
    found = xlsx_cells(path)
    assert [c.coordinate for c in found if c.data_type == "f"] == [], path.name
    texts = {c.value for c in found if c.data_type == "s"}
    assert expected <= texts, (path.name, expected - texts)


def assert_inert_csv(path: Path, expected: set[str]) -> None:
    """No field starts a formula, and each of `expected` is there behind a `'`."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        fields = [f for row in csv.reader(handle) for f in row]
    assert [f for f in fields if f.startswith(LIVE)] == [], path.name
    assert {"'" + e for e in expected} <= set(fields), path.name


def test_formula_name_is_text_in_every_export(hostile: Profile, tmp_path: Path) -> None:
    """`civtui export visits|child-checks|needs`, .xlsx and .csv, with the texts as typed."""
    month = ["--month", TODAY.strftime("%Y-%m")]
    ledgers = {
        "visits": ({NAME, LINK, ADDRESS, f"{VILLAGE_NAME}2026年11月探访台账"}, month),
        "child-checks": ({NAME, LINK, "+1"}, month),
        "needs": ({NAME, LINK}, []),
    }
    for kind, (expected, extra) in ledgers.items():
        book, table = tmp_path / f"{kind}.xlsx", tmp_path / f"{kind}.csv"
        for out in (book, table):
            result = run("export", kind, *extra, "-o", str(out))
            assert result.exit_code == 0, result.output
        assert_inert_xlsx(book, expected)
        # The .csv is the first sheet alone, without the title row.
        assert_inert_csv(table, expected - {f"{VILLAGE_NAME}2026年11月探访台账"})


def test_control_characters_in_a_note_never_break_an_export(home: Path, tmp_path: Path) -> None:
    default_profile(hostile_records(note=CONTROL_NOTE))
    out = tmp_path / "visits.xlsx"
    result = run("export", "visits", "-o", str(out))
    assert result.exit_code == 0, result.output
    notes = [c.value for c in xlsx_cells(out) if isinstance(c.value, str) and "红" in c.value]
    assert notes == [CONTROL_SHOWN]
    table = tmp_path / "visits.csv"
    assert run("export", "visits", "-o", str(table)).exit_code == 0
    assert CONTROL_SHOWN in table.read_text(encoding="utf-8-sig")


@pytest.mark.tui
async def test_formula_name_is_text_in_the_apps_export(hostile: Profile, home: Path) -> None:
    """The palette's export runs this worker: its ledger is as inert as the CLI's."""
    app = app_on(hostile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.export_ledger("visits")
        await app.workers.wait_for_complete()
        await pilot.pause()
    # The app writes to the user's documents folder, never into the profile's home.
    [path] = (home.parent / "documents" / "civtui-exports").glob("探访台账-default-*.xlsx")
    assert_inert_xlsx(path, {NAME, LINK, ADDRESS})


@pytest.mark.slow
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_formula_name_is_text_in_the_township_export(
    server: Server, home: Path, tmp_path: Path
) -> None:
    laptop = device(server, "v1", villages=[VILLAGE])
    laptop.store.save_many([r for r in hostile_records() if not isinstance(r, Staff)])
    assert laptop.sync().rejected == 0
    for kind, expected in (
        ("visits", {NAME, LINK, ADDRESS}),
        ("child-checks", {NAME, LINK}),
        ("needs", {NAME, LINK}),
    ):
        book, table = tmp_path / f"{kind}.xlsx", tmp_path / f"{kind}.csv"
        for out in (book, table):
            result = CliRunner().invoke(
                main,
                ["--today", TODAY.isoformat(), "server", "export", kind,
                 "--township", "金塘镇", "--database", server.db_url, "-o", str(out)],
            )  # fmt: skip
            assert result.exit_code == 0, result.output
        assert_inert_xlsx(book, expected)
        assert_inert_csv(table, expected)


def roster_row(**values: str) -> list[str]:
    return [values.get(c.field, "") for c in COLUMNS]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_name_is_text_in_the_rejects_file(
    hostile: Profile, tmp_path: Path, suffix: str
) -> None:
    header = [c.header for c in COLUMNS]
    bad = roster_row(name=NAME, id_number="123", address=LINK)
    source = tmp_path / f"名册{suffix}"
    if suffix == ".csv":
        with source.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, bad])
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        sheet.append(bad)
        for c in sheet[2]:
            c.data_type = "s"  # typed as text in Excel, as a person would have to
        book.save(source)
    result = run("import", "persons", str(source), "--skip-invalid")
    rejects = source.with_name(f"名册.错误行{suffix}")
    assert rejects.exists(), result.output
    if suffix == ".csv":
        assert_inert_csv(rejects, {NAME, LINK})
    else:
        assert_inert_xlsx(rejects, {NAME, LINK})


def test_the_template_holds_no_formula_for_a_formula_village(
    hostile: Profile, tmp_path: Path
) -> None:
    """The template's cells are fixed words; the village names go only into its drop-down."""
    out = tmp_path / "模板.xlsx"
    assert run("import", "template", "persons", "-o", str(out)).exit_code == 0
    assert_inert_xlsx(out, {"姓名*"})


# -- what a township office sees ------------------------------------------------


@pytest.mark.slow
def test_libreoffice_shows_a_formula_name_as_text(
    hostile: Profile, tmp_path: Path, tools: None
) -> None:
    """Every ledger, opened as an office opens it: the formula texts read as typed, none runs."""
    books = {ledger: tmp_path / f"{ledger}.xlsx" for ledger in ("visits", "child-checks", "needs")}
    for ledger, book in books.items():
        assert run("export", ledger, "-o", str(book)).exit_code == 0
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            # Comma-separated, quoted, UTF-8 (76): the first sheet as LibreOffice shows it.
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path / "lo"),
            *map(str, books.values()),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )

    def shown(ledger: str) -> tuple[list[str], list[dict[str, str]]]:
        with (tmp_path / "lo" / f"{ledger}.csv").open(encoding="utf-8-sig", newline="") as f:
            heading, header, *body = list(csv.reader(f))
        rows = [dict(zip(header, row, strict=False)) for row in body if row and row[0].isdigit()]
        return heading, rows

    heading, visits = shown("visits")
    assert heading[0] == f"{VILLAGE_NAME}2026年11月探访台账"
    assert len(visits) == 2
    assert [r["姓名"] for r in visits] == [NAME, NAME]
    assert all(r["姓名"] != "3" for r in visits)
    assert {r["住址"] for r in visits} == {ADDRESS}
    assert [r["探访情况"] for r in visits] == [LINK, LINK]
    for ledger in ("child-checks", "needs"):
        heading, rows = shown(ledger)
        assert VILLAGE_NAME in heading[0] and "#NAME" not in heading[0]
        cells = [value for row in rows for value in row.values()]
        assert rows and NAME in cells, ledger
        assert any(LINK in value for value in cells), ledger
        assert "3" not in cells and not any(v.startswith("#") for v in cells), ledger
