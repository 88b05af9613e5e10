"""Every cell an export writes, made inert: a person's text is shown, never run.

Names, addresses, notes and need descriptions come from people, files and the server.
A spreadsheet program runs a cell that starts with `=` (and, in a .csv, with `+ - @`,
tab or CR) as a formula: `=HYPERLINK(...)` becomes a live link in the printed ledger,
`=cmd|...` asks to start a program. So every value of every export — the ledgers on the
laptop and on the server, the importer's rejects file — goes through `write_row` (the
ledgers' .xlsx, written by xlsxwriter), `append` (openpyxl's, the rejects file) or `csv_value`
(for .csv) here, and nowhere else:

- .xlsx: every string is a string cell (`data_type = "s"`) holding exactly the text, so
  `=1+2` reads `=1+2`. openpyxl would otherwise make it a formula, and `#N/A` an error;
  xlsxwriter's `write` would too, so `write_row` calls `write_string`, never `write`.
- .csv: a string starting with one of `FORMULA_STARTS` gets a leading `'` (OWASP's advice
  for CSV injection): a spreadsheet shows it as text, a person still reads the value.
- Both: characters a workbook cannot hold are replaced by visible stand-ins (`visible`),
  so a hostile note can never make an export fail or write a file Excel calls corrupt.

Numbers stay numbers (a count, an age); only strings are touched.

Full-width and small look-alikes (`＝ ＋ － ＠`, `﹦ ﹢ ﹣ ﹫`) count as formula starts
in a .csv too: LibreOffice reads `＝1+2` as text, but a program that folds characters to
their NFKC form before parsing would not, and a stray `'` costs less than a live formula.
In an .xlsx they need nothing: every string there is a string cell.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from copy import copy
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Each library loads where it is used: a ledger needs no openpyxl (~0.2 s to import),
    # the importer no xlsxwriter.
    from openpyxl.cell.cell import Cell as WorkbookCell
    from openpyxl.styles import NamedStyle
    from openpyxl.worksheet.worksheet import Worksheet
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet as XlsxSheet

#: What a ledger cell holds before it is written.
Cell = str | int | float | None

#: The first characters that make a spreadsheet read a .csv field as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

#: Control characters XML 1.0 (so .xlsx) cannot hold — openpyxl raises IllegalCharacterError
#: on them; tab, LF and CR are allowed and kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Lone surrogates (a file or JSON can carry them) cannot be encoded as UTF-8 at all, and
#: U+FFFE/U+FFFF are not XML characters: openpyxl writes them and the book will not open.
_UNWRITABLE = re.compile(r"[\ud800-\udfff\ufffe\uffff]")
#: Either of the two above.
_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _picture(match: re.Match[str]) -> str:
    # U+2400 + n is the Unicode "control picture" of control character n (␀, ␇, ␛): the
    # reader sees that something was there and which, instead of losing it or the export.
    return chr(0x2400 + ord(match.group()))


def visible(text: str) -> str:
    """`text` with what a workbook cannot hold replaced by something a person can see.

    Control characters become their control pictures (ESC → ␛); lone surrogates and the
    non-characters U+FFFE/U+FFFF become U+FFFD (�). Everything else is kept as it is.
    """
    if _UNSAFE.search(text) is None:
        # Almost every text: one scan, where the two replacements would scan it twice.
        return text
    return _UNWRITABLE.sub("\ufffd", _CONTROL.sub(_picture, text))


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take `text`, read from a .csv, for a formula."""
    return unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_STARTS)


def csv_value(value: Cell) -> Cell:
    """`value` as a .csv field: a formula-like string behind a `'`, numbers unchanged."""
    if not isinstance(value, str):
        return value
    text = visible(value)
    return f"'{text}" if formula_like(text) else text


def append(sheet: Worksheet, values: Sequence[Cell], style: NamedStyle | None = None) -> int:
    """`sheet.append(values)` with every string a string cell; returns the row's number.

    `style`: a named style every cell of the row takes; the workbook must have it already
    (`add_named_style`), so that its fonts and borders are numbered in it.
    The ledgers never append an empty row; for one, the number returned is the row above.
    """
    row = [_cell(sheet, n, value, style) for n, value in enumerate(values, start=1)]
    sheet.append(row)
    # The cells are made here, not by `append`, so that the row's number and its styles
    # need no look-up: `sheet.max_row` and `sheet[n]` scan every cell of the sheet, which
    # made a ledger of a few thousand rows take seconds.
    return row[0].row if row else sheet.max_row


def _line_ends(text: str) -> str:
    # A CR is not a line in a cell: openpyxl's files had it read back as LF (XML folds line
    # ends), xlsxwriter would keep it as `_x000D_`, which only some programs undo.
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _rich_looking(text: str) -> bool:
    # xlsxwriter copies a string that starts with <r> and ends with </r> into the XML as it
    # is (it takes it for its own rich text, already escaped): a note `<r></t></r>` would
    # make a book no program opens.
    return text.startswith("<r>") and text.endswith("</r>")


def write_row(sheet: XlsxSheet, row: int, values: Sequence[Cell], style: Format | None) -> None:
    """Row `row` (from 0) of an xlsxwriter `sheet`: every string a string cell, every
    number a number, and with `style` every cell of the row, empty ones too (their box)."""
    for column, value in enumerate(values):
        if isinstance(value, str):
            text = _line_ends(visible(value))
            if _rich_looking(text):
                # Two runs of rich text, each escaped by xlsxwriter, in the cell's own font:
                # the same text, looking the same.
                if style is None:
                    from xlsxwriter.format import Format

                font = style if style is not None else Format()
                sheet.write_rich_string(row, column, font, text[:1], font, text[1:], style)
            else:
                sheet.write_string(row, column, text, style)
        elif value is None:
            if style is not None:
                sheet.write_blank(row, column, None, style)
        else:
            sheet.write_number(row, column, value, style)


def _cell(sheet: Worksheet, column: int, value: Cell, style: NamedStyle | None) -> WorkbookCell:
    from openpyxl.cell.cell import Cell as WorkbookCell

    # A copy of the style's numbers, as `cell.style = style` makes, without its search of
    # the workbook's styles for one equal to it (a comparison of every font and border).
    styled = None if style is None else copy(style.as_tuple())
    text = visible(value) if isinstance(value, str) else value
    # Row 0 until `sheet.append` gives the cell its row (the next below every other).
    cell = WorkbookCell(sheet, row=0, column=column, value=text, style_array=styled)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def write_csv(path: Path, rows: Iterable[Sequence[Cell]]) -> None:
    """Write `rows` as UTF-8 with a BOM (so Excel opens the Chinese right), every field inert."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        for row in rows:
            writer.writerow([csv_value(v) for v in row])


def write_table(path: Path, rows: Iterable[Sequence[Cell]]) -> None:
    """Write `rows` plainly, as .csv for a .csv `path` and as a one-sheet .xlsx otherwise."""
    if path.suffix.lower() == ".csv":
        write_csv(path, rows)
        return
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        append(sheet, row)
    book.save(path)
