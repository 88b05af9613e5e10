"""The work list: who is due, in its documented order, with its flags."""

from __future__ import annotations

import datetime as dt

from civtui.domain.choices import (
    Category,
    Frequency,
    GuardianSituation,
    NeedStatus,
    RiskLevel,
    Urgency,
)
from civtui.domain.models import ChildCheck, ElderNeed, Person, Village, Visit
from db import Store, queries, standings
from tests.conftest import TODAY, VILLAGE, make_person
from tests.test_standings import OTHER, agree, assessment


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
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    work = standings.work_list(store, got)
    assert [w.person_id for w in work] == [overdue.id, risky.id, urgent.id, old.id, young.id]
    assert [w.overdue for w in work] == [True, False, False, False, False]
    assert work[1].high_risk and work[2].urgent_need
    assert work[3].age == 91 and work[3].last_contact == october
    assert work[0].last_contact is None
    assert standings.work_list(store, got, limit=2) == work[:2]
    assert standings.high_risk(store, TODAY, queries.rules(store)) == [risky.id]

    # A resolved need is no longer urgent; a later low-risk check clears the risk.
    need = store.all(ElderNeed)[0]
    store.save(need.model_copy(update={"status": NeedStatus.RESOLVED}))
    check = store.all(ChildCheck)[0]
    later = {"id": "later-check", "check_date": dt.date(2026, 10, 20), "risk_level": RiskLevel.LOW}
    store.save(check.model_copy(update=later))
    work = standings.work_list(store, got)
    assert not any(w.urgent_need or w.high_risk for w in work)
    assert standings.high_risk(store, TODAY, queries.rules(store)) == []

    # A later assessment decides the level: severe makes 失能, a newer mild one undoes it.
    def disabled() -> bool:
        got = standings.month(store, TODAY, TODAY, queries.rules(store))
        return ("adult", Category.DISABLED) in got.rates[Frequency.MONTHLY].by_category

    store.save(assessment(young.id, dt.date(2026, 9, 1), 0))
    assert disabled()
    agree(store, TODAY)
    store.save(assessment(young.id, dt.date(2026, 10, 1), 10))
    assert not disabled()
    agree(store, TODAY)


def test_last_contact_of_a_past_month_is_the_one_before_its_end(store: Store) -> None:
    p = make_person(categories=[Category.LIVING_ALONE])
    store.save(p)
    for day in (dt.date(2026, 8, 20), dt.date(2026, 11, 5)):
        store.save(Visit(person_id=p.id, visit_date=day, visitor="王"))
    october = standings.month(store, dt.date(2026, 10, 1), TODAY, queries.rules(store))
    (item,) = standings.work_list(store, october)
    assert item.last_contact == dt.date(2026, 8, 20) and item.overdue
    november = standings.month(store, TODAY, TODAY, queries.rules(store))
    assert standings.work_list(store, november) == []


def test_the_townships_adl_rule_decides_reassessment_in_both_lists(store: Store) -> None:
    """Work list (待复评) and 待跟进 read the same rule: with `adl_valid_months 6`, an
    assessment eight months old is due again; a young person's or a mildly dependent one's not."""
    from civtui.domain.models import PolicyRule
    from db.followups import open_follow_ups

    eight_months_ago = dt.date(2026, 3, 20)
    elder = make_person(dt.date(1950, 1, 1), 101, name="失能")
    young = make_person(dt.date(1996, 1, 1), 103, name="年轻")
    fit = make_person(dt.date(1950, 1, 1), 105, name="自理")
    store.save_many([elder, young, fit])
    store.save(assessment(elder.id, eight_months_ago, 0))
    store.save(assessment(young.id, eight_months_ago, 0))
    fit_assessment = assessment(fit.id, eight_months_ago, 10)
    store.save(fit_assessment.model_copy(update={"bathing": 5, "grooming": 5, "stairs": 10}))

    def due_again() -> tuple[set[str], set[str]]:
        rules = queries.rules(store)
        month = standings.month(store, TODAY, TODAY, rules)
        work = {w.person_id for w in standings.work_list(store, month) if w.reassess}
        follow = open_follow_ups(
            store, TODAY, adl_valid_months=rules.adl_valid_months, adl_min_age=rules.adl_min_age
        )
        return work, {f.person_id for f in follow if f.kind == "assessment"}

    # The default rule (12 months): still valid, due nowhere; 失能 counts this month.
    assert due_again() == (set(), set())
    store.save(PolicyRule(id="adl_valid_months", value="6"))
    assert due_again() == ({elder.id}, {elder.id})
    # The township's 60: a 30-year-old's Barthel 0 is no 失能 to reassess.
    store.save(PolicyRule(id="adl_min_age", value="25"))
    assert due_again() == ({elder.id, young.id}, {elder.id, young.id})
    agree(store, TODAY)


def test_a_past_months_list_is_ordered_by_the_contact_before_its_end(store: Store) -> None:
    """Everyone here was visited again in November: in October's list each is placed by
    their last visit up to 31 October, in everyone's list and in their village's."""
    store.save(Village(id=OTHER, name="海月村"))
    before_end = {
        "八月": dt.date(2026, 8, 9),
        "九月初": dt.date(2026, 9, 1),
        "九月末": dt.date(2026, 9, 28),
        "从未": None,
    }
    people: dict[str, Person] = {}
    for seq, (name, day) in enumerate(before_end.items()):
        p = make_person(
            dt.date(1950, 1, 1),
            101 + 2 * seq,
            name=name,
            categories=[Category.LIVING_ALONE],
            village_code=OTHER if seq % 2 else VILLAGE,
        )
        store.save(p)
        people[name] = p
        if day is not None:
            store.save(Visit(person_id=p.id, visit_date=day, visitor="王"))
        store.save(Visit(person_id=p.id, visit_date=dt.date(2026, 11, 3 + seq), visitor="王"))
    rules = queries.rules(store)

    def october(village: str | None = None) -> list[tuple[str, dt.date | None]]:
        got = standings.month(store, dt.date(2026, 10, 1), TODAY, rules, village)
        names = {p.id: name for name, p in people.items()}
        return [(names[w.person_id], w.last_contact) for w in standings.work_list(store, got)]

    everyone = [("从未", None), ("八月", before_end["八月"]), ("九月初", before_end["九月初"])]
    everyone.append(("九月末", before_end["九月末"]))
    assert october() == everyone
    for village in (VILLAGE, OTHER):
        mine = [(name, day) for name, day in everyone if people[name].village_code == village]
        assert october(village) == mine
    # A visit in October written here takes that person off October's list; the rest keep
    # their places (the changed row is read again, the others are kept).
    store.save(Visit(person_id=people["八月"].id, visit_date=dt.date(2026, 10, 30), visitor="王"))
    assert october() == [item for item in everyone if item[0] != "八月"]
    agree(store, dt.date(2026, 10, 1))
