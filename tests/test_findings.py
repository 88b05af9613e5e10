"""What a visit or a child check found (存在问题) is recorded, kept, synced and
printed; the ledger's 处理情况 follows the follow-up; a correction's history says old → new."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import ValidationError

from civtui.domain.choices import Condition, Finding, RiskLevel
from civtui.domain.errors import FieldError
from civtui.domain.models import ChildCheck, ContactRecord, Person, Visit
from civtui.excel import ledgers
from civtui.services import records
from db import Store
from db.history import record_history
from db.queries import same_day
from tests.conftest import CTX, TODAY, make_person
from tests.sync_harness import Server, device, server

__all__ = ["server"]  # the fixture

#: What a person may type: markup, a formula that would start a program, an escape.
HOSTILE = "[/]=cmd|' /C calc'!A0 [bold]x[/bold] a=b \\[\x1b]0;t\x07"


def a_visit(person: Person, **fields: object) -> Visit:
    data: dict[str, object] = {
        "person_id": person.id,
        "visit_date": TODAY,
        "visitor": "王晓丽",
        **fields,
    }
    return Visit.model_validate(data, context=CTX)


def a_check(child: Person, **fields: object) -> ChildCheck:
    data: dict[str, object] = {
        "person_id": child.id,
        "check_date": TODAY,
        "checker": "李芳",
        "guardian_situation": "both_away",
        **fields,
    }
    return ChildCheck.model_validate(data, context=CTX)


def a_child() -> Person:
    return make_person(dt.date(2016, 3, 4), seq=202, name="小明", categories=["left_behind"])


def test_visits_and_checks_share_one_base_of_contact_fields() -> None:
    for kind in (Visit, ChildCheck):
        assert issubclass(kind, ContactRecord)
        shared = {"notes", "findings", "findings_note", "follow_up_needed", "follow_up_done_on"}
        assert shared <= set(kind.model_fields)
        # A reader meets the day first and the shared fields last.
        order = kind.field_order()
        assert order.index(kind.contact_day) < order.index("notes") < order.index("findings")
        assert sorted(order) == sorted(kind.model_fields)
    person, child = make_person(), a_child()
    assert a_visit(person).day == TODAY and a_check(child).day == TODAY
    # The follow-up rule is one rule, kept by both kinds.
    for make, who in ((a_visit, person), (a_check, child)):
        with pytest.raises((FieldError, ValidationError)) as info:
            make(who, follow_up_needed=True)
        assert "跟进事项" in str(info.value)


def test_findings_are_kept_once_each_in_the_lists_order() -> None:
    visit = a_visit(make_person(), findings=["lonely", "血压偏高", "lonely"])
    assert visit.findings == [Finding.HIGH_BP, Finding.LONELY]
    with pytest.raises(ValidationError):
        a_visit(make_person(), findings=["no_such_problem"])
    assert visit.found("en") == ["High blood pressure", "Low spirits"]
    noted = visit.revise(context=CTX, findings_note=HOSTILE)
    assert noted.found("zh") == ["血压偏高", "情绪低落", HOSTILE.strip()]


def test_findings_are_stored_and_read_back_exactly(store: Store) -> None:
    person, child = make_person(), a_child()
    visit = a_visit(person, findings=["high_bp"], findings_note=HOSTILE)
    check = a_check(child, findings=["study", "guardian"], findings_note="作业没人辅导")
    store.save_many([person, child, visit, check])
    assert store.get(Visit, visit.id) == visit
    assert store.get(ChildCheck, check.id) == check
    row = store.db.execute("SELECT findings FROM child_checks WHERE id = ?", [check.id])
    assert row.fetchone()[0] == '["study","guardian"]'
    # A row written before migration 16 (no findings given) reads as nothing found.
    store.db.execute(
        "INSERT INTO visits (id, person_id, visit_date, visitor, mode, living_condition, "
        "health, safety_hazards, mood, notes, follow_up_needed, follow_up_note, updated_at, "
        "device_id, hlc) VALUES ('old', ?, ?, 'x', 'home', 'good', 'good', '[]', 'good', '', "
        "0, '', '2026-11-01', 'd', '0000000000001-0000-d')",
        [person.id, TODAY.isoformat()],
    )
    old = store.get(Visit, "old")
    assert old is not None and old.findings == [] and old.findings_note == ""


def cells_of(path: Path, sheet: str) -> tuple[list[Any], list[list[Any]]]:
    book = load_workbook(path)
    ws = book[sheet]
    heads = [c.value for c in ws[2]]
    body = [
        [c.value for c in row]
        for row in ws.iter_rows(min_row=3)
        if row[0].value is not None and not str(row[0].value).startswith("填表人")
    ]
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.value
    return heads, body


def test_ledgers_print_what_was_found_and_how_it_was_handled(store: Store, tmp_path: Path) -> None:
    person, child = make_person(), a_child()
    open_visit = a_visit(
        person,
        findings=["high_bp"],
        findings_note=HOSTILE,
        safety_hazards=["gas"],
        follow_up_needed=True,
        follow_up_note="联系村医上门量血压",
    )
    routine = a_visit(person, visit_date=TODAY - dt.timedelta(days=3))
    check = a_check(
        child,
        findings=["study"],
        health=Condition.POOR,
        risk_level=RiskLevel.LOW,
        follow_up_needed=True,
        follow_up_note="联系学校老师",
    )
    handled = a_visit(
        person,
        visit_date=TODAY - dt.timedelta(days=5),
        follow_up_needed=True,
        follow_up_note="送[/]米=面油",
    )
    store.save_many([person, child, open_visit, routine, check, handled])
    done_on = TODAY + dt.timedelta(days=1)
    records.mark_follow_up_done(store, check, done_on)
    records.mark_follow_up_done(store, handled, TODAY)

    out = tmp_path / "visits.xlsx"
    ledgers.write(out, ledgers.visits(store, TODAY, TODAY), "探访台账")
    heads, body = cells_of(out, "探访台账")
    problems, handling = heads.index("存在问题"), heads.index("处理情况")
    by_day = {row[heads.index("探访日期")]: row for row in body}
    found = str(by_day[TODAY.isoformat()][problems])
    # The hostile words land as the string typed (control characters drawn), never a formula.
    assert found.startswith("血压偏高；[/]=cmd|' /C calc'!A0 [bold]x[/bold] a=b \\[␛]0;t␇")
    assert found.endswith("；燃气")
    assert by_day[TODAY.isoformat()][handling] == "需跟进：联系村医上门量血压"
    earlier = by_day[(TODAY - dt.timedelta(days=3)).isoformat()]
    assert (earlier[problems], earlier[handling]) == ("无", "无需跟进")
    # A visit's follow-up marked done prints as the check's does, with its day.
    closed = by_day[(TODAY - dt.timedelta(days=5)).isoformat()]
    assert closed[handling] == f"已处理（{TODAY.isoformat()}）：送[/]米=面油"

    out = tmp_path / "checks.xlsx"
    ledgers.write(out, ledgers.child_checks(store, TODAY, TODAY), "儿童随访台账")
    heads, body = cells_of(out, "儿童随访台账")
    [row] = body
    assert row[heads.index("存在问题")] == "学习困难；健康状况较差"
    assert row[heads.index("处理情况")] == f"已处理（{done_on.isoformat()}）：联系学校老师"
    assert heads[-2:] == ["随访人签字", "监护人签字"]


def test_a_local_correction_knows_the_values_it_replaced(store: Store) -> None:
    person = make_person()
    visit = a_visit(person, notes="一切正常")
    store.save_many([person, visit])
    first = records.correct(store, visit, {"health": "fair"}, TODAY)
    store.save(first)
    second = records.correct(store, first, {"health": "poor", "findings": ["illness"]}, TODAY)
    store.save(second)
    steps = record_history(store, "visits", visit.id)
    assert [(s.op, s.before, s.fields) for s in steps] == [
        ("insert", {}, steps[0].fields),
        ("update", {"health": "good"}, {"health": "fair"}),
        ("update", {"health": "fair", "findings": []}, {"health": "poor", "findings": ["illness"]}),
    ]


def test_the_same_person_kind_and_day_is_found_before_saving(store: Store) -> None:
    person, child = make_person(), a_child()
    first = a_visit(person)
    store.save_many([person, child, first, a_check(child)])
    again = a_visit(person, notes="又录了一次")
    assert same_day(store, again) == first
    # Another day, another person, or the record itself is no duplicate.
    assert same_day(store, a_visit(person, visit_date=TODAY - dt.timedelta(days=1))) is None
    assert same_day(store, first) is None
    other = make_person(seq=303, name="另一人")
    store.save(other)
    assert same_day(store, a_visit(other)) is None
    # A check is compared with checks only; a deleted visit no longer counts.
    assert same_day(store, a_check(child)) is not None
    records.delete(store, first, "录错了", TODAY)
    assert same_day(store, again) is None


@pytest.mark.server
def test_findings_travel_to_another_laptop(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    person = make_person()
    visit = a_visit(person, findings=["high_bp", "no_care"], findings_note=HOSTILE)
    check_child = a_child()
    check = a_check(check_child, findings=["behaviour"], findings_note="不愿说话")
    a.store.save_many([person, check_child, visit, check])
    a.sync()
    b.sync()
    assert b.store.get(Visit, visit.id) == visit
    assert b.store.get(ChildCheck, check.id) == check
    # A correction of the findings on B reaches A as a change of that field alone.
    fixed = records.correct(b.store, visit, {"findings": ["high_bp"]}, TODAY)
    b.store.save(fixed)
    b.sync()
    a.sync()
    got = a.store.get(Visit, visit.id)
    assert got is not None and got.findings == [Finding.HIGH_BP]
    assert got.findings_note == visit.findings_note
    [pulled] = [s for s in record_history(a.store, "visits", visit.id) if s.pulled]
    assert (pulled.before, pulled.fields) == (
        {"findings": ["high_bp", "no_care"]},
        {"findings": ["high_bp"]},
    )


def test_a_problem_written_as_a_formula_is_a_string_in_xlsx_and_inert_in_csv(
    store: Store, tmp_path: Path
) -> None:
    person = make_person()
    formula = "=cmd|' /C calc'!A0"
    store.save_many([person, a_visit(person, findings_note=formula)])
    sheets = ledgers.visits(store, TODAY, TODAY)
    out = tmp_path / "visits.xlsx"
    ledgers.write(out, sheets, "探访台账")
    heads, [row] = cells_of(out, "探访台账")
    assert row[heads.index("存在问题")] == formula
    out = tmp_path / "visits.csv"
    ledgers.write(out, sheets, "探访台账")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        fields = {f for line in csv.reader(handle) for f in line}
    assert f"'{formula}" in fields and formula not in fields
