from __future__ import annotations

import datetime as dt
from pathlib import Path

from civtui.domain.choices import Category, EconomicStatus, GuardianSituation
from civtui.domain.models import ChildCheck, Household, Person, PersonEvent
from civtui.services import reports
from db import Store
from tests.conftest import CTX, TODAY, VILLAGE, make_person, synthetic_id


def household(store: Store, status: EconomicStatus = EconomicStatus.NONE) -> Household:
    h = Household(village_code=VILLAGE, address="海滨路1号", economic_status=status)
    store.save(h)
    return h


def hints_for(store: Store, person: Person) -> dict[Category, reports.Hint]:
    return {h.category: h for h in reports.eligible(store, TODAY) if h.person.id == person.id}


def test_household_status_disability_and_living_alone(store: Store) -> None:
    poor = household(store, EconomicStatus.DIBAO)
    elder = make_person(dt.date(1950, 1, 1), household_id=poor.id, disability_grade=2)
    store.save(elder)
    found = hints_for(store, elder)
    assert set(found) == {Category.DIBAO, Category.SEVERE_DISABILITY, Category.LIVING_ALONE}
    assert "低保" in found[Category.DIBAO].reason
    flagged = elder.revise(context=CTX, categories=["dibao", "severe_disability", "living_alone"])
    store.save(flagged)
    assert hints_for(store, flagged) == {}


def test_empty_nest_when_everyone_in_the_household_is_60_plus(store: Store) -> None:
    home = household(store)
    a = make_person(dt.date(1950, 1, 1), household_id=home.id)
    b = make_person(dt.date(1952, 1, 1), seq=102, household_id=home.id)
    store.save_many([a, b])
    assert set(hints_for(store, a)) == {Category.EMPTY_NEST}
    young = make_person(dt.date(1990, 1, 1), seq=103, household_id=home.id)
    store.save(young)
    assert hints_for(store, a) == {}


def test_child_whose_check_says_parents_away(store: Store) -> None:
    kid = make_person(dt.date(2016, 5, 5))
    store.save(kid)
    check = ChildCheck.model_validate(
        {
            "person_id": kid.id,
            "check_date": TODAY,
            "checker": "李",
            "guardian_situation": GuardianSituation.BOTH_AWAY,
        },
        context=CTX,
    )
    store.save(check)
    assert set(hints_for(store, kid)) == {Category.LEFT_BEHIND}
    alone = check.revise(context=CTX, guardian_situation=GuardianSituation.NONE)
    store.save(alone)
    assert set(hints_for(store, kid)) == {Category.DE_FACTO_UNSUPPORTED}


def test_grown_up_child_keeps_a_child_category_to_remove(store: Store) -> None:
    teen = Person.model_validate(
        {
            "village_code": VILLAGE,
            "name": "林小",
            "id_number": make_person(dt.date(2008, 11, 10)).id_number,
            "categories": ["left_behind"],
        },
        context={"today": dt.date(2024, 11, 1)},
    )
    store.save(teen)
    [hint] = [h for h in reports.eligible(store, TODAY) if h.person.id == teen.id]
    assert hint.remove and hint.category is Category.LEFT_BEHIND and "16" in hint.reason


def test_coverage_has_a_total_row_per_village(store: Store) -> None:
    elder = make_person(dt.date(1940, 1, 1), categories=["living_alone"])
    store.save(elder)
    rows = reports.coverage(store, TODAY, TODAY)
    total = next(r for r in rows if r.category is None)
    assert (total.village, total.required, total.contacted, total.rate) == ("海星村", 1, 0, 0.0)
    assert {r.category for r in rows if r.category} == {
        Category.LIVING_ALONE,
        Category.ADVANCED_AGE,
    }


def test_every_ended_month_since_the_profile_began_is_closed_once(store: Store) -> None:
    from civtui.domain.models import MonthClose

    elder = make_person(dt.date(1950, 1, 1), categories=[Category.LIVING_ALONE])
    store.save(elder)
    # Set up in August; opened again in late November after months in a drawer.
    store.set_meta("created_at", "2026-08-14T10:00:00+08:00")
    written = reports.close_past_months(store, TODAY)
    assert sorted(c.id for c in written) == [f"{VILLAGE}:2026-{m:02}" for m in (8, 9, 10)]
    # November has not ended: open. Nothing more to close, however often it is asked.
    assert reports.close_past_months(store, TODAY) == []
    assert store.count(MonthClose) == 3
    # In December, November closes; a month never closed here is not closed twice.
    assert [c.id for c in reports.close_past_months(store, dt.date(2026, 12, 1))] == [
        f"{VILLAGE}:2026-11"
    ]


def test_closing_goes_back_two_years_at_most_and_not_before_the_profile(store: Store) -> None:
    store.set_meta("created_at", "2020-03-01T09:00:00+08:00")
    written = reports.close_past_months(store, TODAY)
    months = sorted(c.month for c in written)
    assert len(months) == reports.CLOSE_MONTHS_BACK
    assert months[0] == dt.date(2024, 11, 1) and months[-1] == dt.date(2026, 10, 1)
    # A file made without `civtui init` began with its first change-log entry (today).
    store.db.execute("DELETE FROM meta WHERE key = 'created_at'")
    store.db.execute("DELETE FROM month_reports")
    assert reports.close_past_months(store, TODAY) == []


