"""Every import problem and the CLI's own messages, said in English with `--lang en`.

The data in these rosters is ASCII on purpose: then any Chinese character in the English
output is a word the program forgot to translate, not a name someone typed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

from civtui.cli import main
from civtui.excel import importer
from civtui.i18n import STRINGS
from civtui.i18n.cli import STRINGS as CLI_STRINGS
from tests import workbooks
from tests.conftest import TODAY, VILLAGE, synthetic_id

CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
HEADERS = ["姓名", "身份证号", "联系电话", "村(社区)", "残疾等级"]
#: Every code the importer can report: each has its words under `import.<code>`.
CODES = {
    key.removeprefix("import.")
    for key in CLI_STRINGS
    if key.startswith("import.") and not key.endswith(".fix")
}


def run(lang: str, *args: str) -> Result:
    return CliRunner().invoke(
        main, ["--lang", lang, "--today", TODAY.isoformat(), *args], catch_exceptions=False
    )


def xlsx(path: Path, body: list[list[Any]], header: list[str] = HEADERS) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def person(i: int, **changes: Any) -> list[Any]:
    row: dict[str, Any] = {
        "name": f"Lin A{chr(97 + i)}",
        "id": synthetic_id(dt.date(1950, 1, 1 + i), seq=2 * i + 1),
        "phone": "13905801234",
        "village": "Haixing",
        "grade": "",
    }
    row.update(changes)
    return list(row.values())


def walk(lang: str, folder: Path) -> tuple[list[Result], set[str]]:
    """Provoke every import problem and the CLI's messages; return outputs and codes seen."""
    folder.mkdir()
    init = ["init", "--village-code", VILLAGE, "--village-name", "Haixing"]
    results = [run(lang, *init, "--staff", "Wang", "--role", "assistant")]
    results.append(run(lang, *init, "--staff", "Wang", "--role", "assistant"))  # exists
    results.append(run(lang, "--today", "2026-13-01", "status"))
    results.append(run(lang, "--profile", "nobody", "status"))
    results.append(run(lang, "status"))
    seen: set[str] = set()

    def imported(path: Path, *options: str) -> dict[str, Any]:
        as_json = run(lang, "import", "persons", str(path), "--json", *options)
        # The same file again, as people see it (by then its good rows are registered).
        results.extend([as_json, run(lang, "import", "persons", str(path), *options)])
        summary: dict[str, Any] = json.loads(as_json.stdout)
        listed = ("problems", "warnings", "skipped", "notes")
        for item in (item for key in listed for item in summary[key]):
            seen.add(item["code"])
        return summary

    good = [person(0), person(1, grade="1")]
    imported(xlsx(folder / "good.xlsx", good))
    # Again: both already registered; one more with the same name and birth: a likely twin.
    twin = person(0, id=synthetic_id(dt.date(1950, 1, 1), seq=503))
    imported(xlsx(folder / "again.xlsx", [*good, twin]))
    bad_check = person(2)
    bad_check[1] = bad_check[1][:-1] + ("0" if bad_check[1][-1] != "0" else "1")
    numeric = person(3)
    numeric[1] = int(numeric[1][:15] + "000")
    body = [
        bad_check,
        numeric,
        person(4, village="Nowhere"),
        person(5),
        person(5, name="Lin Copy"),
        person(6, phone="12345"),
        person(8, phone=13905801234),
    ]
    imported(xlsx(folder / "bad.xlsx", body))
    imported(xlsx(folder / "bad2.xlsx", body), "--skip-invalid")
    imported(xlsx(folder / "bad3.xlsx", body), "--dry-run")
    imported(xlsx(folder / "clean.xlsx", [person(7)]), "--dry-run")
    # A sheet as offices lay it out: a title above the header, columns the importer does
    # not use, a first-generation ID, a label that is no choice, a signing line below.
    old = person(9)
    old[1] = old[1][:6] + old[1][8:17]
    laid_out = [
        ["Haixing roster"],
        ["No.", *HEADERS, "Remarks2", "类别"],
        [1, *old, "x", ""],
        [2, *person(10), "", "Nobody"],
        ["填表人：Wang", "", "审核人：Li"],
        [3, *person(11), "", ""],
    ]
    imported(xlsx(folder / "laid_out.xlsx", laid_out[1:], laid_out[0]))
    # A hidden sheet and a second roster passed over; grouped header; digits of another
    # script; text a spreadsheet would run as a formula.
    book = Workbook()
    hidden = book.active
    assert hidden is not None
    hidden.title = "Old"
    hidden.sheet_state = "hidden"
    first = book.create_sheet("Now")
    first.append(["Person", "", "Guardian", ""])
    first.merge_cells("A1:B1")
    first.merge_cells("C1:D1")
    first.append(["Name", "ID number", "Name", "Phone"])
    foreign = "".join(chr(0x0660 + int(d)) if d.isdigit() else d for d in person(12)[1])
    first.append(["@Lin", foreign, "Lin Mu", "13905805678"])
    book.create_sheet("More").append(HEADERS)
    book.save(folder / "sheets.xlsx")
    imported(folder / "sheets.xlsx")
    # A column with data and no header of its own is named in the report, not dropped.
    imported(xlsx(folder / "unnamed.xlsx", [[*person(15), "extra"]], [*HEADERS, ""]))
    # The whole file is wrong: each way gives its own message.
    broken = folder / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    utf16 = folder / "utf16.csv"
    utf16.write_bytes("姓名,身份证号\n".encode("utf-16"))
    empty = folder / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    no_suffix = folder / "roster"
    no_suffix.write_text("x", encoding="utf-8")
    text = folder / "roster.txt"
    text.write_text("x", encoding="utf-8")
    missing = xlsx(folder / "missing.xlsx", [["Wang", "13905801234"]], ["姓名", "联系电话"])
    broken = folder / "damaged.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook")
    looks_text = folder / "text.xlsx"
    looks_text.write_text("Name,ID\n", encoding="utf-8")
    zero = folder / "zero.xlsx"
    zero.write_bytes(b"")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    old_xls = folder / "old.xls"
    old_xls.write_bytes(ole)
    encrypted = folder / "locked.xlsx"
    encrypted.write_bytes(ole + "EncryptionInfo".encode("utf-16-le"))
    html = folder / "page.xls"
    html.write_bytes(b"<html><table></table></html>")
    binary = folder / "image.xlsx"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    plain_zip = folder / "archive.xlsx"
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    two_phones = xlsx(folder / "phones.xlsx", [person(13)], ["Name", "ID number", "Phone", "Phone"])
    unclosed = folder / "unclosed.csv"
    unclosed.write_text('姓名,身份证号\n"Lin,1\nWang,2\n', encoding="utf-8")
    long_line = folder / "long.csv"
    long_line.write_text("姓名,身份证号\n" + "x" * 300_000 + "\n", encoding="utf-8")
    big = folder / "big.csv"
    big.write_bytes(b"x" * (21 * 2**20))
    files = {
        "file.unreadable": broken,
        "file.looks_text": looks_text,
        "file.zero_bytes": zero,
        "file.old_xls": old_xls,
        "file.encrypted": encrypted,
        "file.looks_html": html,
        "file.not_excel": binary,
        "file.zip_not_xlsx": plain_zip,
        "file.ambiguous_columns": two_phones,
        "file.too_large": big,
        "file.csv_malformed": unclosed,
        "file.csv_line_too_long": long_line,
        "file.too_many_rows": workbooks.row_bomb(folder / "rows.xlsx"),
        "file.too_many_columns": workbooks.column_bomb(folder / "columns.xlsx"),
        "file.too_many_strings": workbooks.string_bomb(folder / "s.xlsx", 1, 2_000_000_000),
        "file.zip_ratio": workbooks.ratio_bomb(folder / "ratio.xlsx"),
        "file.encoding": utf16,
        "file.empty": empty,
        "file.no_extension": no_suffix,
        "file.unsupported": text,
        "file.missing_columns": missing,
    }
    for code, path in files.items():
        result = run(lang, "import", "persons", str(path))
        assert result.exit_code == 2, (code, result.output)
        results.append(result)
        seen.add(code)
    hidden_only = workbooks.base(folder / "hidden.xlsx")
    with zipfile.ZipFile(hidden_only) as archive:
        xml = archive.read("xl/workbook.xml").decode().replace('state="visible"', 'state="hidden"')
    workbooks.rewrite(hidden_only, {"xl/workbook.xml": xml.encode()})
    unpacked = xlsx(folder / "unpacked.xlsx", [person(14)])
    small = dataclasses.replace(importer.LIMITS, unpacked_bytes=4096)
    for code, args in (
        ("file.no_sheet", [str(folder / "sheets.xlsx"), "--sheet", "Nope"]),
        ("file.no_visible_sheet", [str(hidden_only)]),
        ("file.unpacked_too_large", [str(unpacked)]),
    ):
        with mock.patch.object(
            importer, "LIMITS", small if "unpacked" in code else importer.LIMITS
        ):
            result = run(lang, "import", "persons", *args)
        assert result.exit_code == 2, (code, result.output)
        results.append(result)
        seen.add(code)
    results.append(run(lang, "import", "template", "persons", "-o", str(folder / "t.csv")))
    results.append(run(lang, "import", "template", "persons", "-o", str(folder / "t.xlsx")))
    month = TODAY.strftime("%Y-%m")
    results.append(run(lang, "export", "visits", "--month", month, "-o", str(folder / "v.xlsx")))
    results.append(run(lang, "export", "visits", "--month", "2026/11", "-o", str(folder / "v")))
    results.append(run(lang, "export", "visits", "--month", "2020-01", "-o", str(folder / "v")))
    results.append(run(lang, "export", "needs", "-o", str(folder / "n.pdf")))
    results.append(run(lang, "report", "coverage"))
    results.append(run(lang, "report", "eligible"))
    results.append(run(lang, "report", "eligible", "--json"))
    for command in ([], ["import"], ["import", "persons"], ["export", "visits"], ["init"]):
        results.append(run(lang, *command, "--help"))
    # Click's own messages: a missing option or argument, a bad value, no such command.
    for wrong in (["import", "persons"], ["demo", "--persons", "0"], ["bogus"], ["init"]):
        result = run(lang, *wrong)
        assert result.exit_code == 2, result.output
        results.append(result)
    return results, seen


