from __future__ import annotations

import datetime as dt
from collections import Counter

from civtui.domain import resident_id
from civtui.domain.choices import Category, Frequency, RiskLevel
from civtui.domain.models import ChildCheck, ElderNeed, Visit
from civtui.domain.policy import add_months
from civtui.services import demo
from civtui.services.keys import open_store
from db import queries, standings
from tests.conftest import TODAY

ZHOUSHAN_COUNTIES = {"330902", "330903", "330921", "330922"}


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = [r.row() for r in demo.generate(120, seed=7, today=TODAY).all()]
    again = [r.row() for r in demo.generate(120, seed=7, today=TODAY).all()]
    other = [r.row() for r in demo.generate(120, seed=8, today=TODAY).all()]
    assert first == again
    assert first != other


def test_default_demo_has_the_promised_shape() -> None:
    data = demo.generate(today=TODAY)
    assert len(data.persons) >= 300
    assert len(data.villages) == 3
    assert {v.county_code for v in data.villages} <= ZHOUSHAN_COUNTIES
    numbers = [p.id_number for p in data.persons]
    assert len(set(numbers)) == len(numbers)
    for person in data.persons:
        parsed = resident_id.parse(person.id_number, TODAY)
        assert parsed.area_code == person.village_code[:6]
    cats = Counter(c for p in data.persons for c in p.categories)
    for needed in (
        Category.LIVING_ALONE,
        Category.EMPTY_NEST,
        Category.DIBAO,
        Category.LEFT_BEHIND,
    ):
        assert cats[needed] >= 10, needed
    ages = [p.age_on(TODAY) for p in data.persons]
    assert sum(a >= 80 for a in ages) >= 20
    assert sum(a < 18 for a in ages) >= 30


def test_demo_work_spans_three_months_with_high_risk_children_reported() -> None:
    data = demo.generate(today=TODAY)
    visits = [r for r in data.records if isinstance(r, Visit)]
    checks = [r for r in data.records if isinstance(r, ChildCheck)]
    months = {v.visit_date.replace(day=1) for v in visits}
    assert months == {add_months(TODAY, -2), add_months(TODAY, -1), TODAY.replace(day=1)}
    assert all(v.visit_date <= TODAY for v in visits)
    high = [c for c in checks if c.risk_level is RiskLevel.HIGH]
    assert 1 <= len({c.person_id for c in high}) <= 5
    assert all(c.reported_at and c.reported_to for c in high)
    needs = [r for r in data.records if isinstance(r, ElderNeed)]
    assert len({n.status for n in needs}) >= 3


def test_demo_profile_has_people_due_and_overdue_this_month(tmp_path: object) -> None:
    from pathlib import Path

    from civtui.domain.clock import Clock

    data = demo.generate(today=TODAY)
    store = open_store(Path(str(tmp_path)) / "demo.db", Clock.pinned(TODAY))
    store.save_many(data.all())
    got = standings.month(store, TODAY, TODAY, queries.rules(store))
    report = got.rates[Frequency.MONTHLY]
    assert got.due_count > 20
    assert 3 <= got.overdue_count < got.due_count
    assert report.total.rate is not None and 0.2 < report.total.rate < 0.95
    # Children are counted by child checks, elders by visits.
    assert report.by_category["child", Category.LEFT_BEHIND].contacted > 0
    assert report.by_category["adult", Category.ADVANCED_AGE].required >= 20
    store.close()


def test_demo_written_for_another_day_stays_valid() -> None:
    data = demo.generate(60, seed=3, today=dt.date(2027, 1, 3))
    assert all(v.visit_date <= dt.date(2027, 1, 3) for v in data.records if isinstance(v, Visit))
