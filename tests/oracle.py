"""A plain-Python reference of the visit rules: slow and obviously right.

Written from the README's coverage section alone, not from the code it checks: it reads
the records and the township's policy rows straight from the store (no policy_facts, no
keys, nothing from `civtui.domain.policy`), reads ages from the ID number's digits and
dependency from the ten Barthel items itself, and walks every day of every period,
person by person, exactly as the README words the rules.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from civtui.domain.choices import Category, DependencyLevel, Frequency, PersonStatus
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    Person,
    PersonEvent,
    PolicyRule,
    Visit,
    VisitPolicy,
)
from db import Store

#: The README: 留守儿童 under 16, the other child categories under 18.
CHILD_LIMITS = {
    Category.LEFT_BEHIND: 16,
    Category.ORPHAN: 18,
    Category.DE_FACTO_UNSUPPORTED: 18,
    Category.CHILD_IN_DISTRESS: 18,
}
BARTHEL_ITEMS = (
    "feeding",
    "bathing",
    "grooming",
    "dressing",
    "bowels",
    "bladder",
    "toilet",
    "transfer",
    "mobility",
    "stairs",
)


@dataclass
class Rules:
    """The README's defaults, overridden by what the township set (as last set)."""

    frequencies: dict[Category, Frequency] = field(
        default_factory=lambda: dict.fromkeys(Category, Frequency.MONTHLY)
    )
    age_limits: dict[Category, int] = field(default_factory=lambda: dict(CHILD_LIMITS))
    contact_kinds: dict[Category, set[str]] = field(default_factory=dict)
    adl_valid_months: int = 12
    adl_min_age: int = 60
    advanced_age: int = 80
    child_age: int = 18

    def kinds(self, category: Category) -> set[str]:
        return self.contact_kinds.get(category, {"visit", "check"})

    def frequency(self, category: Category) -> Frequency:
        return self.frequencies[category]


def rules_of(store: Store) -> Rules:
    rules = Rules()
    for row in store.all(VisitPolicy):
        rules.frequencies[Category(row.id)] = row.frequency
    for rule in store.all(PolicyRule):
        head, _, tail = rule.id.partition(".")
        if head == "age_limit":
            rules.age_limits[Category(tail)] = int(rule.value)
        elif head == "contact_kinds":
            rules.contact_kinds[Category(tail)] = set(rule.value.split(","))
        elif head == "adl_valid_months":
            rules.adl_valid_months = int(rule.value)
        elif head == "adl_min_age":
            rules.adl_min_age = int(rule.value)
    return rules


def age_on(person: Person, day: dt.date) -> int:
    """Whole years from the birth date the ID number's digits 7–14 carry."""
    digits = person.id_number[6:14]
    born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def level(assessment: Assessment) -> DependencyLevel | None:
    """The README: a Barthel total of 40 or less is 失能, 41–60 半失能."""
    total = sum(int(getattr(assessment, item)) for item in BARTHEL_ITEMS)
    if total <= 40:
        return DependencyLevel.SEVERE
    if total <= 60:
        return DependencyLevel.MODERATE
    return None


#: (village, rate, group or None for 合计, category or None) -> (应访, 已访, 补录 among the
#: 应访, contacted only by 补录 and not in 应访).
Figures = dict[tuple[str, Frequency, str | None, Category | None], tuple[int, int, int, int]]


def quarter_or_month(frequency: Frequency, day: dt.date) -> tuple[dt.date, dt.date]:
    if frequency is Frequency.MONTHLY:
        first_month = day.month
        months = 1
    else:
        first_month = (day.month - 1) // 3 * 3 + 1
        months = 3
    start = dt.date(day.year, first_month, 1)
    end_month = first_month + months
    end_year = day.year + (end_month - 1) // 12
    end_month = (end_month - 1) % 12 + 1
    return start, dt.date(end_year, end_month, 1) - dt.timedelta(days=1)


