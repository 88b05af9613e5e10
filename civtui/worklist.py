"""The dashboard's work list: who to visit next, most urgent first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from civtui.policy import Standing


@dataclass(frozen=True)
class WorkItem:
    """A person still due this month and why they come where they do."""

    person_id: str
    overdue: bool
    high_risk: bool
    urgent_need: bool
    age: int
    last_contact: dt.date | None

    def sort_key(self) -> tuple[bool, bool, bool, int, dt.date]:
        # Overdue first, then high-risk children, then open urgent needs, then the oldest;
        # among equals, whoever has waited longest since the last contact.
        return (
            not self.overdue,
            not self.high_risk,
            not self.urgent_need,
            -self.age,
            self.last_contact or dt.date.min,
        )


def work_list(
    standings: Iterable[Standing],
    ages: dict[str, int],
    high_risk: set[str],
    urgent: set[str],
) -> list[WorkItem]:
    """People due in the period, ordered by urgency."""
    items = [
        WorkItem(
            person_id=s.subject.person_id,
            overdue=s.overdue,
            high_risk=s.subject.person_id in high_risk,
            urgent_need=s.subject.person_id in urgent,
            age=ages.get(s.subject.person_id, 0),
            last_contact=s.last_contact,
        )
        for s in standings
        if s.due
    ]
    return sorted(items, key=WorkItem.sort_key)
