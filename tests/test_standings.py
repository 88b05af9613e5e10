"""The SQL-counted standings agree with the plain-Python oracle (`tests/oracle.py`).

Hypothesis generates village histories — registrations, deaths, moves, category changes,
birthdays crossing an age limit, visits, checks, assessments, closed months and 补录 entries,
across months and quarters — and every figure (monthly and quarterly, per village, per
category, adults/children, 合计, 补录) and the due, overdue and reassessment lists must be
the same both ways. `ORACLE_EXAMPLES=20000 pytest tests/test_standings.py -k oracle` runs more.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civtui.domain.choices import (
    Category,
    Frequency,
    GuardianSituation,
    PersonStatus,
    VisitMode,
)
from civtui.domain.clock import Clock
from civtui.domain.errors import text
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    Person,
    PersonEvent,
    PolicyRule,
    Village,
    Visit,
    VisitPolicy,
)
from civtui.domain.policy import GROUPS, RATES, Rules
from civtui.domain.worklist import WorkItem
from civtui.services import demo, reports
from civtui.services.keys import open_store
from db import Store, queries, standings
from tests import oracle
from tests.conftest import TODAY, VILLAGE, examples, synthetic_id

OTHER = "330902112202"
STORED = {"stored": True}
EXAMPLES = int(os.environ.get("ORACLE_EXAMPLES", examples(1000, 25)))


def sql_figures(store: Store, day: dt.date, rules: Rules) -> oracle.Figures:
    found: oracle.Figures = {}
    for village, s in standings.by_village(store, day, TODAY, rules).items():
        for frequency in RATES:
            report = s.rate(frequency)
            if report is None:
                continue
            for key, tally in [
                ((village, frequency, None, None), report.total),
                *(((village, frequency, g, None), report.groups[g]) for g in GROUPS),
                *(((village, frequency, g, c), t) for (g, c), t in report.by_category.items()),
            ]:
                if tally.required or tally.late_joined:
                    found[key] = (tally.required, tally.contacted, tally.late, tally.late_joined)
    return found


def agree(store: Store, day: dt.date, today: dt.date = TODAY) -> None:
    rules = queries.rules(store)
    figures, due, overdue = oracle.everything(store, day)
    assert sql_figures(store, day, rules) == figures
    got = standings.month(store, day, today, rules)
    work = standings.work_list(store, got)
    again = oracle.reassess(store, today)
    assert {w.person_id for w in work} == due | again
    assert {w.person_id for w in work if w.overdue} == overdue
    assert {w.person_id for w in work if w.reassess} == again
    assert got.due_count == len(due) and got.overdue_count == len(overdue)
    villages_split(store, day, today)


def villages_split(
    store: Store, day: dt.date, today: dt.date = TODAY
) -> dict[str, tuple[object, ...]]:
    """Each village's figures and work list from `by_village`, after checking that they
    are the same asked of the village alone and everyone's cut down to the village."""
    rules = queries.rules(store)
    everyone = standings.month(store, day, today, rules)
    every = standings.work_list(store, everyone)
    where = dict(store.db.execute("SELECT id, village_code FROM persons WHERE deleted = 0"))
    found: dict[str, tuple[object, ...]] = {}
    split: list[WorkItem] = []
    due = overdue = 0
    for village, s in standings.by_village(store, day, today, rules).items():
        alone = standings.month(store, day, today, rules, village)
        assert standing_figures(alone) == standing_figures(s)
        work = standings.work_list(store, s)
        assert work == standings.work_list(store, alone)
        assert work == standings.work_list(store, everyone, village_code=village)
        assert work == [w for w in every if where[w.person_id] == village]
        assert work[:3] == standings.work_list(store, s, limit=3)
        split += work
        due, overdue = due + s.due_count, overdue + s.overdue_count
        found[village] = (standing_figures(s), work)
    assert sorted(split, key=every.index) == every
    assert (due, overdue) == (everyone.due_count, everyone.overdue_count)
    return found


def standing_figures(s: standings.Standings) -> tuple[object, ...]:
    return s.rates, s.due_count, s.overdue_count


# -- generated histories ---------------------------------------------------------------

_SHARED: dict[str, Store] = {}
#: Children before parents, so that foreign keys hold while the store is emptied.
_WIPE = (
    "contact_months",
    "visits",
    "child_checks",
    "assessments",
    "person_events",
    "month_reports",
    "persons",
    "policy_facts",
    "policy_classes",
    "visit_policy",
    "policy_rules",
    "changes",
    "person_search",
)