def test_closed_month_shows_exactly_the_rows_of_its_report(store: Store) -> None:
    """A closed month was shown through today's rows: the 月报's 低保 row vanished and a
    category it never had came in at 0/0, so subtotals no longer matched their rows."""
    from civtui.domain.models import MonthClose, PersonEvent

    october = dt.date(2026, 10, 1)
    elder = make_person(dt.date(1950, 1, 1), categories=[Category.DIBAO])
    store.save(elder)
    (closed,) = reports.close_month(store, october, TODAY)
    # Later, 低保 turns out to have ended in September and 独居 to have begun then.
    moved = elder.revise(context=CTX, categories=[Category.LIVING_ALONE])
    store.save_many([*PersonEvent.between(elder, moved, dt.date(2026, 9, 1)), moved])
    rows = reports.coverage(store, october, TODAY)
    kept = [r for r in rows if not r.only_now]
    assert [r.figure() for r in kept] == closed.figures
    dibao = next(r for r in kept if r.category is Category.DIBAO)
    assert (dibao.required, dibao.contacted, dibao.now) == (1, 0, (0, 0))
    assert dibao.changed_since
    (apart,) = [r for r in rows if r.only_now]
    assert apart.category is Category.LIVING_ALONE and apart.now == (1, 0)
    assert apart.as_json()["only_now"] is True
    # The report's own subtotals still add up from its rows.
    adults = next(r for r in kept if r.group == "adult" and r.category is None)
    total = next(r for r in kept if r.group is None)
    assert total.required == adults.required + sum(
        r.required for r in kept if r.group == "child" and r.category is None
    )
    assert store.count(MonthClose) == 1


def test_closed_month_is_exported_with_exactly_the_rows_of_its_report(
    store: Store, tmp_path: Path
) -> None:
    """The exported ledger's 覆盖率 sheet, read back with openpyxl, lists a closed month
    as its 月报 does: the 低保 row the 月报 kept, and no 0/0 row for 独居 it never had."""
    from openpyxl import load_workbook

    from civtui.domain.choices import Frequency
    from civtui.excel.export import Ledger, export

    october = dt.date(2026, 10, 1)
    elder = make_person(dt.date(1950, 1, 1), name="[/]王=秀英\\e", categories=[Category.DIBAO])
    store.save(elder)
    (closed,) = reports.close_month(store, october, TODAY)
    moved = elder.revise(context=CTX, categories=[Category.LIVING_ALONE])
    store.save_many([*PersonEvent.between(elder, moved, dt.date(2026, 9, 1)), moved])
    path = tmp_path / "visits.xlsx"
    export(store, Ledger.VISITS, path, month=october, today=TODAY)

    sheet = load_workbook(path, read_only=True)["覆盖率"]
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(cells) if row[0] == "村(社区)")
    printed = [row[1:6] for row in cells[header + 1 :] if row[0] is not None]
    rates = {Frequency.MONTHLY.value: "月探访率", Frequency.QUARTERLY.value: "季度探访率"}
    groups = {"adult": "成人", "child": "儿童", None: "合计"}
    # The visit ledger prints the adults' categories and every subtotal of the 月报.
    expected = [
        (
            rates[f["rate"]],
            groups[f["group"]],
            Category(f["category"]).zh if f["category"] else "小计" if f["group"] else "合计",
            f["required"],
            f["contacted"],
        )
        for f in closed.figures
        if f["category"] is None or f["group"] == "adult"
    ]
    assert printed == expected
    assert any(row[2] == Category.DIBAO.zh and row[3:] == (1, 0) for row in printed)
    assert all(row[2] != Category.LIVING_ALONE.zh for row in printed)


def test_one_age_limit_drives_coverage_eligible_and_the_form(store: Store) -> None:
    """With age_limit.留守儿童=18, coverage counted a 17-year-old while 政策找人 said to
    remove the category and the person form refused it."""
    import pytest
    from pydantic import ValidationError

    from civtui.domain.models import PolicyRule
    from db import queries

    store.save(PolicyRule(id="age_limit.left_behind", value="18"))
    birth = dt.date(2009, 6, 1)  # 17 on TODAY
    fields = {"village_code": VILLAGE, "name": "留守甲", "registered_on": dt.date(2025, 1, 1)}
    data = {**fields, "id_number": synthetic_id(birth, 103), "categories": ["left_behind"]}
    child = Person.model_validate(data, context=queries.person_context(store, TODAY))
    store.save(child)
    rows = reports.coverage(store, TODAY, TODAY)
    assert any(r.category is Category.LEFT_BEHIND and r.required == 1 for r in rows)
    assert Category.LEFT_BEHIND not in hints_for(store, child)
    # At the township's limit the form refuses and 政策找人 asks for it to be removed.
    store.save(PolicyRule(id="age_limit.left_behind", value="17"))
    with pytest.raises(ValidationError, match="未满17周岁"):
        Person.model_validate(data, context=queries.person_context(store, TODAY))
    assert hints_for(store, child)[Category.LEFT_BEHIND].remove
