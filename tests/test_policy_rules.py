"""The visit policy's rules as data (`civtui.domain.policy.Rules`): what the store's SQL binds
for 待复评, and the categories worked out from age and the ADL level."""

from __future__ import annotations

import datetime as dt

import pytest

from civtui.domain.choices import Category, DependencyLevel, PersonStatus
from civtui.domain.models import derived_categories
from civtui.domain.policy import (
    DEFAULT_RULES,
    DEPENDENT_LEVELS,
    History,
    Reassessment,
    Rules,
    born_by,
    day_number,
)


def test_reassessment_is_due_from_the_rule_the_township_sets() -> None:
    day = dt.date(2026, 11, 22)
    assert DEFAULT_RULES.reassessment(day) == Reassessment(
        made_by=dt.date(2025, 11, 22),
        born_by=19661122,
        levels=frozenset({DependencyLevel.SEVERE, DependencyLevel.MODERATE}),
        status=PersonStatus.ACTIVE,
    )
    six = Rules(adl_valid_months=6, adl_min_age=25).reassessment(dt.date(2028, 2, 29))
    # 29 February has no day in 2003: kept as the number, which still compares right.
    assert (six.made_by, six.born_by) == (dt.date(2027, 8, 29), 20030229)
    assert 20030228 <= six.born_by < 20030301
    assert six.levels == DEPENDENT_LEVELS


def test_an_assessment_stops_holding_on_the_day_the_rule_says() -> None:
    rules = Rules(adl_valid_months=6)
    made = dt.date(2026, 5, 22)
    history = History(
        person_id="p=[/]",
        village_code="330902112201",
        birth=dt.date(1950, 1, 1),
        registered_on=dt.date(2020, 1, 1),
        status=PersonStatus.ACTIVE,
        categories=frozenset(),
        assessments=((made, DependencyLevel.SEVERE),),
    )
    assert rules.adl_expired_by(dt.date(2026, 11, 22)) == made
    assert history.level_on(dt.date(2026, 11, 21), rules) is DependencyLevel.SEVERE
    assert history.level_on(dt.date(2026, 11, 22), rules) is None


@pytest.mark.parametrize("age", [0, 15, 59, 60, 61, 79, 80, 104])
@pytest.mark.parametrize("level", [None, *DependencyLevel])
def test_the_derived_categories_are_the_rules_own(age: int, level: DependencyLevel | None) -> None:
    derived = DEFAULT_RULES.derived(age, level)
    assert derived_categories(age, level) == derived
    assert (Category.ADVANCED_AGE in derived) == (age >= 80)
    dependent = age >= 60 and level in DEPENDENT_LEVELS
    assert bool(derived & {Category.DISABLED, Category.SEMI_DISABLED}) == dependent


def test_days_are_numbers_that_compare_like_dates() -> None:
    days = [dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2000, 2, 29)]
    assert [day_number(d) for d in days] == [19991231, 20000101, 20000229]
    assert born_by(dt.date(2026, 11, 22), 60) == 19661122
