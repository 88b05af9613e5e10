"""An .xlsx roster's cells read as the person who typed them sees them in Excel.

The sheets are written byte by byte as Excel stores what was typed: a number typed into a
General cell is a number (`<v>13905801234</v>`), an 18-digit one keeps 15 significant
digits (`<v>3.30902194805061E+17</v>`), a date is a day count under a date format, TRUE is
a boolean cell, `#N/A` an error cell. Each expectation is what the cell shows, written
out here, never what a reader library returns.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from civtui.cli import main
from civtui.excel import importer
from civtui.services.profile import Profile
from tests import workbooks
from tests.conftest import run_cli, stored_people, synthetic_id

ROOT = Path(__file__).resolve().parent.parent
MAIN = workbooks.MAIN
ALIVE = synthetic_id(dt.date(1950, 2, 3), seq=11)
OTHER = synthetic_id(dt.date(1948, 7, 9), seq=15)

#: Cell styles by index: 0 General, 1 a date (built-in 14, m/d/yyyy), 2 a Chinese date
#: format typed by hand, 3 date and time (built-in 22).
STYLES = (
    f'<styleSheet xmlns="{MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="176" '
    'formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<fonts count="1"><font/></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/>'
    '<xf numFmtId="176" applyNumberFormat="1"/>'
    '<xf numFmtId="22" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def text(ref: str, value: str) -> str:
    return workbooks.cell(ref, value)


def number(ref: str, value: str, style: int = 0) -> str:
    return f'<c r="{ref}" s="{style}"><v>{value}</v></c>'


def boolean(ref: str, value: bool) -> str:
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def error(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="e"><v>{value}</v></c>'


def formula(ref: str, expression: str, shown: str, kind: str = "n") -> str:
    return f'<c r="{ref}" t="{kind}"><f>{expression}</f><v>{shown}</v></c>'


def book(path: Path, rows: list[tuple[int, list[str]]]) -> Path:
    """A one-sheet workbook holding exactly these cells, with the styles above."""
    sheet = workbooks.sheet_xml(rows, None)
    return workbooks.rewrite(
        workbooks.base(path), {"xl/worksheets/sheet1.xml": sheet, "xl/styles.xml": STYLES.encode()}
    )


HEADER = (
    1,
    [text("A1", "姓名"), text("B1", "身份证号"), text("C1", "联系电话"), text("D1", "备注")],
)


def roster(path: Path, *rows: list[str]) -> Path:
    """The header above, then one row per list of cells (rows 2, 3, …)."""
    return book(path, [HEADER, *((n, cells) for n, cells in enumerate(rows, start=2))])


def read(path: Path) -> list[dict[str, str]]:
    table = importer.read_table(path)
    return [dict(zip(table.headers, cells, strict=False)) for _, cells in table.rows]


run = run_cli


@pytest.fixture
def profile(cli_profile: Profile) -> Profile:
    return cli_profile


people = stored_people


def imported(path: Path) -> tuple[Result, dict[str, Any]]:
    result = run("import", "persons", str(path), "--json")
    return result, json.loads(result.stdout)


def test_numbers_typed_into_general_cells_read_as_their_digits(tmp_path: Path) -> None:
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), number("C2", "13905801234"), number("D2", "42")],
        [text("A3", "李阿婆"), text("B3", OTHER), text("C3", "13905805678"), number("D3", "2.5")],
        [text("A4", "陈阿公"), text("B4", ALIVE), text("C4", ""), number("D4", "-0")],
    )
    assert [(r["联系电话"], r["备注"]) for r in read(path)] == [
        ("13905801234", "42"),
        ("13905805678", "2.5"),
        ("", "0"),
    ]


def test_a_phone_typed_as_a_number_is_refused_naming_its_digits(
    profile: Profile, tmp_path: Path
) -> None:
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), number("C2", "13905801234")],
    )
    result, summary = imported(path)
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert (problem["code"], problem["value"]) == ("numeric_phone", "13905801234")
    assert people(profile) == []


@pytest.mark.parametrize(
    "stored",
    # As Excel writes what was typed; as a program may write it, all digits; and digits
    # past the 15 Excel keeps, which it does not show either.
    ["3.30902194805061E+17", "330902194805061000", "330902194805060999"],
    ids=["as-excel-writes-it", "all-digits", "past-fifteen-digits"],
)
def test_an_id_typed_as_a_number_shows_the_fifteen_digits_excel_shows(
    profile: Profile, tmp_path: Path, stored: str
) -> None:
    """Excel shows a number cell (format 0) as 330902194805061000: no `.0`, no E+17, and
    none of a float's own digits (330902194805060992)."""
    path = roster(tmp_path / "a.xlsx", [text("A2", "王阿公"), number("B2", stored)])
    [row] = read(path)
    assert row["身份证号"] == "330902194805061000"
    result, summary = imported(path)
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert (problem["code"], problem["value"]) == ("numeric_id", "330902194805061000")
    assert people(profile) == []


