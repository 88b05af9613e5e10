"""Read-side questions the app asks of the store, answered with one query each where possible."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civtui import resident_id
from civtui.choices import (
    Category,
    DependencyLevel,
    Frequency,
    NeedStatus,
    PersonStatus,
    RiskLevel,
    Urgency,
)
from civtui.models import (
    ADVANCED_AGE,
    CHILD_AGE_LIMIT,
    Assessment,
    ChildCheck,
    ElderNeed,
    Household,
    NeedStatusChange,
    Person,
    Staff,
    Village,
    Visit,
    VisitPolicy,
)
from civtui.policy import DEFAULT_POLICY, MonthReport, Subject, month_report
from civtui.worklist import WorkItem, work_list
from db.store import Store

#: Record kinds `civtui status` counts, with the stable keys its JSON uses.
COUNTED: dict[str, type[Any]] = {
    "villages": Village,
    "staff": Staff,
    "households": Household,
    "persons": Person,
    "visits": Visit,
    "child_checks": ChildCheck,
    "elder_needs": ElderNeed,
    "need_status_changes": NeedStatusChange,
    "assessments": Assessment,
}


def counts(store: Store) -> dict[str, int]:
    """Live (not deleted) records of each kind."""
    return {key: store.count(kind) for key, kind in COUNTED.items()}


def visit_policy(store: Store) -> dict[Category, Frequency]:
    """The defaults, overridden by whatever rows the township has set."""
    policy = dict(DEFAULT_POLICY)
    for row in store.all(VisitPolicy):
        policy[Category(row.id)] = row.frequency
    return policy


def latest_levels(store: Store) -> dict[str, DependencyLevel]:
    """Each assessed person's dependency level from their most recent assessment."""
    rows = store.db.execute(
        """
        SELECT person_id, level FROM (
            SELECT person_id, level,
                   row_number() OVER (PARTITION BY person_id
                                      ORDER BY assessed_on DESC, updated_at DESC) AS n
            FROM assessments WHERE deleted = 0
        ) WHERE n = 1
        """
    )
    return {pid: DependencyLevel(level) for pid, level in rows}


def _contact_dates(store: Store, table: str, column: str) -> dict[str, list[dt.date]]:
    dates: dict[str, list[dt.date]] = defaultdict(list)
    rows = store.db.execute(f"SELECT person_id, {column} FROM [{table}] WHERE deleted = 0")
    for pid, day in rows:
        dates[pid].append(dt.date.fromisoformat(day))
    return dates


def policy_subjects(store: Store, today: dt.date, village_code: str | None = None) -> list[Subject]:
    """Every person (of one village, or all) as the visit policy sees them on `today`.

    Children count child checks, everyone else counts visits. Built from plain
    rows rather than full models: the dashboard asks this on every refresh.
    """
    levels = latest_levels(store)
    visits = _contact_dates(store, "visits", "visit_date")
    checks = _contact_dates(store, "child_checks", "check_date")
    sql = (
        "SELECT id, village_code, id_number, categories, status, registered_on "
        "FROM persons WHERE deleted = 0"
    )
    params: list[str] = []
    if village_code:
        sql += " AND village_code = ?"
        params.append(village_code)
    subjects = []
    for pid, village, id_number, cats, status, registered in store.db.execute(sql, params):
        age = resident_id.age(resident_id.birth_date_of(id_number), today)
        categories = {Category(c) for c in json.loads(cats)}
        if age >= ADVANCED_AGE:
            categories.add(Category.ADVANCED_AGE)
        level = levels.get(pid)
        if level is DependencyLevel.SEVERE:
            categories.add(Category.DISABLED)
        elif level is DependencyLevel.MODERATE:
            categories.add(Category.SEMI_DISABLED)
        contacts = checks if age < CHILD_AGE_LIMIT else visits
        subjects.append(
            Subject(
                person_id=pid,
                village_code=village,
                categories=frozenset(categories),
                status=PersonStatus(status),
                registered_on=dt.date.fromisoformat(registered),
                contacts=tuple(sorted(contacts.get(pid, ()))),
            )
        )
    return subjects


