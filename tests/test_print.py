"""The printed ledgers, proven: LibreOffice turns each export into a PDF that fits the paper.

Every page must be A4 landscape and one page wide (each page carries a whole header row:
its first and last columns), and the PDF's text must hold the Chinese title and header
words. Needs LibreOffice (`soffice`) and poppler-utils (`pdfinfo`, `pdftotext`);
`scripts/dev.py test` installs them on Debian. In CI a missing tool fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from civtui.cli import main
from tests.conftest import TODAY

TOOLS = ("soffice", "pdfinfo", "pdftotext")
A4_LANDSCAPE = (841.89, 595.28)
LEDGERS = ("visits", "child-checks", "needs")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], catch_exceptions=False)


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
        everything = "".join(texts)
        for title in titles:
            assert title in everything, (pdf.name, title)
        for header in headers:
            assert all(re.sub(r"\s+", "", h) in everything for h in header), pdf.name
        assert all(v in everything for v in villages)
    visits = "".join(page_text(tmp_path / "visits.pdf", n) for n in range(1, 3))
    for words in ("2026年11月探访台账", "存在问题", "处理情况", "探访人签字", "填表人", "审核人"):
        assert words in visits, words