def output_of(results: list[Result]) -> str:
    return "\n".join(r.stdout + r.stderr for r in results)


def test_every_import_problem_and_cli_message_is_english_with_lang_en(
    home: Path, tmp_path: Path
) -> None:
    results, seen = walk("en", tmp_path / "en")
    assert seen == CODES  # every problem the importer knows was provoked and checked
    text = output_of(results)
    found = sorted({m.group() for m in CHINESE.finditer(text)})
    assert not found, [line for line in text.splitlines() if CHINESE.search(line)][:10]
    for words in (
        "already exists",
        "is not a date",
        "there is no profile",
        "Excel stored the ID number as a number",
        "is not a village of this laptop's profile",
        "has the same ID number as row",
        "check character should be",
        "possible duplicate",
        "Dry run passed",
        "Dry run done",
        "required columns are missing: ID number",
        "disability grade 1",
        "Import a roster of people",
        "Missing argument 'FILE'",
        "is not in the range",
        "No such command 'bogus'",
        "Missing option '--village-code'",
        "Show this message and exit.",
    ):
        assert words in text, words


def test_the_same_walk_in_chinese_holds_the_chinese_words(home: Path, tmp_path: Path) -> None:
    results, seen = walk("zh", tmp_path / "zh")
    assert seen == CODES
    text = output_of(results)
    for words in (
        "已存在",
        "不是有效日期",
        "不存在",
        "Excel 把身份证号存成了数字",
        "不是本机档案中的村(社区)",
        "身份证号重复",
        "校验位",
        "疑似重复",
        "试运行通过",
        "试运行结束",
        "缺少必需的列：身份证号",
        "残疾等级为1级",
        "从 Excel/CSV 导入服务对象名册",
        "错误：",
        "缺少参数 'FILE'",
        "不在 1<=x<=200000 范围内",
        "没有 'bogus' 这个命令",
        "缺少选项 '--village-code'",
        "显示本帮助并退出",
        "用法:",
    ):
        assert words in text, words
    # The English words of the same messages do not leak into the Chinese.
    assert "Dry run" not in text and "Error:" not in text and "Usage:" not in text


@pytest.mark.parametrize("key", sorted(CLI_STRINGS))
def test_each_cli_string_is_english_in_english(key: str) -> None:
    zh, en = STRINGS[key]
    assert not CHINESE.search(en.replace("“CSV UTF-8”", "")), key
    assert zh and en
