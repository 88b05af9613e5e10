"""Workbooks built byte by byte: bombs and odd files the importer must refuse quickly.

Each is small on disk; what makes it hostile is what a reader would build from it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def sheet_xml(rows: Iterable[tuple[int, Iterable[str]]], dimension: str | None) -> bytes:
    """A worksheet part: rows given as (row number, cells already written)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(f'<row r="{n}">{"".join(cells)}</row>' for n, cells in rows)
    return f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


def rewrite(path: Path, members: dict[str, bytes]) -> Path:
    """`path` (an .xlsx) with these members replaced or added."""
    with zipfile.ZipFile(path) as source:
        kept = {n: source.read(n) for n in source.namelist() if n not in members}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in {**kept, **members}.items():
            target.writestr(name, data)
    return path


def base(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    book.save(path)
    return path


def header_cells() -> list[str]:
    return [cell("A1", "姓名"), cell("B1", "身份证号")]


def row_bomb(path: Path) -> Path:
    """One cell in Excel's last row, under a dimension claiming the whole grid."""
    rows = [(1, header_cells()), (1_048_576, [cell("A1048576", "x")])]
    xml = sheet_xml(rows, "A1:XFD1048576")
    return rewrite(base(path), {"xl/worksheets/sheet1.xml": xml})


def column_bomb(path: Path, cells: int = 0) -> Path:
    """A header reaching Excel's last column; or, with `cells`, that many cells and no size."""
    if cells:
        many = (
            f'<c r="{_letters(i + 1)}1" t="inlineStr"><is><t>x</t></is></c>' for i in range(cells)
        )
        xml = sheet_xml([(1, [*header_cells(), *many])], None)
    else:
        xml = sheet_xml([(1, [*header_cells(), cell("XFD1", "x")])], "A1:XFD1")
    return rewrite(base(path), {"xl/worksheets/sheet1.xml": xml})


def string_bomb(path: Path, entries: int, declared: int) -> Path:
    """A shared-string table with `entries` strings that says it has `declared`."""
    strings = "<si><t>x</t></si>" * entries
    sst = f'<sst xmlns="{MAIN}" count="{declared}" uniqueCount="{declared}">{strings}</sst>'
    base(path)
    with zipfile.ZipFile(path) as source:
        types = source.read("[Content_Types].xml").decode()
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
    types = types.replace("</Types>", override + "</Types>")
    return rewrite(
        path, {"xl/sharedStrings.xml": sst.encode(), "[Content_Types].xml": types.encode()}
    )


def sparse_grid(path: Path) -> Path:
    """A header at A1 and one cell at GR50000: within the row and column limits, and a
    grid of ten million cells to a reader that holds the sheet whole."""
    rows = [(1, header_cells()), (50_000, [cell("GR50000", "x")])]
    return rewrite(base(path), {"xl/worksheets/sheet1.xml": sheet_xml(rows, None)})


def ratio_bomb(path: Path, size: int = 4 * 1024 * 1024) -> Path:
    """A member that unpacks a thousand times its packed size."""
    return rewrite(base(path), {"xl/media/image1.png": b"\0" * size})


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def in_child(script: str, *paths: Path) -> subprocess.CompletedProcess[str]:
    """`script` run by a fresh interpreter on `paths` (its argv), with the project on its
    path and nothing else of this process's: for what a child's own modules or memory
    limit show (a bomb refused under a cap, a library never loaded)."""
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent), "PATH": "/usr/bin:/bin"},
        check=False,
    )