def fresh_store(tmp: Path) -> Store:
    """A store with two villages and nothing else: one per process, emptied between
    histories (opening a new file per history took longer than judging it)."""
    store = _SHARED.get("store")
    if store is None:
        tmp.mkdir(parents=True, exist_ok=True)
        store = open_store(tmp / "shared.db", Clock.pinned(TODAY))
        store.save(Village(id=VILLAGE, name="海星村"))
        store.save(Village(id=OTHER, name="海月村"))
        _SHARED["store"] = store
        return store
    with store.transaction(durable=False):
        for table in _WIPE:
            store.db.execute(f"DELETE FROM {table}")
    return store


CATS = [
    Category.LIVING_ALONE,
    Category.EMPTY_NEST,
    Category.DIBAO,
    Category.LEFT_BEHIND,
    Category.CHILD_IN_DISTRESS,
]
days = st.dates(dt.date(2026, 3, 1), TODAY)
births = st.one_of(
    # Around the child limits (16, 18), 60 and 80 for the months asked about.
    *(st.dates(dt.date(2026 - age, 6, 1), dt.date(2027 - age, 1, 31)) for age in (16, 18, 60, 80)),
    st.dates(dt.date(1930, 1, 1), dt.date(2024, 1, 1)),
)
people = st.lists(
    st.fixed_dictionaries(
        {
            "birth": births,
            "village": st.sampled_from([VILLAGE, OTHER]),
            "registered": st.dates(dt.date(2026, 1, 1), TODAY),
            "status": st.sampled_from(list(PersonStatus)),
            "cats": st.sets(st.sampled_from(CATS), max_size=2),
            "status_events": st.lists(
                st.tuples(days, st.sampled_from(list(PersonStatus))), max_size=2
            ),
            "cat_events": st.lists(
                st.tuples(days, st.sampled_from(CATS), st.booleans()), max_size=2
            ),
            "contacts": st.lists(
                st.tuples(days, st.sampled_from(["visit", "check"]), st.booleans()), max_size=4
            ),
            "assessments": st.lists(
                st.tuples(st.dates(dt.date(2025, 6, 1), TODAY), st.sampled_from([0, 5, 10])),
                max_size=3,
            ),
        }
    ),
    min_size=1,
    max_size=6,
)
policies = st.fixed_dictionaries(
    {
        "frequencies": st.dictionaries(
            st.sampled_from([*CATS, Category.ADVANCED_AGE, Category.DISABLED]),
            st.sampled_from(list(Frequency)),
            max_size=3,
        ),
        "valid": st.sampled_from(["6", "12"]),
        "left_behind_kinds": st.sampled_from([None, "check", "visit,check"]),
        "closed": st.sampled_from([None, dt.date(2026, 9, 1), dt.date(2026, 10, 1)]),
    }
)


def assessment(person_id: str, day: dt.date, score: int) -> Assessment:
    items = dict.fromkeys(
        ["feeding", "dressing", "bowels", "bladder", "toilet", "transfer", "mobility"],
        score,
    )
    return Assessment.model_validate(
        {
            "person_id": person_id,
            "assessed_on": day,
            "assessor": "王",
            "bathing": 0,
            "grooming": 0,
            "stairs": 0,
            **items,
        },
        context=STORED,
    )


def contact(person_id: str, day: dt.date, kind: str) -> Visit | ChildCheck:
    if kind == "visit":
        return Visit(person_id=person_id, visit_date=day, visitor="王", mode=VisitMode.HOME)
    return ChildCheck(
        person_id=person_id,
        check_date=day,
        checker="李",
        guardian_situation=GuardianSituation.PARENTS,
    )


