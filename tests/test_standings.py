"""The SQL-counted standings agree with the policy applied person by person.

The oracle here is `civtui.domain.policy` fed one Subject per person, built straight from the
records; the store's trigger-kept facts and grouped keys must give the same coverage,
the same due and overdue people, and the work list in its documented order.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest

from civtui.domain.choices import (
    Category,
    Frequency,
    GuardianSituation,
    NeedStatus,
    PersonStatus,
    RiskLevel,
    Urgency,
)
from civtui.domain.clock import Clock
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    ElderNeed,
    Person,
    Visit,
    VisitPolicy,
    effective_categories,
)
from civtui.domain.policy import MonthReport, Subject, add_months, month_report
from civtui.services import demo
from civtui.services.keys import open_store
from db import Store, queries, standings
from tests.conftest import TODAY, make_person


def oracle(store: Store, month: dt.date, today: dt.date) -> MonthReport:
    """The policy applied to every person, from their records, without policy_facts."""
    contacts: dict[tuple[str, str], list[dt.date]] = {}
    for v in store.all(Visit):
        contacts.setdefault((v.person_id, "visit"), []).append(v.visit_date)
    for c in store.all(ChildCheck):
        contacts.setdefault((c.person_id, "check"), []).append(c.check_date)
    levels: dict[str, Assessment] = {}
    for a in store.all(Assessment, order_by="assessed_on, hlc"):
        levels[a.person_id] = a
    subjects = []
    for p in store.all(Person):
        level = levels[p.id].level if p.id in levels else None
        kind = "check" if p.is_child(today) else "visit"
        subjects.append(
            Subject(
                person_id=p.id,
                village_code=p.village_code,
                categories=effective_categories(p, today, level),
                status=p.status,
                registered_on=p.registered_on,
                contacts=tuple(contacts.get((p.id, kind), ())),
            )
        )
    return month_report(subjects, month, queries.visit_policy(store))


def agree(store: Store, month: dt.date, today: dt.date = TODAY) -> standings.Standings:
    expected = oracle(store, month, today)
    got = standings.month(store, month, today, queries.visit_policy(store))
    assert got.report.overall == expected.overall
    assert got.report.by_category == expected.by_category
    assert got.report.due_count == len(expected.due)
    assert got.report.overdue_count == len(expected.overdue)
    work = standings.work_list(store, got)
    assert {w.person_id for w in work} == {s.subject.person_id for s in expected.due}
    assert {w.person_id for w in work if w.overdue} == {
        s.subject.person_id for s in expected.overdue
    }
    return got


@pytest.fixture
def demo_store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(150, seed=7, today=TODAY).all())
    return store


def test_demo_profile_counts_match_the_policy_person_by_person(demo_store: Store) -> None:
    got = agree(demo_store, TODAY)
    assert got.report.due_count > 20 and got.report.overdue_count >= 3
    # Past months and next month: other periods, other registration buckets.
    for month in (add_months(TODAY, -1), add_months(TODAY, -4), add_months(TODAY, 1)):
        agree(demo_store, month)


def test_quarterly_categories_and_a_later_day(demo_store: Store) -> None:
    demo_store.save(VisitPolicy(id=Category.DIBAO.value, frequency=Frequency.QUARTERLY))
    demo_store.save(VisitPolicy(id=Category.DISABLED.value, frequency=Frequency.NONE))
    for month in (TODAY, dt.date(2026, 10, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)):
        agree(demo_store, month)
    # Months on: some children have turned 18, some elders 80.
    agree(demo_store, dt.date(2027, 6, 1), today=dt.date(2027, 6, 15))


def test_triggers_keep_up_with_edits_deletes_and_moves(demo_store: Store) -> None:
    rng = random.Random(5)
    people = demo_store.all(Person)
    visits = demo_store.all(Visit)
    for v in rng.sample(visits, 25):
        demo_store.delete(Visit, v.id)
    for v in rng.sample(demo_store.all(Visit), 15):
        other = rng.choice(people)
        day = TODAY - dt.timedelta(days=rng.randrange(0, 120))
        demo_store.save(v.model_copy(update={"person_id": other.id, "visit_date": day}))
    for p in rng.sample(people, 10):
        demo_store.save(p.model_copy(update={"categories": [Category.LIVING_ALONE]}))
    for p in rng.sample(people, 3):
        demo_store.save(p.model_copy(update={"status": PersonStatus.MOVED_OUT}))
    for p in rng.sample(people, 3):
        demo_store.save(p.model_copy(update={"registered_on": TODAY}))
    gone = rng.choice(people)
    demo_store.delete(Person, gone.id)
    agree(demo_store, TODAY)
    assert demo_store.db.execute(
        "SELECT count(*) FROM policy_facts WHERE person_id = ?", [gone.id]
    ).fetchone() == (0,)


def assessment(person_id: str, day: dt.date, score: int) -> Assessment:
    items = {
        "feeding": score,
        "bathing": 0,
        "grooming": 0,
        "dressing": score,
        "bowels": score,
        "bladder": score,
        "toilet": score,
        "transfer": score,
        "mobility": score,
        "stairs": 0,
    }
    return Assessment.model_validate(
        {"person_id": person_id, "assessed_on": day, "assessor": "王", **items},
        context={"today": TODAY},
    )


def test_work_list_order_and_flags(store: Store) -> None:
    october = dt.date(2026, 10, 5)
    alone = [Category.LIVING_ALONE]

    def person(name: str, birth: dt.date, seq: int, cats: list[Category]) -> Person:
        p = make_person(birth, seq, name=name, categories=cats)
        store.save(p)
        return p

    def visit(p: Person, day: dt.date) -> None:
        store.save(Visit(person_id=p.id, visit_date=day, visitor="王"))

    old = person("老人", dt.date(1935, 3, 1), 101, alone)
    young = person("年轻", dt.date(1960, 3, 1), 103, alone)
    urgent = person("急需", dt.date(1961, 3, 1), 105, alone)
    risky = person("风险", dt.date(2017, 3, 1), 107, [Category.LEFT_BEHIND])
    overdue = person("逾期", dt.date(1962, 3, 1), 109, alone)
    visited = person("已访", dt.date(1930, 3, 1), 111, alone)
    for p in (old, young, urgent, visited):
        visit(p, october)
    visit(visited, dt.date(2026, 11, 3))
    store.save(
        ChildCheck.model_validate(
            {
                "person_id": risky.id,
                "check_date": october,
                "checker": "李",
                "guardian_situation": GuardianSituation.BOTH_AWAY,
                "risk_level": RiskLevel.HIGH,
                "reported_at": dt.datetime(2026, 10, 5, 9, 0),
                "reported_to": "镇政府",
            },
            context={"today": TODAY},
        )
    )
    store.save(
        ElderNeed.model_validate(
            {
                "person_id": urgent.id,
                "need_type": "meals",
                "urgency": Urgency.URGENT,
                "raised_on": october,
                "raised_by": "王",
            },
            context={"today": TODAY},
        )
    )
    got = standings.month(store, TODAY, TODAY, queries.visit_policy(store))
    work = standings.work_list(store, got)
    assert [w.person_id for w in work] == [overdue.id, risky.id, urgent.id, old.id, young.id]
    assert [w.overdue for w in work] == [True, False, False, False, False]
    assert work[1].high_risk and work[2].urgent_need
    assert work[3].age == 91 and work[3].last_contact == october
    assert work[0].last_contact is None
    assert standings.work_list(store, got, limit=2) == work[:2]
    assert standings.high_risk(store, TODAY) == [risky.id]

    # A resolved need is no longer urgent; a later low-risk check clears the risk.
    need = store.all(ElderNeed)[0]
    store.save(need.model_copy(update={"status": NeedStatus.RESOLVED}))
    check = store.all(ChildCheck)[0]
    later = {"id": "later-check", "check_date": dt.date(2026, 10, 20), "risk_level": RiskLevel.LOW}
    store.save(check.model_copy(update=later))
    work = standings.work_list(store, got)
    assert not any(w.urgent_need or w.high_risk for w in work)
    assert standings.high_risk(store, TODAY) == []

    # A later assessment decides the level: severe makes 失能, a newer mild one undoes it.
    store.save(assessment(young.id, dt.date(2026, 9, 1), 0))
    assert Category.DISABLED in agree(store, TODAY).report.by_category
    store.save(assessment(young.id, dt.date(2026, 10, 1), 10))
    assert Category.DISABLED not in agree(store, TODAY).report.by_category


def test_last_contact_of_a_past_month_is_the_one_before_its_end(store: Store) -> None:
    p = make_person(categories=[Category.LIVING_ALONE])
    store.save(p)
    for day in (dt.date(2026, 8, 20), dt.date(2026, 11, 5)):
        store.save(Visit(person_id=p.id, visit_date=day, visitor="王"))
    october = standings.month(store, dt.date(2026, 10, 1), TODAY, queries.visit_policy(store))
    (item,) = standings.work_list(store, october)
    assert item.last_contact == dt.date(2026, 8, 20) and item.overdue
    november = standings.month(store, TODAY, TODAY, queries.visit_policy(store))
    assert standings.work_list(store, november) == []