def minus_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, or that month's last day when it is shorter."""
    year, month = day.year, day.month - months
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def every_day(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass
class Person_:  # noqa: N801 - a person as the oracle sees it
    person: Person
    events: list[PersonEvent]
    assessments: list[Assessment]
    contacts: list[tuple[dt.date, str, bool]]

    def status_on(self, day: dt.date) -> PersonStatus:
        later = [e for e in self.events if e.status is not None and e.effective_on > day]
        if not later:
            return self.person.status
        first = min(later, key=lambda e: e.effective_on)
        assert first.status_before is not None
        return first.status_before

    def stored_on(self, day: dt.date) -> set[Category]:
        cats = set(self.person.categories)
        for category in {e.category for e in self.events if e.category is not None}:
            later = [e for e in self.events if e.category is category and e.effective_on > day]
            if later:
                first = min(later, key=lambda e: e.effective_on)
                if first.held:
                    cats.discard(category)
                else:
                    cats.add(category)
        return cats

    def level_on(self, day: dt.date, rules: Rules) -> DependencyLevel | None:
        made = [a for a in self.assessments if a.assessed_on <= day]
        if not made:
            return None
        latest = made[-1]  # assessments come ordered by day, then by when written
        if latest.assessed_on <= minus_months(day, rules.adl_valid_months):
            return None
        return level(latest)

    def in_scope(self, day: dt.date, start: dt.date, rules: Rules) -> set[Category]:
        if day < self.person.registered_on or self.status_on(day) is not PersonStatus.ACTIVE:
            return set()
        age = age_on(self.person, start)
        cats = {
            c for c in self.stored_on(day) if c not in rules.age_limits or age < rules.age_limits[c]
        }
        if age >= rules.advanced_age:
            cats.add(Category.ADVANCED_AGE)
        if age >= rules.adl_min_age:
            level = self.level_on(start, rules)
            if level is DependencyLevel.SEVERE:
                cats.add(Category.DISABLED)
            if level is DependencyLevel.MODERATE:
                cats.add(Category.SEMI_DISABLED)
        return cats


@dataclass(frozen=True)
class Verdict:
    counted: bool
    required: bool
    contacted: bool
    late: bool
    group: str
    categories: dict[Category, tuple[bool, bool, bool]]


def verdict(
    p: Person_, frequency: Frequency, start: dt.date, end: dt.date, rules: Rules
) -> Verdict | None:
    held_each_day = [
        {c for c in p.in_scope(d, start, rules) if rules.frequency(c) is frequency}
        for d in every_day(start, end)
    ]
    ever = set().union(*held_each_day)
    if not ever:
        return None
    in_period = [(kind, late) for day, kind, late in p.contacts if start <= day <= end]
    cats = {}
    for c in ever:
        every_day_held = all(c in held for held in held_each_day)
        got = any(kind in rules.kinds(c) and not late for kind, late in in_period)
        got_late = not got and any(kind in rules.kinds(c) and late for kind, late in in_period)
        # 补录 alone never brings someone into 应访: they are kept apart (late, not counted).
        cats[c] = (every_day_held or got, got, got_late)
    contacted = all(v[1] for v in cats.values())
    late = not contacted and all(v[1] or v[2] for v in cats.values())
    required = all(held_each_day)
    return Verdict(
        counted=required or contacted,
        required=required,
        contacted=contacted,
        late=late,
        group="child" if age_on(p.person, start) < rules.child_age else "adult",
        categories=cats,
    )


def people(store: Store) -> list[Person_]:
    found = []
    for person in store.all(Person):
        contacts = [
            (v.visit_date, "visit", v.late) for v in store.all(Visit, "person_id = ?", [person.id])
        ]
        contacts += [
            (c.check_date, "check", c.late)
            for c in store.all(ChildCheck, "person_id = ?", [person.id])
        ]
        found.append(
            Person_(
                person,
                store.all(PersonEvent, "person_id = ?", [person.id]),
                store.all(Assessment, "person_id = ?", [person.id], order_by="assessed_on, hlc"),
                contacts,
            )
        )
    return found


def everything(store: Store, day: dt.date) -> tuple[Figures, set[str], set[str]]:
    """The figures, and who is due and overdue, judging each person once per period."""
    rules = rules_of(store)
    result: Figures = {}
    due_ids: set[str] = set()
    overdue_ids: set[str] = set()

    def add(
        key: tuple[str, Frequency, str | None, Category | None], v: tuple[bool, bool, bool]
    ) -> None:
        counted, contacted, late = v
        r, c, la, lj = result.get(key, (0, 0, 0, 0))
        if counted:
            result[key] = (r + 1, c + contacted, la + late, lj)
        elif late:
            # Joined or left in the period and contacted only by 补录: apart from 补录,
            # which counts only the people in the period's 应访.
            result[key] = (r, c, la, lj + 1)

    for p in people(store):
        for frequency in (Frequency.MONTHLY, Frequency.QUARTERLY):
            start, end = quarter_or_month(frequency, day)
            v = verdict(p, frequency, start, end, rules)
            if v is None:
                continue
            village = p.person.village_code
            add((village, frequency, None, None), (v.counted, v.contacted, v.late))
            add((village, frequency, v.group, None), (v.counted, v.contacted, v.late))
            for c, cv in v.categories.items():
                add((village, frequency, v.group, c), cv)
            # Due: required and not contacted; overdue: the same in the period before.
            if not v.required or v.contacted or v.late:
                continue
            due_ids.add(p.person.id)
            prev_start, prev_end = quarter_or_month(frequency, start - dt.timedelta(days=1))
            before = verdict(p, frequency, prev_start, prev_end, rules)
            if before is not None and before.required and not before.contacted and not before.late:
                overdue_ids.add(p.person.id)
    return result, due_ids, overdue_ids


def reassess(store: Store, today: dt.date) -> set[str]:
    rules = rules_of(store)
    found = set()
    for p in people(store):
        if (
            p.status_on(today) is not PersonStatus.ACTIVE
            or age_on(p.person, today) < rules.adl_min_age
        ):
            continue
        made = [a for a in p.assessments if a.assessed_on <= today]
        dependent = made and level(made[-1]) is not None
        if dependent and made[-1].assessed_on <= minus_months(today, rules.adl_valid_months):
            found.add(p.person.id)
    return found