def build(store: Store, policy: dict[str, Any], persons: list[dict[str, Any]]) -> None:
    for category, frequency in policy["frequencies"].items():
        store.save(VisitPolicy(id=category.value, frequency=frequency))
    store.save(PolicyRule(id="adl_valid_months", value=policy["valid"]))
    if policy["left_behind_kinds"]:
        store.save(PolicyRule(id="contact_kinds.left_behind", value=policy["left_behind_kinds"]))
    later: list[Any] = []
    for seq, p in enumerate(persons):
        person = Person.model_validate(
            {
                "village_code": p["village"],
                "name": f"人{seq}",
                "id_number": synthetic_id(p["birth"], 101 + seq),
                "categories": sorted(p["cats"]),
                "status": p["status"],
                "registered_on": p["registered"],
            },
            context=STORED,
        )
        store.save(person)
        for day, before in p["status_events"]:
            store.save(
                PersonEvent(
                    person_id=person.id, effective_on=day, status_before=before, status=p["status"]
                )
            )
        for day, category, held in p["cat_events"]:
            store.save(
                PersonEvent(person_id=person.id, effective_on=day, category=category, held=held)
            )
        for day, score in p["assessments"]:
            store.save(assessment(person.id, day, score))
        for day, kind, after_close in p["contacts"]:
            record = contact(person.id, day, kind)
            if after_close:
                later.append(record)
            else:
                store.save(record)
    if policy["closed"] is not None:
        reports.close_month(store, policy["closed"], TODAY)
    for record in later:
        store.save(record)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    policy=policies,
    persons=people,
    # September (Q3's end), October (a new quarter, a month that may be closed), November.
    day=st.sampled_from([dt.date(2026, 9, 10), dt.date(2026, 10, 10), TODAY]),
)
def test_oracle_agrees_with_sql_on_generated_histories(
    tmp_path: Path, policy: dict[str, Any], persons: list[dict[str, Any]], day: dt.date
) -> None:
    store = fresh_store(tmp_path / "h")
    # One transaction: a history is written in one go, as an import would.
    with store.transaction(durable=False):
        build(store, policy, persons)
    agree(store, day)


def test_demo_profile_agrees_with_the_oracle(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(150, seed=7, today=TODAY).all())
    for day in (TODAY, dt.date(2026, 10, 1), dt.date(2026, 7, 1)):
        agree(store, day)
    store.save(VisitPolicy(id=Category.DIBAO.value, frequency=Frequency.QUARTERLY))
    agree(store, TODAY)
    store.close()


# -- seven cases the coverage rules turn on ------------------------------------------------


def person(
    store: Store, birth: dt.date, cats: list[Category], seq: int = 101, **more: Any
) -> Person:
    p = Person.model_validate(
        {
            "village_code": VILLAGE,
            "name": f"人{seq}",
            "id_number": synthetic_id(birth, seq),
            "categories": cats,
            "registered_on": dt.date(2024, 1, 1),
            **more,
        },
        context=STORED,
    )
    store.save(p)
    return p


def rate(store: Store, day: dt.date, frequency: Frequency = Frequency.MONTHLY) -> tuple[int, int]:
    report = standings.month(store, day, TODAY, queries.rules(store)).rates[frequency]
    return report.total.contacted, report.total.required


ALONE = [Category.LIVING_ALONE]
OCT = dt.date(2026, 10, 1)


def test_case1_a_dated_death_does_not_rewrite_earlier_months(store: Store) -> None:
    people_ = [person(store, dt.date(1950, 1, 1), ALONE, 101 + 2 * i) for i in range(3)]
    visited = people_[0]
    store.save(Visit(person_id=visited.id, visit_date=dt.date(2026, 11, 2), visitor="王"))
    assert rate(store, OCT) == (0, 3)
    # Marked 已故 in November, effective 11-05: October still has 3 due, November keeps the
    # visit made before the death, and the one who died unvisited is simply not counted.
    for p in people_[:2]:
        dead = p.model_copy(update={"status": PersonStatus.DECEASED})
        store.save_many([*PersonEvent.between(p, dead, dt.date(2026, 11, 5)), dead])
    assert rate(store, OCT) == (0, 3)
    assert rate(store, TODAY) == (1, 2)
    agree(store, OCT)
    agree(store, TODAY)


def test_case2_registered_on_the_25th_counts_only_if_visited(store: Store) -> None:
    late = person(store, dt.date(1950, 1, 1), ALONE, registered_on=dt.date(2026, 10, 25))
    assert rate(store, OCT) == (0, 0)
    store.save(Visit(person_id=late.id, visit_date=dt.date(2026, 10, 26), visitor="王"))
    assert rate(store, OCT) == (1, 1)
    # From November, a whole month in the category: required.
    assert rate(store, TODAY) == (0, 1)
    agree(store, OCT)


def test_case3_quarterly_categories_keep_to_the_quarterly_rate(store: Store) -> None:
    # 高龄 quarterly, as a township may set it; nothing else for these three.
    store.save(VisitPolicy(id=Category.ADVANCED_AGE.value, frequency=Frequency.QUARTERLY))
    old = [person(store, dt.date(1940, 1, 1), [], 101 + 2 * i) for i in range(3)]
    store.save(Visit(person_id=old[0].id, visit_date=dt.date(2026, 10, 10), visitor="王"))
    store.save(Visit(person_id=old[1].id, visit_date=dt.date(2026, 11, 3), visitor="王"))
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    assert got.rates[Frequency.MONTHLY].total.required == 0  # no leak into 月探访率
    assert rate(store, TODAY, Frequency.QUARTERLY) == (2, 3)
    assert rate(store, OCT, Frequency.QUARTERLY) == (2, 3)  # the same quarter, Q4
    assert rate(store, dt.date(2026, 9, 1), Frequency.QUARTERLY) == (0, 3)
    agree(store, TODAY)


