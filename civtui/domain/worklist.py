"""The dashboard's work list: who to visit next, most urgent first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkItem:
    """A person still due this month and why they come where they do.

    The list is ordered overdue first, then high-risk children, then open urgent needs,
    then the oldest; among equals, whoever has waited longest since the last contact
    (never contacted first). `db.standings.work_list` keeps each key's people in this order
    and merges the due keys' lists.
    """

    person_id: str
    overdue: bool
    high_risk: bool
    urgent_need: bool
    age: int
    last_contact: dt.date | None
    #: 失能/半失能 by an assessment that has expired: due for reassessment (待复评).
    reassess: bool = False
