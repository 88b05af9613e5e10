from __future__ import annotations

import datetime as dt

from civtui.choices import Category, PersonStatus
from civtui.policy import DEFAULT_POLICY, Subject, standing
from civtui.worklist import work_list

MONTH = dt.date(2026, 11, 1)


def st(pid: str, *contacts: dt.date) -> object:
    subject = Subject(
        pid,
        "v",
        frozenset({Category.LIVING_ALONE}),
        PersonStatus.ACTIVE,
        dt.date(2024, 1, 1),
        tuple(contacts),
    )
    return standing(subject, MONTH, DEFAULT_POLICY)


def test_overdue_then_high_risk_then_urgent_then_oldest() -> None:
    october = dt.date(2026, 10, 5)
    standings = [
        st("old", october),
        st("young", october),
        st("urgent", october),
        st("risky", october),
        st("overdue"),  # missed October too
        st("visited", october, dt.date(2026, 11, 3)),  # not due: left out
    ]
    ages = {"old": 91, "young": 70, "urgent": 65, "risky": 9, "overdue": 66, "visited": 99}
    items = work_list(standings, ages, high_risk={"risky"}, urgent={"urgent"})  # type: ignore[arg-type]
    assert [i.person_id for i in items] == ["overdue", "risky", "urgent", "old", "young"]
