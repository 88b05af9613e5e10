"""How a ledger is laid out for print: long notes over several rows, headers that fit,
pages numbered per sheet. tests/test_print.py proves the same through LibreOffice."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape
from openpyxl.worksheet.worksheet import Worksheet

from civtui.domain.models import Person, Visit
from civtui.excel import cells, ledgers
from civtui.excel.export import Ledger, export_ledger
from db import Store, queries
from tests.conftest import CTX, TODAY, make_person

#: Excel refuses a row taller than this (points).
EXCEL_MAX_ROW_PT = 409
#: A note of the allowed maximum, each piece numbered so a lost or doubled one shows.
LONG_NOTE = "".join(f"第{n:03d}段血压偏高需复查，" for n in range(1, 200))[:2000]
#: The same length in words a spreadsheet breaks between, hostile bits included.
LONG_WORDS = (("=cmd|' /C calc'!A0 word\t" + "supercalifragilistic " * 3 + "\n") * 30)[:2000]


def visits_with_notes(store: Store, notes: list[str]) -> list[Person]:
    people = [make_person(seq=101 + 2 * n, name=f"测试{n}") for n in range(len(notes))]
    store.save_many(people)
    day = TODAY.replace(day=1)
    store.save_many(
        [
            Visit.model_validate(
                {"person_id": p.id, "visit_date": day, "visitor": "王", "notes": note},
                context=CTX,
            )
            for p, note in zip(people, notes, strict=True)
        ]
    )
    return people


def _export(store: Store, path: Path) -> Worksheet:
    export_ledger(store, Ledger.VISITS, path, month=TODAY, today=TODAY)
    return load_workbook(path)["探访台账"]


def _column(ws: Worksheet, header: str) -> int:
    return [c.value for c in ws[2]].index(header) + 1


def test_long_note_goes_on_in_rows_below_never_taller_than_excel_allows(
    store: Store, tmp_path: Path
) -> None:
    assert len(LONG_NOTE) == 2000 and len(LONG_WORDS) == 2000
    visits_with_notes(store, [LONG_NOTE, "一切正常", LONG_WORDS])
    ws = _export(store, tmp_path / "v.xlsx")
    notes = _column(ws, "探访情况")
    heights = [ws.row_dimensions[r].height for r in range(3, ws.max_row + 1)]
    assert all(h is not None and h <= EXCEL_MAX_ROW_PT for h in heights), heights
    numbers = [ws.cell(r, 1).value for r in range(3, ws.max_row)]
    firsts = [n for n in numbers if isinstance(n, int)]
    assert firsts == [1, 2, 3]
    # Each long note is whole, in order, across its row and the rows marked as its own.
    for number, note in ((1, LONG_NOTE), (3, LONG_WORDS)):
        rows = [r for r in range(3, ws.max_row) if ws.cell(r, 1).value in (number, f"{number}续")]
        assert len(rows) > 1
        assert rows == list(range(rows[0], rows[0] + len(rows)))
        pieces = [str(ws.cell(r, notes).value) for r in rows]
        assert "".join(pieces).replace("\n", "") == note.replace("\n", "")
        # The rest of the visit is written once, on its first row.
        assert all(ws.cell(r, _column(ws, "姓名")).value is None for r in rows[1:])
        # Text a spreadsheet could run stays text on every piece.
        assert all(ws.cell(r, notes).data_type == "s" for r in rows)
    short = next(r for r in range(3, ws.max_row) if ws.cell(r, 1).value == 2)
    assert ws.cell(short, notes).value == "一切正常"


def test_headers_fit_their_column_on_one_line(store: Store, tmp_path: Path) -> None:
    visits_with_notes(store, ["好"])
    export_ledger(store, Ledger.VISITS, tmp_path / "v.xlsx", month=TODAY, today=TODAY)
    for ws in load_workbook(tmp_path / "v.xlsx").worksheets:
        for column, cell in enumerate(ws[2], start=1):
            width = ws.column_dimensions[get_column_letter(column)].width
            assert ledgers._lines(str(cell.value), int(width)) == 1, (ws.title, cell.value)
        assert ws.row_dimensions[2].height == ledgers._LINE_PT


def test_pages_are_numbered_per_sheet(store: Store, tmp_path: Path) -> None:
    visits_with_notes(store, [LONG_NOTE] * 6 + ["好"] * 30)
    path = tmp_path / "v.xlsx"
    export_ledger(store, Ledger.VISITS, path, month=TODAY, today=TODAY)
    book = load_workbook(path)
    for ws in book.worksheets:
        assert ws.oddFooter is not None
        footer = ws.oddFooter.center.text or ""
        total = int(re.fullmatch(r"第 &P 页，共 (\d+) 页", footer).group(1))  # type: ignore[union-attr]
        assert total == len(ws.row_breaks.brk) + 1
        # A firstPageNumber left out is 1 (its default in the standard, ECMA-376 CT_PageSetup).
        first = ws.page_setup.firstPageNumber
        assert first in (None, 1) and ws.page_setup.useFirstPageNumber
    assert len(book["探访台账"].row_breaks.brk) >= 2
    assert len(book["覆盖率"].row_breaks.brk) == 0


def test_split_gives_back_the_text_exactly() -> None:
    for text in (LONG_NOTE, LONG_WORDS, "a" * 3000, "\n" * 5 + "甲" * 900, "x"):
        rows = ledgers._split([7, text, None, 3], [5, 20, 8, 6])
        assert all(len(r) == 4 for r in rows)
        assert all(ledgers._lines(r[1], 20) <= ledgers.MAX_ROW_LINES for r in rows)
        assert "".join(str(r[1] or "") for r in rows).replace("\n", "") == text.replace("\n", "")
        assert [r[0] for r in rows] == [7] + ["7续"] * (len(rows) - 1)
        assert rows[0][3] == 3 and all(r[3] is None for r in rows[1:])


def test_write_says_its_progress_and_the_rows_come_out_whole(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("x")[/]\x1b'
    first = ledgers.Sheet(
        "台账", ["序号", "姓名"], [6, 12], [[n, f"{hostile}{n}"] for n in range(1, 451)]
    )
    second = ledgers.Sheet("待访名单", ["序号", "姓名"], [6, 12], [[1, "王[b]"], [2, None]])
    seen: list[tuple[int, int]] = []
    out = tmp_path / "p.xlsx"
    ledgers.write(out, [first, second], "测试", progress=lambda d, t: seen.append((d, t)))
    every = ledgers.PROGRESS_EVERY
    assert seen == [(every, 452), (2 * every, 452), (452, 452)]
    book = load_workbook(out)
    names = [row[1] for row in book["台账"].iter_rows(min_row=3, values_only=True)]
    assert names == [f'=HYPERLINK("x")[/]␛{n}' for n in range(1, 451)]
    assert [c.data_type for c in book["台账"][3]] == ["n", "s"]
    assert [r[1] for r in book["待访名单"].iter_rows(min_row=3, values_only=True)] == [
        "王[b]",
        None,
    ]


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from("好的血压 aZ9-=[/]\t\r，。ｗ_x\u3000\u200b"), max_size=40
    ),
    width=st.integers(min_value=1, max_value=40),
)
def test_a_short_cell_wraps_as_the_piece_by_piece_rule_says(text: str, width: int) -> None:
    # The one-line shortcut only ever skips work: its lines are the full rule's.
    usable = max(width - 1.5, 1.0)
    assert ledgers._wrapped(text, width) == ledgers._broken(text, usable)


#: Text a person could type that a writer might take for something else: formulas, errors,
#: markup, xlsxwriter's own rich-text marker, Excel's `_xHHHH_` escape, control characters,
#: and line ends of every kind.
HOSTILE_CELLS: list[cells.Cell] = [
    "=1+1",
    '=HYPERLINK("http://x","点我")',
    "@SUM(A1)",
    "#N/A",
    "[bold]王[/]",
    "<r>=1+1</r>",
    "<r></t></is></c></row></r>",
    "_x0041_ 与 _x000D_",
    "铃\x07响\x1b[31m",
    "一\r\n二\r三",
    "",
    None,
    0,
    -2.5,
]


def test_every_cell_of_a_ledger_is_written_as_what_it_is(tmp_path: Path) -> None:
    sheet = ledgers.Sheet(
        "台账",
        ["序号", "备注", "签字"],
        [6, 30, 10],
        [[n, value, ""] for n, value in enumerate(HOSTILE_CELLS, start=1)],
        heading="=村[/]<r>x</r>",
        signed=True,
    )
    out = tmp_path / "h.xlsx"
    ledgers.write(out, [sheet], "测试")
    ws = load_workbook(out)["台账"]
    assert (ws["A1"].value, ws["A1"].data_type) == ("=村[/]<r>x</r>", "s")
    body = list(ws.iter_rows(min_row=3, max_row=2 + len(HOSTILE_CELLS)))
    expected = [
        cells.visible(v).replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v
        for v in HOSTILE_CELLS
    ]
    # A literal `_x0041_` is written escaped (`_x005F_x0041_`), which Excel and LibreOffice
    # undo; openpyxl reads the escape as it is, so its own `unescape` undoes it here.
    found = [unescape(r[1].value) if isinstance(r[1].value, str) else r[1].value for r in body]
    assert found == expected
    for row, value in zip(body, HOSTILE_CELLS, strict=True):
        kind = "s" if isinstance(value, str) else "n"
        assert row[1].data_type == kind, (value, row[1].data_type)
        for cell in row:
            assert cell.data_type != "f"
            assert (cell.font.name, cell.font.size, cell.font.bold) == ("宋体", 10, False)
            assert cell.border.left is not None and cell.border.left.style == "thin"
    assert [r[0].value for r in body] == list(range(1, len(HOSTILE_CELLS) + 1))
    sign_off = ws.cell(3 + len(HOSTILE_CELLS), 1)
    assert sign_off.value == ledgers.SIGN_OFF and sign_off.font.size == 11
    # Heights are whole pixels: what `_Pages` counted is what a program lays out.
    for number in range(1, ws.max_row + 1):
        assert (ws.row_dimensions[number].height / 0.75).is_integer()
    assert ws.print_title_rows == "$2:$2"


def test_a_ledger_that_cannot_be_saved_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    sheet = ledgers.Sheet("台账", ["序号", "姓名"], [6, 12], [[1, "王[/]"]])
    spools = set(Path(tempfile.gettempdir()).glob("civtui-ledger-*"))
    with pytest.raises(OSError):
        ledgers.write(tmp_path / "no such folder" / "h.xlsx", [sheet], "测试")
    # The rows waited in a private folder, gone with the failure: they are personal data.
    assert set(Path(tempfile.gettempdir()).glob("civtui-ledger-*")) == spools
    assert not (tmp_path / "no such folder").exists()


def test_a_ledger_prints_the_phones_and_address_the_person_has(store: Store) -> None:
    people = [
        make_person(seq=301, name="甲", phone="13905801234", address="=1+1[/]村"),
        make_person(seq=303, name="乙", guardian_name="丙[/]", guardian_phone="0580-2012345"),
        make_person(seq=305, name="丁"),
        make_person(seq=307, name="戊"),
    ]
    store.save_many(people)
    # As a pull can store them: not in the form a form saves, and not a number at all.
    store.db.execute("UPDATE persons SET phone = ' 139 0580 1234 ' WHERE id = ?", [people[2].id])
    store.db.execute("UPDATE persons SET phone = '=HYPERLINK(1)' WHERE id = ?", [people[3].id])
    found = queries.contacts(store)
    assert found[people[0].id] == queries.Contact("=1+1[/]村", "13905801234", "", None)
    assert found[people[1].id] == queries.Contact("", None, "丙[/]", "0580-2012345")
    assert found[people[2].id].phone == "13905801234"
    assert found[people[3].id].phone == "=HYPERLINK(1)"
    # The stored person's own fields, as the ledger printed them when it built each person
    # (and failed whole on the number `Person` refuses).
    for saved in people[:2]:
        person = store.get(Person, saved.id)
        assert person is not None
        contact = found[person.id]
        assert (contact.address, contact.phone) == (person.address, person.phone)
        assert (contact.guardian_name, contact.guardian_phone) == (
            person.guardian_name,
            person.guardian_phone,
        )