def test_case4_a_visit_to_a_child_counts(store: Store) -> None:
    child = person(store, dt.date(2015, 5, 1), [Category.DIBAO])
    store.save(Visit(person_id=child.id, visit_date=dt.date(2026, 11, 3), visitor="王"))
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    assert got.rates[Frequency.MONTHLY].groups["child"].contacted == 1
    assert standings.work_list(store, got) == []
    agree(store, TODAY)


def test_case5_ages_are_judged_on_the_first_and_left_behind_ends_at_16(store: Store) -> None:
    # Turns 18 on 11-10: a child on the 1st, so the November check still counts for her.
    turning = person(store, dt.date(2008, 11, 10), [Category.CHILD_IN_DISTRESS])
    store.save(
        ChildCheck(
            person_id=turning.id,
            check_date=dt.date(2026, 11, 2),
            checker="李",
            guardian_situation=GuardianSituation.PARENTS,
        )
    )
    # Sixteen since September: no longer 留守儿童 (国发〔2016〕13号), in no rate.
    person(store, dt.date(2010, 9, 1), [Category.LEFT_BEHIND], 103)
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    assert rate(store, TODAY) == (1, 1)
    assert standings.work_list(store, got) == []
    # Today she is 18 and the other 16: both flags should go (政策找人 says so).
    assert {h.category for h in reports.eligible(store, TODAY) if h.remove} == {
        Category.LEFT_BEHIND,
        Category.CHILD_IN_DISTRESS,
    }
    agree(store, TODAY)


def test_case6_a_total_adds_up_adults_and_children(store: Store) -> None:
    store.save_many(demo.generate(150, seed=7, today=TODAY).all())
    for row in [r for r in reports.coverage(store, TODAY, TODAY) if r.group is None]:
        parts = [
            r
            for r in reports.coverage(store, TODAY, TODAY)
            if r.village_code == row.village_code
            and r.rate_kind is row.rate_kind
            and r.group is not None
            and r.category is None
        ]
        assert [p.group for p in parts] == ["adult", "child"]
        assert row.required == sum(p.required for p in parts)
        assert row.contacted == sum(p.contacted for p in parts)


def test_case7_adl_levels_only_from_60_and_only_while_valid(store: Store) -> None:
    young = person(store, dt.date(1996, 1, 1), [], 101)
    store.save(assessment(young.id, dt.date(2026, 9, 1), 0))  # Barthel 0, but 30 years old
    old = person(store, dt.date(1950, 1, 1), [], 103)
    store.save(assessment(old.id, dt.date(2024, 9, 1), 0))  # two years ago: expired
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    assert got.rates[Frequency.MONTHLY].total.required == 0
    work = standings.work_list(store, got)
    assert [(w.person_id, w.reassess) for w in work] == [(old.id, True)]
    store.save(assessment(old.id, dt.date(2026, 9, 1), 0))
    assert rate(store, TODAY) == (0, 1)
    agree(store, TODAY)


def test_a_closed_month_keeps_its_report_and_marks_later_entries(store: Store) -> None:
    p = person(store, dt.date(1950, 1, 1), ALONE)
    (closed,) = reports.close_month(store, OCT, TODAY)
    assert closed.id == f"{VILLAGE}:2026-10" and closed.taken_at.date() == TODAY
    store.save(Visit(id="v1", person_id=p.id, visit_date=dt.date(2026, 10, 20), visitor="王"))
    visit = store.get(Visit, "v1")
    assert visit is not None and visit.late
    (total, *_) = [r for r in reports.coverage(store, OCT, TODAY) if r.group is None]
    assert (total.required, total.contacted, total.late) == (1, 0, 1)
    assert reports.close_month(store, OCT, TODAY) == []
    # A visit in an open month is not 补录.
    store.save(Visit(id="v2", person_id=p.id, visit_date=dt.date(2026, 11, 2), visitor="王"))
    assert not store.get(Visit, "v2").late  # type: ignore[union-attr]
    agree(store, OCT)


def test_rules_from_policy_data(store: Store) -> None:
    store.save(PolicyRule(id="age_limit.left_behind", value="14"))
    store.save(PolicyRule(id="adl_valid_months", value="6"))
    store.save(PolicyRule(id="contact_kinds.dibao", value="visit"))
    rules = queries.rules(store)
    assert rules.age_limits[Category.LEFT_BEHIND] == 14
    assert rules.adl_valid_months == 6
    assert rules.kinds(Category.DIBAO) == frozenset({"visit"})
    assert rules.kinds(Category.ORPHAN) == frozenset({"visit", "check"})