def test_an_id_stored_as_text_keeps_all_eighteen_digits(profile: Profile, tmp_path: Path) -> None:
    with_x = next(
        n for s in range(1, 999, 2) if (n := synthetic_id(dt.date(1951, 3, 4), seq=s))[-1] == "X"
    )
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE)],
        [text("A3", "李阿婆"), text("B3", with_x)],
    )
    assert [r["身份证号"] for r in read(path)] == [ALIVE, with_x]
    result, _ = imported(path)
    assert result.exit_code == 0, result.output
    assert sorted(p.id_number for p in people(profile)) == sorted([ALIVE, with_x])


def test_dates_read_as_the_day_whatever_their_format(tmp_path: Path) -> None:
    # 46000 is 2025-12-09 in Excel's 1900 day count; .75 is 18:00 the same day.
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), number("D2", "46000", style=1)],
        [text("A3", "李阿婆"), text("B3", OTHER), number("D3", "46000", style=2)],
        [text("A4", "陈阿公"), text("B4", ALIVE), number("D4", "46000.75", style=3)],
    )
    table = importer.read_table(path)
    assert [r["备注"] for r in read(path)] == ["2025-12-09"] * 3
    # A date is no number an ID or phone could have been typed as.
    assert not any(column == 3 for _, column in table.numeric)


def test_a_boolean_cell_reads_as_excel_shows_it(profile: Profile, tmp_path: Path) -> None:
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), boolean("D2", True)],
        [text("A3", "李阿婆"), text("B3", OTHER), boolean("D3", False)],
    )
    assert [r["备注"] for r in read(path)] == ["TRUE", "FALSE"]
    result, _ = imported(path)
    assert result.exit_code == 0, result.output
    assert {p.name: p.notes for p in people(profile)} == {"王阿公": "TRUE", "李阿婆": "FALSE"}


def test_an_error_cell_reads_as_the_error_excel_shows(profile: Profile, tmp_path: Path) -> None:
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), error("D2", "#N/A")],
        [text("A3", "李阿婆"), error("B3", "#DIV/0!"), text("D3", "x")],
        [
            text("A4", "陈阿公"),
            formula("B4", "VLOOKUP(A4,X!A:B,2,0)", "#N/A", "e"),
            error("C4", "#REF!"),
        ],
    )
    rows = read(path)
    assert [(r["身份证号"], r["联系电话"], r["备注"]) for r in rows[:2]] == [
        (ALIVE, "", "#N/A"),
        ("#DIV/0!", "", "x"),
    ]
    assert (rows[2]["身份证号"], rows[2]["联系电话"]) == ("#N/A", "#REF!")
    result, summary = imported(path)
    assert result.exit_code == 1
    values = {(p["row"], p["field"]): p["value"] for p in summary["problems"]}
    # The ID the office sees as #DIV/0! is named as that, not as a missing one.
    assert values[(3, "id_number")] == "#DIV/0!"
    assert values[(4, "phone")] == "#REF!"