def need_history(store: Store, need: ElderNeed) -> ElderNeed:
    """The need with its status history attached, oldest step first."""
    history = store.all(NeedStatusChange, "need_id = ?", [need.id], order_by="changed_at, rowid")
    return need.model_copy(update={"history": history})


def last_sync(store: Store) -> str | None:
    return store.get_meta("last_sync")


def summary(store: Store) -> Mapping[str, Any]:
    """What `civtui status` reports; keys are stable (documented in the README)."""
    villages = [{"code": v.id, "name": v.name, "township": v.township} for v in store.all(Village)]
    return {
        "device_id": store.device_id,
        "villages": villages,
        "counts": counts(store),
        "pending_changes": store.pending_count(),
        "last_sync": last_sync(store),
    }


# -- read models for the screens ----------------------------------------------


@dataclass(frozen=True)
class PersonRow:
    """One line of the roster or the work list: what is shown without opening the person."""

    id: str
    name: str
    id_number: str
    village_code: str
    age: int
    sex: str
    categories: frozenset[Category]
    derived: frozenset[Category]
    status: PersonStatus
    search_key: str

    @property
    def masked_id(self) -> str:
        return resident_id.mask(self.id_number)

    @property
    def is_child(self) -> bool:
        return self.age < CHILD_AGE_LIMIT


def person_rows(store: Store, today: dt.date) -> list[PersonRow]:
    """Every live person with effective categories, ordered by village then name."""
    levels = latest_levels(store)
    rows = store.db.execute(
        """
        SELECT p.id, p.name, p.id_number, p.village_code, p.categories, p.status,
               coalesce(s.key, p.name)
        FROM persons p LEFT JOIN person_search s ON s.person_id = p.id
        WHERE p.deleted = 0 ORDER BY p.village_code, p.name
        """
    )
    result = []
    for pid, name, number, village, cats, status, key in rows:
        age = resident_id.age(resident_id.birth_date_of(number), today)
        stored = frozenset(Category(c) for c in json.loads(cats))
        derived: set[Category] = set()
        if age >= ADVANCED_AGE:
            derived.add(Category.ADVANCED_AGE)
        level = levels.get(pid)
        if level is DependencyLevel.SEVERE:
            derived.add(Category.DISABLED)
        elif level is DependencyLevel.MODERATE:
            derived.add(Category.SEMI_DISABLED)
        result.append(
            PersonRow(
                id=pid,
                name=name,
                id_number=number,
                village_code=village,
                age=age,
                sex="M" if int(number[16]) % 2 else "F",
                categories=stored | derived,
                derived=frozenset(derived),
                status=PersonStatus(status),
                search_key=key,
            )
        )
    return result


def village_names(store: Store) -> dict[str, str]:
    return {v.id: v.name for v in store.all(Village)}


def high_risk_children(store: Store) -> set[str]:
    """Children whose most recent check was rated high risk."""
    rows = store.db.execute(
        """
        SELECT person_id, risk_level FROM (
            SELECT person_id, risk_level,
                   row_number() OVER (PARTITION BY person_id
                                      ORDER BY check_date DESC, updated_at DESC) AS n
            FROM child_checks WHERE deleted = 0
        ) WHERE n = 1
        """
    )
    return {pid for pid, level in rows if level == RiskLevel.HIGH.value}


def open_needs(store: Store) -> list[ElderNeed]:
    """Needs not yet resolved or closed as unresolvable, most urgent first."""
    closed = (NeedStatus.RESOLVED.value, NeedStatus.UNRESOLVABLE.value)
    needs = store.all(ElderNeed, "status NOT IN (?, ?)", closed, order_by="raised_on")
    rank = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.NORMAL: 2}
    return sorted(needs, key=lambda n: rank[n.urgency])


def latest_child_check(store: Store, person_id: str) -> ChildCheck | None:
    checks = store.all(ChildCheck, "person_id = ?", [person_id], order_by="check_date DESC")
    return checks[0] if checks else None


