"""待跟进: what is still open for someone, each item pointing at the record that opened it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from civtui.domain.choices import DependencyLevel, NeedStatus, PersonStatus, RiskLevel
from civtui.domain.policy import months_before
from db.store import Store

#: visit/check: a follow-up noted on a visit or child check; need: an open elder need;
#: report: a high-risk check without its mandatory report; assessment: an expired ADL.
Kind = Literal["visit", "check", "need", "report", "assessment"]


@dataclass(frozen=True)
class FollowUp:
    """One open item: whose, since when, what, and the record to open for it."""

    kind: Kind
    table: str
    record_id: str
    person_id: str
    person_name: str
    since: dt.date
    #: The follow-up note, or for a need its type code.
    detail: str


_ORDER: dict[Kind, int] = {"report": 0, "visit": 1, "check": 1, "need": 2, "assessment": 3}


def open_follow_ups(
    store: Store, today: dt.date, *, adl_valid_months: int, adl_min_age: int
) -> list[FollowUp]:
    """Every open item, the missing reports first, then by how long each has waited.

    An assessment is due again on the township's rule (`Rules.adl_valid_months`,
    `adl_min_age`), as the work list's 待复评 is: the latest one said 失能/半失能, the
    person is old enough for that to count, and it is as old as the rule allows."""
    found: list[FollowUp] = []
    live = "t.deleted = 0 AND p.deleted = 0"
    queries: list[tuple[Kind, str, str, list[object]]] = [
        (
            "visit",
            "visits",
            f"SELECT t.id, t.person_id, p.name, t.visit_date, t.follow_up_note FROM visits t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} "
            "AND t.follow_up_needed = 1 AND t.follow_up_done_on IS NULL",
            [],
        ),
        (
            "check",
            "child_checks",
            f"SELECT t.id, t.person_id, p.name, t.check_date, t.follow_up_note FROM child_checks t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} "
            "AND t.follow_up_needed = 1 AND t.follow_up_done_on IS NULL",
            [],
        ),
        (
            "need",
            "elder_needs",
            f"SELECT t.id, t.person_id, p.name, t.raised_on, t.need_type FROM elder_needs t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND t.status NOT IN (?, ?)",
            [NeedStatus.RESOLVED.value, NeedStatus.UNRESOLVABLE.value],
        ),
        (
            "report",
            "child_checks",
            f"SELECT t.id, t.person_id, p.name, t.check_date, '' FROM child_checks t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND t.risk_level = ? "
            "AND (t.reported_at IS NULL OR t.reported_at = '' OR coalesce(t.reported_to, '') = '')",
            [RiskLevel.HIGH.value],
        ),
        (
            # Only each elder's latest assessment counts, and only for people still here.
            "assessment",
            "assessments",
            f"SELECT t.id, t.person_id, p.name, t.assessed_on, '' FROM assessments t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND p.status = ? "
            "AND t.level IN (?, ?) AND CAST(substr(p.id_number, 7, 8) AS INTEGER) <= ? "
            "AND t.assessed_on <= ? AND t.id = (SELECT a.id FROM assessments a "
            "WHERE a.person_id = t.person_id AND a.deleted = 0 "
            "ORDER BY a.assessed_on DESC, a.hlc DESC LIMIT 1)",
            [
                PersonStatus.ACTIVE.value,
                DependencyLevel.SEVERE.value,
                DependencyLevel.MODERATE.value,
                (today.year - adl_min_age) * 10000 + today.month * 100 + today.day,
                months_before(today, adl_valid_months).isoformat(),
            ],
        ),
    ]
    for kind, table, sql, params in queries:
        for record_id, person_id, name, since, detail in store.db.execute(sql, params):
            found.append(
                FollowUp(
                    kind=kind,
                    table=table,
                    record_id=str(record_id),
                    person_id=str(person_id),
                    person_name=str(name),
                    since=dt.date.fromisoformat(str(since)[:10]),
                    detail=str(detail or ""),
                )
            )
    return sorted(found, key=lambda f: (_ORDER[f.kind], f.since, f.person_name))