@pytest.mark.parametrize("name", ["=1+2", "[/b]王阿公[b]", '=HYPERLINK("x")', "\\[red]"])
def test_text_that_looks_like_a_formula_or_markup_is_kept_as_typed(
    profile: Profile, tmp_path: Path, name: str
) -> None:
    path = roster(tmp_path / "a.xlsx", [text("A2", name), text("B2", ALIVE)])
    assert read(path)[0]["姓名"] == name
    result, _ = imported(path)
    assert result.exit_code == 0, result.output
    assert [p.name for p in people(profile)] == [name]


def test_a_formula_reads_as_the_value_it_shows(tmp_path: Path) -> None:
    path = roster(
        tmp_path / "a.xlsx",
        [text("A2", "王阿公"), text("B2", ALIVE), formula("D2", "1+2", "3")],
    )
    assert read(path)[0]["备注"] == "3"


def test_a_name_with_its_pinyin_guide_reads_as_the_name(tmp_path: Path) -> None:
    """A shared string with a phonetic run (WPS and Japanese Excel add them) and a rich one."""
    strings = (
        f'<sst xmlns="{MAIN}" count="2" uniqueCount="2">'
        '<si><t>王阿公</t><rPh sb="0" eb="1"><t>wáng</t></rPh></si>'
        '<si><r><t>李</t></r><r><rPr><b/></rPr><t xml:space="preserve">阿婆</t></r></si>'
        "</sst>"
    )
    path = roster(
        tmp_path / "a.xlsx",
        ['<c r="A2" t="s"><v>0</v></c>', text("B2", ALIVE)],
        ['<c r="A3" t="s"><v>1</v></c>', text("B3", OTHER)],
    )
    with zipfile.ZipFile(path) as archive:
        types = archive.read("[Content_Types].xml").decode()
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{workbooks.SST_TYPE}"/>'
    workbooks.rewrite(
        path,
        {
            "xl/sharedStrings.xml": strings.encode(),
            "[Content_Types].xml": types.replace("</Types>", override + "</Types>").encode(),
        },
    )
    assert [r["姓名"] for r in read(path)] == ["王阿公", "李阿婆"]


def test_a_roster_away_from_the_corner_keeps_its_rows_and_column_letters(
    profile: Profile, tmp_path: Path
) -> None:
    """Rows 1-2 and column A empty: rows and columns are still counted from A1."""
    path = book(
        tmp_path / "a.xlsx",
        [
            (3, [text("B3", "姓名"), text("C3", "身份证号")]),
            (4, [text("B4", "王阿公"), text("C4", ALIVE), text("E4", "13905801234")]),
            (5, [text("B5", "李阿婆"), text("C5", "123")]),
        ],
    )
    result, summary = imported(path)
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (5, "身份证号", "123")
    [unnamed] = [n for n in summary["notes"] if n["code"] == "unnamed_column"]
    assert "第E列" in unnamed["problem"]


def test_hidden_sheets_are_found_by_the_workbook_not_by_their_file_names(
    profile: Profile, tmp_path: Path
) -> None:
    """The visible 名册 is sheet2.xml, listed after the hidden 旧 in sheet1.xml, which is a
    row bomb: it is neither read nor measured."""
    path = workbooks.row_bomb(tmp_path / "a.xlsx")
    sheet2 = workbooks.sheet_xml(
        [
            (1, [text("A1", "姓名"), text("B1", "身份证号")]),
            (2, [text("A2", "林阿婆"), text("B2", ALIVE)]),
        ],
        "A1:B2",
    )
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    ws_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    rel_type = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
    start, end = xml.index("<sheets>"), xml.index("</sheets>") + len("</sheets>")
    xml = (
        xml[:start]
        + '<sheets><sheet name="旧" sheetId="1" state="hidden" r:id="rId1"/>'
        + '<sheet name="名册" sheetId="2" r:id="rId9"/></sheets>'
        + xml[end:]
    )
    rels = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rId9" Type="{rel_type}" Target="/xl/worksheets/sheet2.xml"/>'
        "</Relationships>",
    )
    types = types.replace(
        "</Types>",
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{ws_type}"/></Types>',
    )
    workbooks.rewrite(
        path,
        {
            "xl/workbook.xml": xml.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
            "[Content_Types].xml": types.encode(),
            "xl/worksheets/sheet2.xml": sheet2,
        },
    )
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    assert summary["sheet"] == "名册"
    assert [p.name for p in people(profile)] == ["林阿婆"]
    # Named, the hidden sheet is read, and refused for what it is.
    said = run("import", "persons", str(path), "--sheet", "旧").output
    assert "第1048576行超过了行数上限" in said


