"""Rosters shaped the way village offices keep them, each with the outcome it must have."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from openpyxl import Workbook
from pydantic import ValidationError

from civtui.domain import resident_id
from civtui.domain.choices import Category, PersonStatus
from civtui.domain.errors import explain
from civtui.domain.models import Visit
from civtui.services.profile import Profile
from tests.conftest import TODAY, run_cli, stored_people, synthetic_id

run = run_cli


@pytest.fixture
def profile(cli_profile: Profile) -> Profile:
    return cli_profile


people = stored_people


def sheet(path: Path, lines: list[list[Any]], merge: str | None = None) -> Path:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for line in lines:
        ws.append(line)
    if merge:
        ws.merge_cells(merge)
    book.save(path)
    return path


def imported(path: Path, *options: str) -> tuple[Result, dict[str, Any]]:
    result = run("import", "persons", str(path), "--json", *options)
    return result, json.loads(result.stdout)


def truncation_survivors(count: int) -> list[str]:
    """IDs whose Excel-number form (15 significant digits, then zeros) passes the checksum."""
    found = []
    for seq in range(1, 1000):
        number = synthetic_id(dt.date(1948, 5, 6), seq=seq)
        truncated = number[:15] + "000"
        if resident_id.check_char(truncated[:17]) == truncated[17]:
            found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("no survivors")


def test_an_id_from_a_number_cell_is_refused_even_when_the_checksum_passes(
    profile: Profile, tmp_path: Path
) -> None:
    survivors = truncation_survivors(3)
    # What Excel keeps: the number, 15 significant digits; each of these still checks out.
    body = [[f"测试{i}", int(n[:15] + "000")] for i, n in enumerate(survivors)]
    assert all(resident_id.parse(str(row[1]), TODAY) for row in body)
    result, summary = imported(sheet(tmp_path / "a.xlsx", [["姓名", "身份证号"], *body]))
    assert result.exit_code == 1
    assert [p["code"] for p in summary["problems"]] == ["numeric_id"] * 3
    assert all("文本" in p["fix"] for p in summary["problems"])
    assert people(profile) == []


def test_a_phone_from_a_number_cell_is_refused(profile: Profile, tmp_path: Path) -> None:
    body = [["王阿公", synthetic_id(dt.date(1950, 1, 1)), 13905801234]]
    result, summary = imported(
        sheet(tmp_path / "a.xlsx", [["姓名", "身份证号", "联系电话"], *body])
    )
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert (problem["code"], problem["field"]) == ("numeric_phone", "phone")


def test_a_csv_saved_by_excel_with_ids_as_numbers_is_refused(
    profile: Profile, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("姓名,身份证号\n王阿公,3.30902E+17\n", encoding="utf-8")
    result, summary = imported(path)
    assert result.exit_code == 1 and summary["problems"][0]["code"] == "numeric_id"


def test_what_pasting_brings_is_cleaned_off(profile: Profile, tmp_path: Path) -> None:
    ids = [synthetic_id(dt.date(1950, 1, 1 + i), seq=2 * i + 1) for i in range(5)]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else "Ｘ" for c in ids[0])
    pasted = [full_width, "'" + ids[1], "’" + ids[2], ids[3] + "\u200b", "\u00a0" + ids[4]]
    body = [[f"测试{i}", n, "１３９０５８０１２３４"] for i, n in enumerate(pasted)]
    result, _ = imported(sheet(tmp_path / "a.xlsx", [["姓名", "身份证号", "联系电话"], *body]))
    assert result.exit_code == 0, result.output
    stored = people(profile)
    assert sorted(p.id_number for p in stored) == sorted(ids)
    assert {p.phone for p in stored} == {"13905801234"}


def test_a_fifteen_digit_id_becomes_eighteen_with_a_warning_naming_the_row(
    profile: Profile, tmp_path: Path
) -> None:
    full = synthetic_id(dt.date(1952, 7, 8), seq=31)
    old = full[:6] + full[8:17]
    body = [["王阿公", synthetic_id(dt.date(1950, 1, 1))], ["李阿婆", old]]
    result, summary = imported(sheet(tmp_path / "a.xlsx", [["姓名", "身份证号"], *body]))
    assert result.exit_code == 0, result.output
    [warning] = summary["warnings"]
    assert warning["code"] == "id_upgraded" and warning["row"] == 3
    assert summary["likely_duplicates"] == 0
    assert "第3行" in warning["problem"] and full in warning["problem"]
    assert full in {p.id_number for p in people(profile)}


def test_residence_permit_numbers_are_accepted(profile: Profile, tmp_path: Path) -> None:
    permits = [synthetic_id(dt.date(1990, 1, 1), seq=11, area=a) for a in ("810000", "820000")]
    permits.append(synthetic_id(dt.date(1991, 2, 3), seq=12, area="830000"))
    body = [[f"测试{i}", n] for i, n in enumerate(permits)]
    result, _ = imported(sheet(tmp_path / "a.xlsx", [["姓名", "身份证号"], *body]))
    assert result.exit_code == 0, result.output
    assert sorted(p.id_number for p in people(profile)) == sorted(permits)


def test_the_wps_layout_with_title_unit_line_and_footer_imports(
    profile: Profile, tmp_path: Path
) -> None:
    header = ["序号", "姓  名", "性别", "公民身份证号码", "联系电话（手机）", "家庭住址", "备注"]
    lines: list[list[Any]] = [
        ["海星村重点对象名册"],
        header,
        ["填报单位：海星村村委会", "", "", "", "填报日期：2026年11月"],
        [1, "王阿公", "男", synthetic_id(dt.date(1944, 4, 4)), "13905801234", "海滨路1号", ""],
        [2, "李阿婆", "女", synthetic_id(dt.date(1946, 6, 6), seq=102), "13905805678", "", ""],
        ["合计", "2人"],
        ["填表人：王晓丽", "", "审核人：张建国", "", "填表日期：2026-11-20"],
    ]
    path = sheet(tmp_path / "名册.xlsx", lines, merge="A1:G1")
    result, summary = imported(path)
    assert result.exit_code == 0, result.output
    stored = people(profile)
    assert [(p.name, p.phone) for p in stored] == [
        ("李阿婆", "13905805678"),
        ("王阿公", "13905801234"),
    ]
    notes = {(n["code"], n["column"]) for n in summary["notes"]}
    assert ("header_found", "") in notes
    assert {("derived_column", "序号"), ("derived_column", "性别")} <= notes
    assert ("footer_stopped", "") in notes
    footer = next(n for n in summary["notes"] if n["code"] == "footer_stopped")
    assert footer["row"] == 6
    # The people table shows where the header was found.
    plain = run("import", "persons", str(path))
    assert "第2行被当作表头" in plain.output


def test_columns_that_are_not_imported_are_reported(profile: Profile, tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "微信号", "电话"]
    body = [["王阿公", synthetic_id(dt.date(1944, 4, 4)), "wx123", "13905801234"]]
    result, summary = imported(sheet(tmp_path / "a.xlsx", [header, *body]))
    assert result.exit_code == 0
    notes = {n["column"]: n["code"] for n in summary["notes"]}
    assert notes == {"": "sheet_used", "微信号": "unused_column"}
    assert "微信号" in run("import", "persons", str(tmp_path / "a.xlsx")).output


def test_a_missing_column_says_which_row_was_taken_as_the_header(
    profile: Profile, tmp_path: Path
) -> None:
    path = sheet(tmp_path / "a.xlsx", [["海星村名册"], ["名单如下"], ["姓名", "电话"]])
    result = run("import", "persons", str(path))
    assert result.exit_code == 2
    assert "缺少必需的列：身份证号" in result.output and "第3行被当作表头" in result.output


def test_labels_as_ledgers_write_them_are_imported(profile: Profile, tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "类别", "残疾等级", "户籍状况"]
    labels = ["低保户", "独居老人", "空巢老人", "特困人员", "孤寡老人", "重度残疾人", "低保边缘"]
    body: list[list[Any]] = [
        [f"老人{i}", synthetic_id(dt.date(1940, 1, 1 + i), seq=2 * i + 1), label, "", "正常"]
        for i, label in enumerate(labels)
    ]
    body.append(["王阿公", synthetic_id(dt.date(1941, 2, 2)), "", "一级", "已故"])
    body.append(["李阿婆", synthetic_id(dt.date(1942, 3, 3)), "", "二", ""])
    body.append(["小明", synthetic_id(dt.date(2015, 3, 3)), "事实无人抚养", "", ""])
    result, _ = imported(sheet(tmp_path / "a.xlsx", [header, *body]))
    assert result.exit_code == 0, result.output
    stored = {p.name: p for p in people(profile)}
    assert [stored[f"老人{i}"].categories for i in range(len(labels))] == [
        [Category.DIBAO],
        [Category.LIVING_ALONE],
        [Category.EMPTY_NEST],
        [Category.TEKUN],
        [Category.CHILDLESS_WIDOWED],
        [Category.SEVERE_DISABILITY],
        [Category.DIBIAN],
    ]
    assert stored["老人0"].status is PersonStatus.ACTIVE
    assert (stored["王阿公"].disability_grade, stored["王阿公"].status) == (
        1,
        PersonStatus.DECEASED,
    )
    assert stored["李阿婆"].disability_grade == 2
    assert stored["小明"].categories == [Category.DE_FACTO_UNSUPPORTED]


def test_a_value_that_is_no_choice_is_told_the_choices(profile: Profile, tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "类别", "残疾等级", "户籍状况"]
    body = [
        ["甲", synthetic_id(dt.date(1940, 1, 1)), "贫困户", "", ""],
        ["乙", synthetic_id(dt.date(1940, 1, 2)), "", "五级", ""],
        ["丙", synthetic_id(dt.date(1940, 1, 3)), "", "", "外出"],
        ["丁", "123", "低保户、贫困户", "", ""],
    ]
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    result, summary = imported(path)
    assert result.exit_code == 1
    assert summary["invalid_rows"] == 4 and summary["new"] == 0
    # A wrong label does not hide the row's other problems.
    fourth = [(p["field"], p["code"]) for p in summary["problems"] if p["row"] == 5]
    assert fourth == [("categories", "not_a_choice"), ("id_number", "invalid")]
    fixes = {p["field"]: (p["code"], p["fix"]) for p in summary["problems"]}
    assert fixes["categories"][0] == "not_a_choice"
    assert "低保" in fixes["categories"][1] and "留守儿童" in fixes["categories"][1]
    assert "4" in fixes["disability_grade"][1]
    assert "在册" in fixes["status"][1] and "迁出" in fixes["status"][1]
    english = run("--lang", "en", "import", "persons", str(path), "--json")
    by_field = {p["field"]: p["fix"] for p in json.loads(english.stdout)["problems"]}
    assert "Minimum living allowance" in by_field["categories"]
    assert "Moved out" in by_field["status"]


def test_a_truncated_mobile_is_explained_as_one(profile: Profile, tmp_path: Path) -> None:
    body = [["王阿公", synthetic_id(dt.date(1950, 1, 1)), "1385701"]]
    result, summary = imported(
        sheet(tmp_path / "a.xlsx", [["姓名", "身份证号", "联系电话"], *body])
    )
    assert result.exit_code == 1
    [problem] = summary["problems"]
    assert "少了4位" in problem["problem"] and "区号" not in problem["problem"]


def test_template_without_output_gets_a_default_name(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("import", "template", "persons")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "服务对象名册模板.xlsx").exists()
    again = run("import", "template", "persons")
    assert again.exit_code == 2 and "-o" in again.output


def test_a_dry_run_reads_differently_from_a_refused_import(
    profile: Profile, tmp_path: Path
) -> None:
    bad = sheet(tmp_path / "bad.xlsx", [["姓名", "身份证号"], ["王阿公", "123"]])
    refused = run("import", "persons", str(bad))
    dry = run("import", "persons", str(bad), "--dry-run")
    assert refused.exit_code == dry.exit_code == 1
    assert "错误：" in refused.output and "没有导入任何一行" in refused.output
    assert "错误：" not in dry.output and "试运行" in dry.output
    good = sheet(tmp_path / "good.xlsx", [["姓名", "身份证号"], ["王阿公", synthetic_id(TODAY)]])
    clean = run("import", "persons", str(good), "--dry-run")
    assert clean.exit_code == 0 and "试运行通过" in clean.output
    assert people(profile) == []


def test_report_eligible_is_ordered_by_village(home: Path) -> None:
    assert run("demo", "--persons", "300", "--seed", "3").exit_code == 0
    hints = json.loads(run("report", "eligible", "--json").stdout)
    villages = [h["village"] for h in hints]
    assert len(set(villages)) > 1
    assert villages == sorted(villages)
    table = run("report", "eligible").output
    firsts = [table.index(v) for v in sorted(set(villages))]
    assert firsts == sorted(firsts)


def test_a_value_that_is_no_choice_in_a_form_lists_the_choices_too() -> None:
    data = {"person_id": "p", "visit_date": "2026-11-01", "visitor": "王", "mode": "坐船"}
    with pytest.raises(ValidationError) as caught:
        Visit.model_validate({**data, "safety_hazards": ["地震"]}, context={"today": TODAY})
    zh = {p.field: p.message for p in explain(caught.value, Visit)}
    en = {p.field: p.message for p in explain(caught.value, Visit, "en")}
    assert zh["mode"].endswith("可选：上门、电话、视频")
    assert "用火用电" in zh["safety_hazards"]
    assert en["mode"].endswith("write one of: Home visit, Phone, Video")