def household_members(store: Store, person: Person) -> list[Person]:
    if not person.household_id:
        return []
    return store.all(
        Person, "household_id = ? AND id != ?", [person.household_id, person.id], "name"
    )


def latest_assessment(store: Store, person_id: str) -> Assessment | None:
    found = store.all(
        Assessment, "person_id = ?", [person_id], order_by="assessed_on DESC, updated_at DESC"
    )
    return found[0] if found else None


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a person, for the person view."""

    day: dt.date
    kind: str
    record: Visit | ChildCheck | ElderNeed | NeedStatusChange | Assessment


def timeline(store: Store, person_id: str) -> list[TimelineEntry]:
    """Visits, child checks, needs (with each status step) and assessments, newest first."""
    entries: list[TimelineEntry] = []
    for v in store.all(Visit, "person_id = ?", [person_id]):
        entries.append(TimelineEntry(v.visit_date, "visit", v))
    for c in store.all(ChildCheck, "person_id = ?", [person_id]):
        entries.append(TimelineEntry(c.check_date, "check", c))
    for a in store.all(Assessment, "person_id = ?", [person_id]):
        entries.append(TimelineEntry(a.assessed_on, "assessment", a))
    for need in store.all(ElderNeed, "person_id = ?", [person_id]):
        full = need_history(store, need)
        entries.append(TimelineEntry(need.raised_on, "need", full))
        for step in full.history[1:]:
            entries.append(TimelineEntry(step.changed_at.date(), "need_step", step))
    return sorted(entries, key=lambda e: e.day, reverse=True)


@dataclass(frozen=True)
class Duplicates:
    """Who a new or edited person might duplicate."""

    same_id: Person | None
    same_name_and_birth: list[Person]


def duplicates(store: Store, person: Person) -> Duplicates:
    """Others with the same ID number, or with the same name and birth date."""
    same_id = store.all(Person, "id_number = ? AND id != ?", [person.id_number, person.id])
    birth = person.id_number[6:14]
    lookalikes = store.all(
        Person,
        "name = ? AND substr(id_number, 7, 8) = ? AND id != ? AND id_number != ?",
        [person.name, birth, person.id, person.id_number],
    )
    return Duplicates(same_id[0] if same_id else None, lookalikes)


def change_label(store: Store, table: str, record_id: str) -> str:
    """A short human name for a changed record: the person's name where there is one."""
    if table == "persons":
        row = store.db.execute("SELECT name FROM persons WHERE id = ?", [record_id]).fetchone()
        return str(row[0]) if row else record_id[:8]
    if table in {"visits", "child_checks", "elder_needs", "assessments"}:
        row = store.db.execute(
            f"SELECT p.name FROM [{table}] t JOIN persons p ON p.id = t.person_id WHERE t.id = ?",
            [record_id],
        ).fetchone()
        return str(row[0]) if row else record_id[:8]
    if table == "villages":
        row = store.db.execute("SELECT name FROM villages WHERE id = ?", [record_id]).fetchone()
        return str(row[0]) if row else record_id
    return record_id[:8]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one month."""

    report: MonthReport
    work: list[WorkItem]
    people: dict[str, PersonRow]
    open_needs: list[ElderNeed]
    high_risk: list[PersonRow]


def dashboard(store: Store, today: dt.date) -> Dashboard:
    """This month's coverage, work list, open needs and high-risk children."""
    rows = {r.id: r for r in person_rows(store, today)}
    report = month_report(policy_subjects(store, today), today, visit_policy(store))
    needs = open_needs(store)
    risky = high_risk_children(store)
    urgent = {n.person_id for n in needs if n.urgency is Urgency.URGENT}
    ages = {pid: r.age for pid, r in rows.items()}
    work = work_list(report.standings, ages, risky, urgent)
    high = [rows[pid] for pid in sorted(risky) if pid in rows and rows[pid].is_child]
    return Dashboard(report, work, rows, needs, high)