def test_a_grid_of_mostly_empty_space_is_refused_naming_its_size(
    profile: Profile, tmp_path: Path
) -> None:
    result = run("import", "persons", str(workbooks.sparse_grid(tmp_path / "a.xlsx")))
    assert result.exit_code == 2, result.output
    assert "跨50000行、200列" in result.output and "超过上限2000000格" in result.output
    assert "Ctrl+End" in result.output
    english = CliRunner().invoke(
        main, ["--lang", "en", "import", "persons", str(tmp_path / "a.xlsx")]
    )
    assert "50000 rows and 200 columns" in english.output


def test_a_grid_of_mostly_empty_space_is_refused_within_300_mb(tmp_path: Path) -> None:
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "cap = 300 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "from civtui.excel import importer\n"
        "try:\n"
        "    importer.read_table(Path(sys.argv[1]))\n"
        "except importer.ImportFileError as exc:\n"
        "    print(exc.code)\n"
    )
    done = workbooks.in_child(script, workbooks.sparse_grid(tmp_path / "a.xlsx"))
    assert done.stdout.split() == ["file.too_many_cells"], done.stderr


def test_reading_a_roster_loads_no_openpyxl(tmp_path: Path) -> None:
    """openpyxl writes the template and the rejects file; reading needs none of it."""
    xlsx = roster(tmp_path / "a.xlsx", [text("A2", "王阿公"), text("B2", ALIVE)])
    csv = tmp_path / "a.csv"
    csv.write_text(f"姓名,身份证号\n王阿公,{ALIVE}\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from civtui.excel import importer\n"
        "for name in sys.argv[1:]:\n"
        "    print(len(importer.read_table(Path(name)).rows), 'openpyxl' in sys.modules)\n"
    )
    done = workbooks.in_child(script, csv, xlsx)
    assert done.stdout.splitlines() == ["1 False", "1 False"], done.stderr


def test_a_sheet_past_a_limit_before_the_roster_is_refused_after_it_passed_over(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its top cannot be looked at without reading it whole: before the roster it may be
    the roster, so the file is refused naming it; after the roster it is left alone."""
    monkeypatch.setattr(importer, "LIMITS", importer.Limits(rows=10))

    def two(path: Path, first_is_long: bool) -> Path:
        book = Workbook()
        long, roster = book.active, book.create_sheet("名册")
        assert long is not None
        long.title = "行政区划"
        for i in range(20):
            long.append([f"村{i}", f"3309021122{i:02d}"])
        roster.append(["姓名", "身份证号"])
        roster.append(["林阿婆", ALIVE])
        if not first_is_long:
            book.move_sheet("名册", offset=-1)
        book.save(path)
        return path

    result = run("import", "persons", str(two(tmp_path / "a.xlsx", first_is_long=True)))
    assert result.exit_code == 2
    assert "工作表“行政区划”的第11行超过了行数上限（10行）" in result.output
    result, summary = imported(two(tmp_path / "b.xlsx", first_is_long=False))
    assert result.exit_code == 0, result.output
    assert summary["sheet"] == "名册"
    assert [p.name for p in people(profile)] == ["林阿婆"]
