"""Imports that are bounded, refuse what is not a roster, and read the sheet people see."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any, Literal

import pytest
from click.testing import Result
from openpyxl import Workbook
from pydantic import ValidationError

from civtui.domain import resident_id
from civtui.domain.models import Person
from civtui.excel import importer
from civtui.services.profile import Profile
from tests import workbooks
from tests.conftest import CTX, TODAY, VILLAGE, run_cli, stored_people, synthetic_id

ROOT = Path(__file__).resolve().parent.parent
ALIVE = synthetic_id(dt.date(1950, 2, 3), seq=11)
DEAD = synthetic_id(dt.date(1931, 5, 6), seq=13)


run = run_cli


@pytest.fixture
def profile(cli_profile: Profile) -> Profile:
    return cli_profile


people = stored_people


def refused(path: Path, *options: str) -> str:
    result = run("import", "persons", str(path), *options)
    assert result.exit_code == 2, result.output
    return result.output


def imported(path: Path, *options: str) -> tuple[Result, dict[str, Any]]:
    result = run("import", "persons", str(path), "--json", *options)
    return result, json.loads(result.stdout)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> importer.Limits:
    limits = importer.Limits(
        file_bytes=64 * 1024, unpacked_bytes=2**20, rows=10, columns=8, shared_strings=50
    )
    monkeypatch.setattr(importer, "LIMITS", limits)
    return limits


# -- bombs and oversize files -------------------------------------------------------


def test_row_bomb_is_refused_naming_the_row_limit(profile: Profile, tmp_path: Path) -> None:
    said = refused(workbooks.row_bomb(tmp_path / "bomb.xlsx"))
    assert "第1048576行超过了行数上限（50000行）" in said
    assert people(profile) == []


def test_column_bomb_is_refused_naming_the_column_limit(profile: Profile, tmp_path: Path) -> None:
    said = refused(workbooks.column_bomb(tmp_path / "wide.xlsx"))
    assert "第16384列，超过了列数上限（200列）" in said
    # Without a declared size openpyxl would walk the sheet while opening it: refused first.
    said = refused(workbooks.column_bomb(tmp_path / "unsized.xlsx", cells=1000))
    assert "第201列，超过了列数上限（200列）" in said
    assert people(profile) == []


def test_shared_string_bomb_is_refused_by_its_count_or_its_entries(
    profile: Profile, tmp_path: Path, small_limits: importer.Limits
) -> None:
    said = refused(workbooks.string_bomb(tmp_path / "a.xlsx", entries=1, declared=2_000_000_000))
    assert "共享字符串）超过上限50个" in said
    # A table that under-declares is counted as it streams by.
    said = refused(workbooks.string_bomb(tmp_path / "b.xlsx", entries=60, declared=1))
    assert "超过上限50个（已数到51个）" in said
    assert people(profile) == []


def test_high_ratio_member_is_refused_before_it_is_unpacked(
    profile: Profile, tmp_path: Path
) -> None:
    said = refused(workbooks.ratio_bomb(tmp_path / "r.xlsx"))
    assert "xl/media/image1.png 压缩了" in said and "超过上限 100 倍" in said
    assert people(profile) == []


def test_file_and_unpacked_sizes_are_bounded(
    profile: Profile, tmp_path: Path, small_limits: importer.Limits
) -> None:
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (small_limits.file_bytes + 1))
    assert "超过导入上限 64 KB" in refused(big)
    # An ordinary workbook unpacks to more than the 4 KB allowed here.
    importer.LIMITS = dataclasses.replace(small_limits, unpacked_bytes=4096)
    said = refused(workbooks.base(tmp_path / "w.xlsx"))
    assert "解压后有" in said and "超过上限 4 KB" in said


def test_csv_rows_and_columns_are_bounded(
    profile: Profile, tmp_path: Path, small_limits: importer.Limits
) -> None:
    path = tmp_path / "long.csv"
    lines = [["姓名", "身份证号"], *[[f"人{i}", ALIVE] for i in range(20)]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    assert "long.csv”的第11行超过了行数上限（10行）" in refused(path)
    wide = tmp_path / "wide.csv"
    wide.write_text("姓名,身份证号" + ",x" * 20 + "\n", encoding="utf-8")
    assert "超过了列数上限（8列）" in refused(wide)
    assert people(profile) == []


def test_row_bomb_is_refused_within_300_mb(tmp_path: Path) -> None:
    """The address space is capped, so building the padded grid would fail, not just slow."""
    bomb = workbooks.row_bomb(tmp_path / "bomb.xlsx")
    wide = workbooks.column_bomb(tmp_path / "wide.xlsx", cells=50_000)
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "cap = 300 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "from civtui.excel import importer\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importer.read_table(Path(name))\n"
        "    except importer.ImportFileError as exc:\n"
        "        print(exc.code)\n"
    )
    done = workbooks.in_child(script, bomb, wide)
    assert done.stdout.split() == ["file.too_many_rows", "file.too_many_columns"], done.stderr


@pytest.mark.parametrize(
    "body",
    [
        f'王阿公,{ALIVE},"{"海" * 140_000}"\n',  # one cell past the csv module's 131,072
        f'"王阿公,{ALIVE}\n李阿婆,{DEAD}\n',  # an unclosed quote swallows the rows below
        f'王阿公,{ALIVE},"海滨"路\n',  # a quoted cell with text after its closing quote
    ],
    ids=["long-cell", "unclosed-quote", "text-after-quote"],
)
def test_csv_field_limit_or_unclosed_quote_is_refused_in_words_not_a_csv_error(
    profile: Profile, tmp_path: Path, body: str
) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text("姓名,身份证号,住址\n" + body, encoding="utf-8")
    said = refused(path)
    assert "quotes.csv 从第2行起读不下去" in said and "引号" in said
    assert "131072" in said and "Error" not in said
    assert people(profile) == []


def test_csv_comma_bomb_is_refused_before_the_csv_reader_builds_the_row(tmp_path: Path) -> None:
    """Under the 300 MB cap: a line of commas, lines of commas, a record of quoted lines."""
    size = 19 * 2**20
    one_line = tmp_path / "one.csv"
    one_line.write_bytes(b"\xe5\xa7\x93\xe5\x90\x8d," + b"," * size)
    lines = tmp_path / "lines.csv"
    lines.write_bytes(("姓名,身份证号\n" + "," * 250_000 + "\n").encode() * 70)
    quoted = tmp_path / "quoted.csv"
    quoted.write_bytes('姓名,身份证号\n"\n",'.encode() + b'"\n",' * (size // 4))
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "cap = 300 * 2**20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "from civtui.excel import importer\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importer.read_table(Path(name))\n"
        "    except importer.ImportFileError as exc:\n"
        "        print(exc.code)\n"
    )
    done = workbooks.in_child(script, one_line, lines, quoted)
    codes = ["file.csv_line_too_long", "file.too_many_columns", "file.too_many_columns"]
    assert done.stdout.split() == codes, done.stderr


def test_csv_commas_inside_quotes_are_no_columns(
    profile: Profile, tmp_path: Path, small_limits: importer.Limits
) -> None:
    path = tmp_path / "notes.csv"
    note = "走访记录：" + "，,".join(["好"] * 30) + "\n第二行"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["姓名", "身份证号", "备注"], ["王阿公", ALIVE, note]])
    result, _ = imported(path)
    assert result.exit_code == 0, result.output
    assert [p.notes for p in people(profile)] == [note]


# -- files that are not rosters ------------------------------------------------------

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504


def _zip(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("空.xlsx", b"", "0 字节"),
        ("旧.xls", OLE2 + b"W\0o\0r\0k\0b\0o\0o\0k\0", "旧版 Excel 97-2003"),
        ("密.xlsx", OLE2 + "EncryptionInfo".encode("utf-16-le"), "设置了打开密码"),
        ("网页.xls", b"\xef\xbb\xbf<html><body><table><tr><td>x</td></tr></table>", "网页（HTML）"),
        ("文本.xlsx", "姓名,身份证号\n王,1\n".encode(), "内容却是 CSV 或纯文本"),
        ("图.xlsx", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "既不是 Excel 工作簿"),
    ],
)
def test_a_file_that_is_not_excel_says_what_it_looks_like(
    profile: Profile, tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    said = refused(path)
    assert words in said and ("另存为" in said or "重新" in said)
    assert "zip" not in said.lower()


def test_a_zip_that_is_no_workbook_is_named_as_one(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "名册.xlsx"
    _zip(path)
    assert "是压缩包" in refused(path)


def test_an_xlsx_named_csv_is_read_by_what_it_is(profile: Profile, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    sheet.append(["王阿公", ALIVE])
    book.save(tmp_path / "名册.csv")
    result, _ = imported(tmp_path / "名册.csv")
    assert result.exit_code == 0, result.output
    assert [p.name for p in people(profile)] == ["王阿公"]


# -- the sheet people see ---------------------------------------------------------


def two_sheets(path: Path, state: Literal["hidden", "veryHidden"]) -> Path:
    """Last year's roster hidden in front of this year's."""
    book = Workbook()
    old = book.active
    assert old is not None
    old.title = "去年名册"
    old.append(["姓名", "身份证号", "户籍状况"])
    old.append(["陈阿公", DEAD, "在册"])
    old.sheet_state = state
    new = book.create_sheet("名册")
    new.append(["姓名", "身份证号", "户籍状况"])
    new.append(["林阿婆", ALIVE, "在册"])
    book.save(path)
    return path


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_first_sheet_is_not_imported(
    profile: Profile, tmp_path: Path, state: Literal["hidden", "veryHidden"]
) -> None:
    result, summary = imported(two_sheets(tmp_path / "a.xlsx", state))
    assert result.exit_code == 0, result.output
    assert [p.name for p in people(profile)] == ["林阿婆"]
    assert (summary["sheet"], summary["header_row"]) == ("名册", 1)
    notes = {n["code"]: n for n in summary["notes"]}
    assert "去年名册" in notes["hidden_sheets_skipped"]["problem"]
    assert "“名册”，表头在第1行" in notes["sheet_used"]["problem"]
    # The table output names the sheet too.
    plain = run("import", "persons", str(tmp_path / "a.xlsx"), "--dry-run")
    assert "读取的是工作表“名册”" in plain.output


def test_a_hidden_sheet_is_read_only_when_named(profile: Profile, tmp_path: Path) -> None:
    path = two_sheets(tmp_path / "a.xlsx", "hidden")
    result, summary = imported(path, "--sheet", "去年名册")
    assert result.exit_code == 0, result.output
    assert summary["sheet"] == "去年名册"
    assert [p.name for p in people(profile)] == ["陈阿公"]
    said = refused(path, "--sheet", "今年")
    assert "没有名为“今年”的工作表" in said and "去年名册、名册" in said


def test_every_sheet_hidden_is_refused(profile: Profile, tmp_path: Path) -> None:
    # Excel and openpyxl refuse to write this; other tools and hand-edited files do not.
    path = workbooks.base(tmp_path / "a.xlsx")
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/workbook.xml").decode()
    workbooks.rewrite(
        path,
        {"xl/workbook.xml": xml.replace('state="visible" r:id', 'state="hidden" r:id').encode()},
    )
    assert "所有工作表都是隐藏的" in refused(path)


def test_the_first_visible_roster_is_read_and_the_others_named(
    profile: Profile, tmp_path: Path
) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按模板填写"])
    for title, name, number in (("一组", "林阿婆", ALIVE), ("二组", "陈阿公", DEAD)):
        sheet = book.create_sheet(title)
        sheet.append(["姓名", "身份证号"])
        sheet.append([name, number])
    book.save(tmp_path / "a.xlsx")
    result, summary = imported(tmp_path / "a.xlsx")
    assert result.exit_code == 0, result.output
    assert summary["sheet"] == "一组"
    assert [p.name for p in people(profile)] == ["林阿婆"]
    other = next(n for n in summary["notes"] if n["code"] == "other_roster_sheets")
    assert "二组" in other["problem"] and "--sheet" in other["fix"]


# -- grouped headers -----------------------------------------------------------------


def grouped(path: Path, groups: list[tuple[str, str]], header: list[str], body: list[Any]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["海星村困境儿童名册"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    top: list[str] = []
    for text, span in groups:
        top += [text] + [""] * (len(span) - 1)
    sheet.append(top)
    column = 1
    for _, span in groups:
        if len(span) > 1:
            sheet.merge_cells(
                start_row=2, start_column=column, end_row=2, end_column=column + len(span) - 1
            )
        column += len(span)
    sheet.append(header)
    sheet.append(body)
    book.save(path)
    return path


def test_grouped_header_keeps_guardian_phone_apart(profile: Profile, tmp_path: Path) -> None:
    child = synthetic_id(dt.date(2016, 3, 4), seq=21)
    path = grouped(
        tmp_path / "a.xlsx",
        [("基本信息", "ab"), ("监护人", "cde")],
        ["姓名", "身份证号", "姓名", "电话", "关系"],
        ["小林", child, "林阿婆", "13905805678", "祖母"],
    )
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    [kid] = people(profile)
    assert (kid.name, kid.phone) == ("小林", None)
    assert (kid.guardian_name, kid.guardian_phone, kid.guardian_relation) == (
        "林阿婆",
        "13905805678",
        "祖母",
    )
    assert (summary["group_row"], summary["header_row"]) == (2, 3)
    codes = {n["code"] for n in summary["notes"]}
    assert {"grouped_header", "sheet_used", "header_found"} <= codes


def test_a_column_under_an_unknown_group_is_not_the_persons_own(
    profile: Profile, tmp_path: Path
) -> None:
    path = grouped(
        tmp_path / "a.xlsx",
        [("基本信息", "ab"), ("父亲", "cd")],
        ["姓名", "身份证号", "姓名", "电话"],
        ["小林", synthetic_id(dt.date(2016, 3, 4), seq=21), "林大", "13905805678"],
    )
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    [kid] = people(profile)
    assert (kid.phone, kid.guardian_phone, kid.guardian_name) == (None, None, "")
    unused = {n["column"] for n in summary["notes"] if n["code"] == "unused_column"}
    assert unused == {"父亲·姓名", "父亲·电话"}


def test_two_phone_columns_without_a_group_are_refused_naming_both(
    profile: Profile, tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "电话", "监护人", "电话"])
    sheet.append(["小林", ALIVE, "13905801234", "林阿婆", "13905805678"])
    book.save(tmp_path / "a.xlsx")
    said = refused(tmp_path / "a.xlsx")
    assert "第C列“电话”和第E列“电话”都会被当作“联系电话”" in said
    assert people(profile) == []


def test_grouped_header_beside_headers_merged_down_keeps_guardian_phone_apart(
    profile: Profile, tmp_path: Path
) -> None:
    """姓名 and 身份证号 merged down over both header rows, 监护人 over 姓名 | 电话."""
    child = synthetic_id(dt.date(2016, 3, 4), seq=21)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "监护人", ""])
    sheet.append(["", "", "姓名", "电话"])
    sheet.append(["小林", child, "林阿婆", "13905805678"])
    for cells in ("A1:A2", "B1:B2", "C1:D1"):
        sheet.merge_cells(cells)
    book.save(tmp_path / "a.xlsx")
    result, summary = imported(tmp_path / "a.xlsx")
    assert result.exit_code == 0, result.output
    [kid] = people(profile)
    assert (kid.name, kid.phone) == ("小林", None)
    assert (kid.guardian_name, kid.guardian_phone) == ("林阿婆", "13905805678")
    assert (summary["group_row"], summary["header_row"]) == (1, 2)


def test_a_column_without_a_header_but_with_data_is_reported_not_dropped_silently(
    profile: Profile, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"姓名,身份证号,\n王阿公,{ALIVE},13905805678\n", encoding="utf-8")
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    [note] = [n for n in summary["notes"] if n["code"] == "unnamed_column"]
    assert "第C列没有表头" in note["problem"] and "13905805678" in note["problem"]
    assert "表头" in note["fix"]


# -- ID numbers and text ---------------------------------------------------------


@pytest.mark.parametrize(
    "zero", ["\u0660", "\u0966", "\u09e6"]
)  # Arabic-Indic, Devanagari, Bengali
def test_other_scripts_digits_in_an_id_are_stored_as_ascii_with_a_warning(
    profile: Profile, tmp_path: Path, zero: str
) -> None:
    foreign = "".join(chr(ord(zero) + int(d)) if d.isdigit() else d for d in ALIVE)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号"])
    sheet.append(["林阿婆", foreign])
    book.save(tmp_path / "a.xlsx")
    result, summary = imported(tmp_path / "a.xlsx")
    assert result.exit_code == 0, result.output
    assert [p.id_number for p in people(profile)] == [ALIVE]
    [warning] = summary["warnings"]
    assert warning["code"] == "id_digits_converted" and ALIVE in warning["problem"]


def test_the_domain_refuses_other_scripts_digits_from_any_path() -> None:
    foreign = "".join(chr(0x0660 + int(d)) if d.isdigit() else d for d in ALIVE)
    data = {"village_code": VILLAGE, "name": "林", "id_number": foreign}
    with pytest.raises(ValidationError, match="其他文字的数字"):
        Person.model_validate(data, context=CTX)
    # A number stored before this check stays readable.
    assert resident_id.parse(foreign, TODAY, new=False).birth_date == dt.date(1950, 2, 3)


def test_excel_zeroed_sequence_in_a_csv_is_refused_even_when_the_checksum_fits(
    profile: Profile, tmp_path: Path
) -> None:
    zeroed = "330902194504090000"  # what format "0" leaves: and its check digit fits
    assert resident_id.check_char(zeroed[:17]) == zeroed[17]
    path = tmp_path / "a.csv"
    path.write_text(f"姓名,身份证号\n王阿公,{zeroed}\n", encoding="utf-8")
    result, summary = imported(path)
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert "顺序码为000" in problem["problem"] and "数字格式“0”" in problem["problem"]
    assert "文本" in problem["problem"]
    assert people(profile) == []


def test_formula_like_text_is_kept_and_warned(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    lines = [
        ["姓名", "身份证号", "住址", "备注"],
        ["=HYPERLINK(1)", ALIVE, "+海滨路1号", "@all"],
        ["-林阿婆", DEAD, "海滨路2号", ""],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    stored = {p.id_number: p for p in people(profile)}
    assert (stored[ALIVE].name, stored[ALIVE].address, stored[ALIVE].notes) == (
        "=HYPERLINK(1)",
        "+海滨路1号",
        "@all",
    )
    warned = {(w["row"], w["field"]) for w in summary["warnings"] if w["code"] == "formula_like"}
    assert warned == {(2, "name"), (2, "address"), (2, "notes"), (3, "name")}


def test_rejects_file_apostrophe_is_not_stored_when_the_csv_is_imported_again(
    profile: Profile, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    rows = [["姓名", "身份证号", "住址"], ["-林阿婆", "123", "=海滨路"], ["＋王阿公", "456", ""]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    first, _ = imported(path, "--skip-invalid")
    assert first.exit_code == 0, first.output
    rejects = tmp_path / "a.错误行.csv"
    body = rejects.read_text(encoding="utf-8-sig")
    assert "'-林阿婆" in body and "'＋王阿公" in body and "'=海滨路" in body
    # The office types the right numbers into the rejects file and imports it again.
    rejects.write_text(
        body.replace(",123,", f",{ALIVE},").replace(",456,", f",{DEAD},"), encoding="utf-8-sig"
    )
    result, summary = imported(rejects)
    assert result.exit_code == 0, result.output
    assert {p.name: p.address for p in people(profile)} == {"-林阿婆": "=海滨路", "＋王阿公": ""}
    warned = {(w["field"], w["value"]) for w in summary["warnings"] if w["code"] == "formula_like"}
    assert warned == {("name", "＋王阿公"), ("name", "-林阿婆"), ("address", "=海滨路")}


def test_an_apostrophe_before_ordinary_text_is_kept(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"姓名,身份证号,住址\n王阿公,{ALIVE},'海滨路'1号\n", encoding="utf-8")
    result, _ = imported(path)
    assert result.exit_code == 0, result.output
    assert [p.address for p in people(profile)] == ["'海滨路'1号"]


@pytest.mark.parametrize("start", ["＝", "＋", "－", "＠", "﹦"])
def test_full_width_formula_starts_are_warned_like_ascii_ones(
    profile: Profile, tmp_path: Path, start: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"姓名,身份证号\n{start}1+2,{ALIVE}\n", encoding="utf-8")
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    assert [p.name for p in people(profile)] == [f"{start}1+2"]
    assert [w["code"] for w in summary["warnings"]] == ["formula_like"]


def test_limits_default_to_roster_sizes() -> None:
    limits = importer.LIMITS
    assert dataclasses.astuple(limits)[:3] == (20 * 2**20, 200 * 2**20, 50 * 2**20)
    assert (limits.rows, limits.columns) == (50_000, 200)
