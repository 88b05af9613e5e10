"""Reports for the township: coverage per village and category, and 政策找人 hints."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from civtui.domain.choices import (
    CHILD_CATEGORIES,
    Category,
    EconomicStatus,
    GuardianSituation,
    PersonStatus,
)
from civtui.domain.models import ELDER_AGE, ChildCheck, Household, Person
from civtui.domain.policy import Coverage
from civtui.i18n import Said
from db import Store, queries, standings
from db.standings import Standings


@dataclass(frozen=True)
class CoverageRow:
    village_code: str
    village: str
    category: Category | None  # None: all key people of the village
    required: int
    contacted: int

    @property
    def rate(self) -> float | None:
        return self.contacted / self.required if self.required else None


def month_standings(store: Store, month: dt.date, today: dt.date) -> dict[str, Standings]:
    """Where each village's people stand against the visit policy in `month`."""
    found = standings.by_village(store, month, today, queries.visit_policy(store))
    empty = standings.judge({}, standings.Frame.of(month, today, ()), {}, {})
    return {code: found.get(code, empty) for code in queries.village_names(store)}


def coverage(store: Store, month: dt.date, today: dt.date) -> list[CoverageRow]:
    """Per village: a total row, then one row per category someone is due in."""
    return coverage_rows(month_standings(store, month, today), queries.village_names(store))


def coverage_rows(by_village: dict[str, Standings], names: dict[str, str]) -> list[CoverageRow]:
    """`coverage` from standings already worked out (a ledger reads them once for all sheets)."""
    rows = []
    order = list(Category)
    for code, village in by_village.items():
        report = village.report
        rows.append(CoverageRow(code, names[code], None, *_pair(report.overall)))
        for category in sorted(report.by_category, key=order.index):
            rows.append(
                CoverageRow(code, names[code], category, *_pair(report.by_category[category]))
            )
    return rows


def _pair(cov: Coverage) -> tuple[int, int]:
    return cov.required, cov.contacted


@dataclass(frozen=True)
class Hint:
    """Someone who looks eligible for a category they are not flagged with."""

    person: Person
    category: Category
    reason: Said
    #: True when the person has the category but no longer fits it.
    remove: bool = False


def eligible(store: Store, today: dt.date) -> list[Hint]:
    """政策找人: people whose own records suggest a category they do not have.

    高龄 (age ≥ 80) and 失能/半失能 (latest Barthel) are derived, never missing, so
    they are not listed; the rest come from households, checks and disability grades.
    """
    people = [p for p in store.all(Person) if p.status is PersonStatus.ACTIVE]
    households = {h.id: h for h in store.all(Household)}
    members: dict[str, list[Person]] = defaultdict(list)
    for p in people:
        if p.household_id:
            members[p.household_id].append(p)
    latest_check: dict[str, ChildCheck] = {}
    for earlier in store.all(ChildCheck, order_by="check_date, rowid"):
        latest_check[earlier.person_id] = earlier
    hints: list[Hint] = []

    def hint(person: Person, category: Category, reason: Said) -> None:
        if category not in person.categories:
            hints.append(Hint(person, category, reason))

    economic = {
        EconomicStatus.DIBAO: Category.DIBAO,
        EconomicStatus.DIBIAN: Category.DIBIAN,
        EconomicStatus.TEKUN: Category.TEKUN,
    }
    for p in people:
        age = p.age_on(today)
        household = households.get(p.household_id or "")
        if household is not None and household.economic_status in economic:
            status = household.economic_status
            hint(
                p,
                economic[status],
                Said(f"所在户经济状况为“{status.zh}”", f"the household's means: {status.en}"),
            )
        if p.disability_grade in (1, 2):
            grade = p.disability_grade
            hint(
                p,
                Category.SEVERE_DISABILITY,
                Said(f"残疾等级为{grade}级", f"disability grade {grade}"),
            )
        housemates = [m for m in members.get(p.household_id or "", []) if m.id != p.id]
        if age >= ELDER_AGE and p.household_id:
            if not housemates:
                hint(
                    p,
                    Category.LIVING_ALONE,
                    Said(f"{age}岁，户内只有本人", f"aged {age}, alone in the household"),
                )
            elif all(m.age_on(today) >= ELDER_AGE for m in housemates):
                hint(
                    p,
                    Category.EMPTY_NEST,
                    Said(
                        f"{age}岁，同户成员均已年满60岁",
                        f"aged {age}, everyone in the household is 60 or over",
                    ),
                )
        check = latest_check.get(p.id)
        if check is not None and p.is_child(today):
            situation = check.guardian_situation
            if situation is GuardianSituation.BOTH_AWAY:
                day = check.check_date.isoformat()
                hint(
                    p,
                    Category.LEFT_BEHIND,
                    Said(f"{day}随访记录为“父母均外出”", f"the check of {day}: both parents away"),
                )
            if situation is GuardianSituation.NONE and not (
                {Category.ORPHAN, Category.DE_FACTO_UNSUPPORTED} & set(p.categories)
            ):
                day = check.check_date.isoformat()
                hint(
                    p,
                    Category.DE_FACTO_UNSUPPORTED,
                    Said(f"{day}随访记录为“无人监护”", f"the check of {day}: no guardian"),
                )
        if not p.is_child(today):
            for category in CHILD_CATEGORIES & set(p.categories):
                reason = Said(
                    f"已满18周岁（{age}岁），应去掉该儿童类别",
                    f"aged {age}, no longer a child: remove the child category",
                )
                hints.append(Hint(p, category, reason, True))
    return hints
