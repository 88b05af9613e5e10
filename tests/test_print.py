"""The printed ledgers, proven: LibreOffice turns each export into a PDF that fits the paper.

Every page must be A4 landscape and one page wide (each page carries a whole header row:
its first and last columns), and the PDF's text must hold the Chinese title and header
words. Needs LibreOffice (`soffice`) and poppler-utils (`pdfinfo`, `pdftotext`);
`scripts/dev.py test` installs them on Debian. In CI a missing tool fails the test.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from civtui.excel.export import Ledger, export_ledger
from db import Store
from tests.conftest import TODAY, run_cli
from tests.test_ledger_layout import LONG_NOTE, visits_with_notes

TOOLS = ("soffice", "pdfinfo", "pdftotext")
A4_LANDSCAPE = (841.89, 595.28)
LEDGERS = ("visits", "child-checks", "needs")


run = run_cli


@pytest.fixture
def tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    message = f"{', '.join(missing)} not installed (python3 scripts/dev.py test installs them)"
    if os.environ.get("CI"):
        pytest.fail(f"the print test must run in CI: {message}")
    pytest.skip(message)


def pages(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "9999", str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert len(sizes) == count
    return [(float(w), float(h)) for w, h in sizes]


def page_text(pdf: Path, page: int) -> str:
    out = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # A header that wraps in its cell comes out on two lines; compare without blanks.
    return re.sub(r"\s+", "", out)


@pytest.mark.slow
def test_every_exported_ledger_prints_on_a4_landscape_one_page_wide(
    home: Path, tmp_path: Path, tools: None
) -> None:
    assert run("demo", "--persons", "150", "--seed", "2").exit_code == 0
    month = TODAY.strftime("%Y-%m")
    books = []
    for kind in LEDGERS:
        out = tmp_path / f"{kind}.xlsx"
        result = run(
            "export", kind, *(["--month", month] if kind != "needs" else []), "-o", str(out)
        )
        assert result.exit_code == 0, result.output
        books.append(out)
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, books),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    villages = [v["name"] for v in json.loads(run("status", "--json").stdout)["villages"]]
    for book in books:
        pdf = book.with_suffix(".pdf")
        assert pdf.exists(), book.name
        sheets = load_workbook(book).worksheets
        headers = [[str(c.value) for c in ws[2] if c.value] for ws in sheets]
        titles = [str(ws["A1"].value) for ws in sheets]
        sizes = pages(pdf)
        assert len(sizes) >= len(sheets)
        texts = [page_text(pdf, n) for n in range(1, len(sizes) + 1)]
        for number, ((width, height), text) in enumerate(zip(sizes, texts, strict=True), 1):
            where = f"{pdf.name} page {number}"
            assert abs(width - A4_LANDSCAPE[0]) < 2 and abs(height - A4_LANDSCAPE[1]) < 2, where
            # One page wide: the page holds a whole header row, first column to last.
            assert any(
                re.sub(r"\s+", "", h[0]) in text and re.sub(r"\s+", "", h[-1]) in text
                for h in headers
            ), where
        numbered_per_sheet(book, texts)
        everything = "".join(texts)
        for title in titles:
            assert title in everything, (pdf.name, title)
        for header in headers:
            assert all(re.sub(r"\s+", "", h) in everything for h in header), pdf.name
        assert all(v in everything for v in villages)
    visits_pdf = tmp_path / "visits.pdf"
    visits = "".join(page_text(visits_pdf, n) for n in range(1, len(pages(visits_pdf)) + 1))
    for words in ("2026年11月探访台账", "存在问题", "处理情况", "探访人签字", "填表人", "审核人"):
        assert words in visits, words


def numbered_per_sheet(book: Path, texts: list[str]) -> list[list[int]]:
    """The page numbers the PDF of `book` prints, sheet by sheet, each sheet's pages saying
    第 x 页，共 n 页 with n its own count (not the workbook's)."""
    said = [re.findall(r"第(\d+)页，共(\d+)页", text) for text in texts]
    assert all(len(s) == 1 for s in said), said
    runs: list[list[tuple[int, int]]] = []
    for [(page, total)] in said:
        if page == "1":
            runs.append([])
        runs[-1].append((int(page), int(total)))
    assert len(runs) == len(load_workbook(book).worksheets), said
    for run_ in runs:
        assert run_ == [(n, len(run_)) for n in range(1, len(run_) + 1)], said
    return [[page for page, _ in run_] for run_ in runs]


def words(pdf: Path) -> list[str]:
    """The PDF's words (for CJK text: its printed lines) in the order they are drawn, but
    the footers (第 x 页，共 y 页)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = " ".join(html.unescape(w) for w in re.findall(r"<word [^>]*>([^<]*)</word>", out))
    return re.sub(r"第 \d+ 页，共 \d+ 页", " ", found).split()


def convert(tmp_path: Path, *books: Path) -> None:
    """The books as PDFs beside them, as LibreOffice prints them."""
    profile = tmp_path / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, books),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_2000_character_note_prints_whole_and_pages_count_per_sheet(
    store: Store, tmp_path: Path, tools: None
) -> None:
    visits_with_notes(store, [LONG_NOTE, *["一切正常"] * 40, LONG_NOTE])
    book = tmp_path / "long.xlsx"
    export_ledger(store, Ledger.VISITS, book, month=TODAY, today=TODAY)
    convert(tmp_path, book)
    pdf = book.with_suffix(".pdf")
    texts = [page_text(pdf, n) for n in range(1, len(pages(pdf)) + 1)]
    # Both notes are on paper, whole and in order: nothing cut off by a row's height. Read
    # line by line (a cell's other columns print between its lines), keeping the lines
    # made only of the note's characters.
    alphabet = set(LONG_NOTE)
    lines = [line for line in words(pdf) if set(line) <= alphabet and not line.isdigit()]
    assert "".join(lines) == LONG_NOTE * 2
    assert len(numbered_per_sheet(book, texts)[0]) >= 3
