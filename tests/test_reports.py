from __future__ import annotations

import datetime as dt

from civtui.domain.choices import Category, EconomicStatus, GuardianSituation
from civtui.domain.models import ChildCheck, Household, Person
from civtui.services import reports
from db import Store
from tests.conftest import CTX, TODAY, VILLAGE, make_person


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