@pytest.mark.parametrize(
    ("name", "value", "zh", "en"),
    [
        ("contact_kinds.dibao", "phone", "应为 visit、check", "takes visit, check"),
        ("age_limit.留守儿童", "=1+1", "应为1到120的整数", "whole number of years"),
        ("adl_valid_months", "[b]0[/b]", "应为1到120的整数", "whole number from 1 to 120"),
        ("no_such_rule", "1", "没有名为“no_such_rule”的规则", "no rule named “no_such_rule”"),
    ],
)
def test_a_rule_refused_says_why_in_both_languages(name: str, value: str, zh: str, en: str) -> None:
    with pytest.raises(ValueError) as caught:
        Rules.check(name, value)
    assert zh in text(caught.value, "zh")
    assert en in text(caught.value, "en")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text(caught.value, "en").replace(name, ""))


def test_a_status_or_category_change_is_dated_through_the_write_api(store: Store) -> None:
    p = person(store, dt.date(1950, 1, 1), ALONE)
    store.save(p.model_copy(update={"status": PersonStatus.MOVED_OUT, "categories": []}))
    events = store.all(PersonEvent, order_by="category")
    assert [(e.effective_on, e.status_before, e.status, e.category, e.held) for e in events] == [
        (TODAY, PersonStatus.ACTIVE, PersonStatus.MOVED_OUT, None, None),
        (TODAY, None, None, Category.LIVING_ALONE, False),
    ]
    logged = {c.record_id for c in store.changes() if c.table_name == "person_events"}
    assert logged == {e.id for e in events}  # they sync like every record


def test_the_migration_dates_past_undated_changes_by_their_log_time(store: Store) -> None:
    from db import migrations

    p = person(store, dt.date(1950, 1, 1), ALONE)
    store.save(p.model_copy(update={"status": PersonStatus.DECEASED}))
    # As a laptop that made the change before events existed has it: no event, one log entry.
    store.db.execute("DELETE FROM person_events")
    store.db.execute("DELETE FROM changes WHERE table_name = 'person_events'")
    store.db.execute(
        "UPDATE changes SET created_at = '2026-10-03T09:00:00' WHERE seq = "
        "(SELECT max(seq) FROM changes WHERE table_name = 'persons')"
    )
    migrations._date_past_changes(store.db)
    (event,) = store.all(PersonEvent)
    assert (event.effective_on, event.status_before, event.status) == (
        dt.date(2026, 10, 3),
        PersonStatus.ACTIVE,
        PersonStatus.DECEASED,
    )
    assert [c.record_id for c in store.changes() if c.table_name == "person_events"] == [event.id]
    assert rate(store, dt.date(2026, 9, 1)) == (0, 1) and rate(store, TODAY) == (0, 0)


def test_an_assessment_expiring_between_two_first_days(store: Store) -> None:
    p = person(store, dt.date(1956, 1, 1), [], 101)
    # Valid on 10-01 (less than 12 months old), expired on 11-01.
    store.save(assessment(p.id, dt.date(2025, 10, 15), 0))
    assert rate(store, OCT) == (0, 1)
    assert rate(store, TODAY) == (0, 0)
    agree(store, OCT)
    agree(store, TODAY)


def test_late_entries_never_exceed_the_gap_between_required_and_visited(store: Store) -> None:
    """应访 2, 已访 1, 补录 2 was possible: a person who joined mid-month and was contacted
    only by a 补录 entry counted in 补录 beside a 月报 that never had them."""
    visited = person(store, dt.date(1950, 1, 1), ALONE, 101)
    missed = person(store, dt.date(1950, 1, 1), ALONE, 103)
    joined = person(store, dt.date(1950, 1, 1), ALONE, 105, registered_on=dt.date(2026, 10, 25))
    store.save(Visit(person_id=visited.id, visit_date=dt.date(2026, 10, 3), visitor="王"))
    reports.close_month(store, OCT, TODAY)
    for p, day in ((missed, 20), (joined, 27)):
        store.save(Visit(person_id=p.id, visit_date=dt.date(2026, 10, day), visitor="王"))
    (total, *_) = [r for r in reports.coverage(store, OCT, TODAY) if r.group is None]
    assert (total.required, total.contacted) == (2, 1)
    assert total.late == 1 <= total.required - total.contacted
    # Today's records: the joiner counts, as due and visited, only in 现.
    assert total.now == (3, 3)
    agree(store, OCT)
