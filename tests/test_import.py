"""Importing rosters: .xlsx made with openpyxl and CSVs in every encoding Excel and WPS save."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from civtui.excel import importer
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from db.migrations import FACTS_BY_BATCH, person_facts_by_batch
from tests.conftest import INIT, TODAY, run_cli, stored_people, synthetic_id

HEADERS = ["姓名", "身份证号", "联系电话", "住址", "户籍状况", "类别", "监护人", "监护人电话"]


def rows(n: int, start: int = 0) -> list[list[Any]]:
    out = []
    for i in range(start, start + n):
        birth = dt.date(1940 + i % 40, 1 + i % 12, 1 + i % 28)
        out.append(
            [
                f"测试{i:05d}",
                synthetic_id(birth, seq=(2 * i + 1) % 1000),
                "13905801234",
                f"海滨路{i}号",
                "在册",
                "独居、低保",
                "",
                "",
            ]
        )
    return out


run = run_cli


@pytest.fixture
def profile(home: Path) -> Profile:
    result = run(*INIT, "--staff", "王晓丽")
    assert result.exit_code == 0, result.output
    return Profile("default")


people = stored_people


def xlsx(path: Path, header: list[str], body: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def csv_file(path: Path, header: list[str], body: list[list[Any]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    return path


def test_xlsx_roster_imports_every_row_into_the_change_log(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(25)
    result = run("import", "persons", str(xlsx(tmp_path / "名册.xlsx", HEADERS, body)))
    assert result.exit_code == 0, result.output
    stored = people(profile)
    assert [p.name for p in stored] == sorted(r[0] for r in body)
    assert {p.id_number for p in stored} == {r[1] for r in body}
    assert all(p.village_code == "330902112201" for p in stored)
    assert stored[0].categories[0].zh == "独居"
    store = open_store(profile.db_path)
    logged = {c.record_id for c in store.changes() if c.table_name == "persons"}
    store.close()
    assert logged == {p.id for p in stored}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding(profile: Profile, tmp_path: Path, encoding: str) -> None:
    body = rows(5)
    path = csv_file(tmp_path / "名册.csv", HEADERS, body, encoding)
    result = run("import", "persons", str(path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in people(profile)) == sorted(r[0] for r in body)


def test_columns_in_any_order_and_by_their_other_names(profile: Profile, tmp_path: Path) -> None:
    header = ["联系方式", "公民身份号码", "名字", "所属村"]
    body = [["0580 2012345", synthetic_id(dt.date(1950, 3, 4)), "林阿婆", "海星村"]]
    assert run("import", "persons", str(xlsx(tmp_path / "a.xlsx", header, body))).exit_code == 0
    [person] = people(profile)
    assert (person.name, person.phone) == ("林阿婆", "0580-2012345")


def test_a_missing_required_column_is_named(profile: Profile, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "a.xlsx", ["姓名", "电话"], [["王", "13905801234"]])
    result = run("import", "persons", str(path))
    assert result.exit_code == 2
    assert "缺少必需的列：身份证号" in result.output
    assert people(profile) == []


def test_one_bad_row_imports_nothing_and_names_that_row(profile: Profile, tmp_path: Path) -> None:
    body = rows(6)
    body[3][1] = body[3][1][:-1] + ("0" if body[3][1][-1] != "0" else "1")  # wrong check digit
    path = xlsx(tmp_path / "a.xlsx", HEADERS, body)
    result = run("import", "persons", str(path), "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["invalid_rows"] == 1 and summary["written"] == 0
    [problem] = summary["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (5, "身份证号", body[3][1])
    assert "校验位" in problem["problem"] and problem["fix"]
    assert "没有导入任何一行" in result.stderr
    assert people(profile) == []


def test_skip_invalid_imports_the_rest_and_saves_bad_rows_beside_the_input(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(4)
    body[1][2] = "12345"  # not a phone number
    body[2][0] = ""  # no name
    path = xlsx(tmp_path / "roster.xlsx", HEADERS, body)
    result = run("import", "persons", str(path), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in people(profile)) == [body[0][0], body[3][0]]
    rejects = load_workbook(tmp_path / "roster.错误行.xlsx").active
    assert rejects is not None
    lines = list(rejects.iter_rows(values_only=True))
    assert lines[0][-2:] == ("原行号", "错误原因")
    assert [line[-2] for line in lines[1:]] == ["3", "4"]
    assert "联系电话" in str(lines[1][-1]) and "姓名" in str(lines[2][-1])


def test_existing_people_are_skipped_or_updated_never_doubled(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(3)
    path = xlsx(tmp_path / "a.xlsx", HEADERS, body)
    assert run("import", "persons", str(path)).exit_code == 0
    again = run("import", "persons", str(path))
    assert again.exit_code == 0 and "跳过已登记 3" in again.output
    assert len(people(profile)) == 3
    body[0][3] = "新住址8号"
    path = xlsx(tmp_path / "b.xlsx", HEADERS, body)
    assert run("import", "persons", str(path), "--update-existing").exit_code == 0
    stored = {p.id_number: p for p in people(profile)}
    assert len(stored) == 3 and stored[body[0][1]].address == "新住址8号"


def test_a_whole_roster_imported_again_is_summed_up_not_listed_row_by_row(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(25)
    body[0][0] = "[b]王[/b]=1+1"
    path = xlsx(tmp_path / "a.xlsx", HEADERS, body)
    assert run("import", "persons", str(path)).exit_code == 0
    again = run("import", "persons", str(path))
    assert again.exit_code == 0 and "跳过已登记 25" in again.output
    assert "另有 5 行已登记，未逐行列出" in again.output
    as_json = run("import", "persons", str(path), "--json")
    skipped = json.loads(as_json.stdout)["skipped"]
    assert len(skipped) == 25 and "[b]王[/b]=1+1" in json.dumps(skipped, ensure_ascii=False)


def test_many_warnings_of_one_kind_are_summed_up_each_kind_still_shown(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(26)
    for n, row in enumerate(body):
        row[3] = f"=[red]住址{n}[/]"
    # The last row also warns of another kind: its ID typed in Arabic-Indic digits.
    body[25][1] = "٣" + body[25][1][1:]
    path = csv_file(tmp_path / "a.csv", HEADERS, body, "utf-8")
    result = run("import", "persons", str(path))
    assert result.exit_code == 0, result.output
    assert "导入完成：共 26 行，新增 26" in result.output
    # 20 formula warnings listed, 6 counted; the one warning of another kind is listed.
    listed, _ = result.output.split("另有 6 条同类提示")
    assert "=[red]住址19[/]" in listed and "=[red]住址20[/]" not in result.output
    assert "│ 27 │" in listed  # the converted ID, after the 20 formulas
    as_json = json.loads(run("import", "persons", str(path), "--dry-run", "--json").stdout)
    formulas = [w for w in as_json["warnings"] if w["code"] == "formula_like"]
    assert len(formulas) == 26 and formulas[-1]["value"] == "=[red]住址25[/]"


def test_an_import_stopped_part_way_leaves_nothing_and_runs_again(
    profile: Profile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = rows(2 * importer.APPLY_CHUNK + 10)
    body[0][0] = "=[b]王[/b]\\x1b"
    path = csv_file(tmp_path / "名册.csv", HEADERS, body, "utf-8")
    store = open_store(profile.db_path)
    changes_before = len(store.changes())
    store.close()
    calls: list[int] = []

    def power_cut() -> list[str]:
        # The third chunk's people and batch list are in, its facts and log entries not yet.
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return person_facts_by_batch()

    monkeypatch.setattr("db.store.person_facts_by_batch", power_cut)
    stopped = run("import", "persons", str(path))  # click turns Ctrl+C into "Aborted!"
    assert stopped.exit_code == 1
    assert len(calls) == 3
    assert people(profile) == []
    store = open_store(profile.db_path)
    assert len(store.changes()) == changes_before
    for table in ("person_search", "policy_facts", FACTS_BY_BATCH):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    store.close()
    monkeypatch.setattr("db.store.person_facts_by_batch", person_facts_by_batch)
    again = run("import", "persons", str(path))
    assert again.exit_code == 0, again.output
    stored = people(profile)
    assert len(stored) == len(body) and "=[b]王[/b]\\x1b" in {p.name for p in stored}
    store = open_store(profile.db_path)
    logged = [c.record_id for c in store.changes() if c.table_name == "persons"]
    with_facts = {r[0] for r in store.db.execute("SELECT person_id FROM policy_facts")}
    store.close()
    assert sorted(logged) == sorted(p.id for p in stored)
    assert with_facts == {p.id for p in stored}


def test_apply_reports_progress_a_chunk_at_a_time(profile: Profile, tmp_path: Path) -> None:
    body = rows(importer.APPLY_CHUNK + 1)
    table = importer.read_table(csv_file(tmp_path / "a.csv", HEADERS, body, "utf-8"))
    store = open_store(profile.db_path)
    try:
        plan = importer.plan_import(store, table, TODAY)
        seen: list[int] = []
        assert importer.apply(store, plan, progress=seen.append) == len(body)
    finally:
        store.close()
    assert seen == [importer.APPLY_CHUNK, importer.APPLY_CHUNK + 1]


def test_same_id_twice_in_one_file_is_an_error(profile: Profile, tmp_path: Path) -> None:
    body = rows(2)
    body[1][1] = body[0][1]
    result = run("import", "persons", str(xlsx(tmp_path / "a.xlsx", HEADERS, body)), "--json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["row"] == 3 and "与第2行的身份证号重复" in problem["problem"]


def test_same_name_and_birth_is_reported_as_likely_duplicate(
    profile: Profile, tmp_path: Path
) -> None:
    first = rows(1)
    assert run("import", "persons", str(xlsx(tmp_path / "a.xlsx", HEADERS, first))).exit_code == 0
    twin = list(first[0])
    twin[1] = synthetic_id(dt.date(1940, 1, 1), seq=503)
    result = run("import", "persons", str(xlsx(tmp_path / "b.xlsx", HEADERS, [twin])), "--json")
    assert result.exit_code == 0
    [warning] = json.loads(result.stdout)["warnings"]
    assert warning["row"] == 2 and "疑似重复" in warning["problem"]
    assert len(people(profile)) == 2


def test_dry_run_writes_nothing(profile: Profile, tmp_path: Path) -> None:
    result = run("import", "persons", str(xlsx(tmp_path / "a.xlsx", HEADERS, rows(3))), "--dry-run")
    assert result.exit_code == 0 and "未写入" in result.output
    assert people(profile) == []


def test_id_typed_as_a_number_in_excel_gets_its_own_advice(
    profile: Profile, tmp_path: Path
) -> None:
    body = rows(1)
    body[0][1] = int(body[0][1][:15] + "000")  # what Excel keeps of an 18-digit number
    result = run("import", "persons", str(xlsx(tmp_path / "a.xlsx", HEADERS, body)), "--json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert "文本" in problem["fix"]


def test_template_round_trip(profile: Profile, tmp_path: Path) -> None:
    path = tmp_path / "模板.xlsx"
    assert run("import", "template", "persons", "-o", str(path)).exit_code == 0
    book = load_workbook(path)
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    assert headers[:2] == ["姓名*", "身份证号*"] and "户籍状况" in headers
    assert str(sheet.cell(row=2, column=1).value).startswith("说明：")
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"在册,迁出,死亡"' in lists and '"海星村"' in lists
    # Filled in below the notes row, the template imports as it is.
    sheet.append(["王阿公", synthetic_id(dt.date(1944, 4, 4)), "13905801234", "海星村", "", "在册"])
    book.save(path)
    result = run("import", "persons", str(path))
    assert result.exit_code == 0, result.output
    assert [p.name for p in people(profile)] == ["王阿公"]


def test_unreadable_files_get_a_clear_message(profile: Profile, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    # The library's own words (File is not a zip file) never reach the user.
    said = run("import", "persons", str(broken)).output
    assert "内容却是 CSV 或纯文本" in said and "zip" not in said
    latin = tmp_path / "x.csv"
    latin.write_bytes("姓名,身份证号\n".encode("utf-16"))
    assert "编码" in run("import", "persons", str(latin)).output
    text = tmp_path / "x.txt"
    text.write_text("姓名,身份证号\n", encoding="utf-8")
    assert "不支持" in run("import", "persons", str(text)).output
