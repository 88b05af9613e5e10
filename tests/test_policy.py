from __future__ import annotations

import datetime as dt

from civtui.domain.choices import Category, Frequency, PersonStatus
from civtui.domain.policy import DEFAULT_POLICY, Subject, add_months, month_report, period, standing

ALONE = frozenset({Category.LIVING_ALONE})


def subject(
    *contacts: dt.date,
    cats: frozenset[Category] = ALONE,
    status: PersonStatus = PersonStatus.ACTIVE,
    registered: dt.date = dt.date(2024, 1, 1),
    pid: str = "p",
) -> Subject:
    return Subject(pid, "330902112201", cats, status, registered, tuple(sorted(contacts)))


def test_due_until_visited_in_the_calendar_month() -> None:
    nov = dt.date(2026, 11, 1)
    before = standing(subject(dt.date(2026, 10, 31)), nov, DEFAULT_POLICY)
    assert before.required and before.due and not before.overdue
    after = standing(subject(dt.date(2026, 10, 31), dt.date(2026, 11, 1)), nov, DEFAULT_POLICY)
    assert after.required and after.contacted and not after.due


def test_overdue_when_last_month_was_missed() -> None:
    nov = dt.date(2026, 11, 15)
    missed_october = standing(subject(dt.date(2026, 9, 30)), nov, DEFAULT_POLICY)
    assert missed_october.due and missed_october.overdue
    assert missed_october.last_contact == dt.date(2026, 9, 30)
    # Once visited this month the person is neither due nor overdue any more.
    caught_up = standing(subject(dt.date(2026, 11, 2)), nov, DEFAULT_POLICY)
    assert not caught_up.due and not caught_up.overdue


def test_year_boundary_january_looks_back_at_december() -> None:
    jan = dt.date(2027, 1, 10)
    assert standing(subject(dt.date(2026, 12, 31)), jan, DEFAULT_POLICY).overdue is False
    assert standing(subject(dt.date(2026, 11, 30)), jan, DEFAULT_POLICY).overdue is True


def test_visits_after_the_month_do_not_count_for_it() -> None:
    october = standing(subject(dt.date(2026, 11, 1)), dt.date(2026, 10, 1), DEFAULT_POLICY)
    assert october.due and october.last_contact is None


def test_newly_registered_person_is_due_but_not_overdue() -> None:
    st = standing(subject(registered=dt.date(2026, 11, 5)), dt.date(2026, 11, 20), DEFAULT_POLICY)
    assert st.due and not st.overdue
    later = standing(
        subject(registered=dt.date(2026, 12, 5)), dt.date(2026, 11, 20), DEFAULT_POLICY
    )
    assert not later.required


def test_deceased_and_moved_out_are_never_due() -> None:
    for status in (PersonStatus.DECEASED, PersonStatus.MOVED_OUT):
        st = standing(subject(status=status), dt.date(2026, 11, 1), DEFAULT_POLICY)
        assert not st.required and not st.due and not st.overdue


def test_people_without_a_key_category_are_not_required() -> None:
    st = standing(subject(cats=frozenset()), dt.date(2026, 11, 1), DEFAULT_POLICY)
    assert st.frequency is Frequency.NONE and not st.required


def test_quarterly_category_uses_the_calendar_quarter() -> None:
    policy = {**DEFAULT_POLICY, Category.EMPTY_NEST: Frequency.QUARTERLY}
    nest = frozenset({Category.EMPTY_NEST})
    assert period(Frequency.QUARTERLY, dt.date(2026, 11, 5)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    visited_in_october = subject(dt.date(2026, 10, 3), cats=nest)
    assert not standing(visited_in_october, dt.date(2026, 12, 1), policy).due
    missed_q3 = subject(dt.date(2026, 6, 3), cats=nest)
    st = standing(missed_q3, dt.date(2026, 11, 1), policy)
    assert st.due and st.overdue


def test_most_demanding_category_wins() -> None:
    policy = {**DEFAULT_POLICY, Category.EMPTY_NEST: Frequency.QUARTERLY}
    both = frozenset({Category.EMPTY_NEST, Category.LIVING_ALONE})
    assert standing(subject(cats=both), dt.date(2026, 11, 1), policy).frequency is Frequency.MONTHLY


def test_coverage_per_category_and_overall() -> None:
    nov = dt.date(2026, 11, 20)
    children = frozenset({Category.LEFT_BEHIND})
    people = [
        subject(dt.date(2026, 11, 3), pid="a"),
        subject(dt.date(2026, 10, 3), pid="b"),
        subject(dt.date(2026, 11, 4), cats=children, pid="c"),
        subject(cats=frozenset(), pid="d"),  # not a key person: not counted
        subject(status=PersonStatus.DECEASED, pid="e"),
    ]
    report = month_report(people, nov)
    assert (report.overall.contacted, report.overall.required) == (2, 3)
    alone = report.by_category[Category.LIVING_ALONE]
    assert (alone.contacted, alone.required, alone.rate) == (1, 2, 0.5)
    assert report.by_category[Category.LEFT_BEHIND].rate == 1.0
    assert [s.subject.person_id for s in report.due] == ["b"]
    assert report.overdue == []
    assert Category.ORPHAN not in report.by_category


def test_category_set_to_none_drops_out_of_coverage() -> None:
    policy = {**DEFAULT_POLICY, Category.DIBAO: Frequency.NONE}
    report = month_report([subject(cats=frozenset({Category.DIBAO}))], dt.date(2026, 11, 1), policy)
    assert report.overall.required == 0 and report.overall.rate is None


def test_add_months_crosses_years() -> None:
    assert add_months(dt.date(2026, 11, 22), 2) == dt.date(2027, 1, 1)
    assert add_months(dt.date(2026, 1, 31), -1) == dt.date(2025, 12, 1)
