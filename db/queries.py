"""Read-side questions the app asks of the store, answered with one query each where possible."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    derived_categories,
)
from civtui.policy import (
    DEFAULT_POLICY,
    MonthReport,
    Standing,
    Subject,
    add_months,
    month_report,
    month_start,
)
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
    # SQLite returns the bare `level` column from the row that holds max(assessed_on).
    rows = store.db.execute(
        "SELECT person_id, level, max(assessed_on) FROM assessments WHERE deleted = 0 "
        "GROUP BY person_id"
    )
    return {pid: DependencyLevel(level) for pid, level, _ in rows}


def policy_subjects(store: Store, today: dt.date, village_code: str | None = None) -> list[Subject]:
    """Every person (of one village, or all) as the visit policy sees them in `today`'s month.

    Children count child checks, everyone else counts visits. Contacts come from the
    trigger-kept `contact_months` table (the last one of each month), for the months
    the policy can look at: this quarter and the one before. Where the last contact
    is older than that, `due_standings` fills it in for the people it matters for.
    """
    levels = latest_levels(store)
    month = month_start(today)
    first = add_months(month, -((month.month - 1) % 3) - 3)
    last = add_months(first, 6) - dt.timedelta(days=1)
    window = [first.strftime("%Y-%m"), last.strftime("%Y-%m")]
    sql = """
        SELECT p.id, p.village_code, p.id_number, p.categories, p.status, p.registered_on,
               v.days, c.days
        FROM persons p
        LEFT JOIN (SELECT person_id, group_concat(last_day) AS days FROM contact_months
                   WHERE kind = 'visit' AND month BETWEEN ? AND ? GROUP BY person_id) v
               ON v.person_id = p.id
        LEFT JOIN (SELECT person_id, group_concat(last_day) AS days FROM contact_months
                   WHERE kind = 'check' AND month BETWEEN ? AND ? GROUP BY person_id) c
               ON c.person_id = p.id
        WHERE p.deleted = 0
    """
    params: list[str] = [*window, *window]
    if village_code:
        sql += " AND p.village_code = ?"
        params.append(village_code)
    by_code = {c.value: c for c in Category}
    days: dict[str, dt.date] = {}
    # Many people share the same categories: build each distinct set once.
    sets: dict[tuple[str, bool, DependencyLevel | None], frozenset[Category]] = {}
    subjects = []
    for (
        pid,
        village,
        number,
        cats,
        status,
        registered,
        visit_days,
        check_days,
    ) in store.db.execute(sql, params):
        age = resident_id.age(resident_id.birth_date_of(number), today)
        level = levels.get(pid)
        key = (cats, age >= ADVANCED_AGE, level)
        categories = sets.get(key)
        if categories is None:
            stored = frozenset(by_code[c] for c in json.loads(cats))
            categories = sets[key] = stored | derived_categories(age, level)
        found = check_days if age < CHILD_AGE_LIMIT else visit_days
        contacts: tuple[dt.date, ...] = ()
        if found:
            contacts = tuple(
                days.get(d) or days.setdefault(d, dt.date.fromisoformat(d))
                for d in found.split(",")
            )
        subjects.append(
            Subject(
                person_id=pid,
                village_code=village,
                categories=categories,
                status=PersonStatus(status),
                registered_on=days.get(registered)
                or days.setdefault(registered, dt.date.fromisoformat(registered)),
                contacts=contacts,
            )
        )
    return subjects


def due_standings(store: Store, report: MonthReport) -> list[Standing]:
    """The report's due people, each with their true last contact (however long ago)."""
    due = report.due
    end = add_months(report.month, 1) - dt.timedelta(days=1)
    last = last_contacts(store, [s.subject.person_id for s in due], end)
    return [replace(s, last_contact=last.get(s.subject.person_id)) for s in due]


def last_contacts(store: Store, person_ids: list[str], until: dt.date) -> dict[str, dt.date]:
    """The day of each person's last visit or child check up to `until`."""
    found: dict[str, dt.date] = {}
    limit = until.strftime("%Y-%m")
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = store.db.execute(
            f"SELECT person_id, max(last_day) FROM contact_months WHERE person_id IN ({marks}) "
            f"AND month <= ? AND last_day <= ? GROUP BY person_id",
            [*chunk, limit, until.isoformat()],
        )
        found.update((pid, dt.date.fromisoformat(day)) for pid, day in rows)
    return found


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


def person_rows(store: Store, today: dt.date, ids: list[str] | None = None) -> list[PersonRow]:
    """Live people (all, or those with `ids`) with effective categories, by village then name."""
    levels = latest_levels(store)
    sql = """
        SELECT p.id, p.name, p.id_number, p.village_code, p.categories, p.status,
               coalesce(s.key, p.name)
        FROM persons p LEFT JOIN person_search s ON s.person_id = p.id
        WHERE p.deleted = 0 {only} ORDER BY p.village_code, p.name
    """
    if ids is None:
        rows: list[tuple[Any, ...]] = store.db.execute(sql.format(only="")).fetchall()
    else:
        rows = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            only = f"AND p.id IN ({','.join('?' * len(chunk))})"
            rows += store.db.execute(sql.format(only=only), chunk).fetchall()
    result = []
    for pid, name, number, village, cats, status, key in rows:
        age = resident_id.age(resident_id.birth_date_of(number), today)
        stored = frozenset(Category(c) for c in json.loads(cats))
        derived = derived_categories(age, levels.get(pid))
        result.append(
            PersonRow(
                id=pid,
                name=name,
                id_number=number,
                village_code=village,
                age=age,
                sex="M" if int(number[16]) % 2 else "F",
                categories=stored | derived,
                derived=derived,
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
        "SELECT person_id, risk_level, max(check_date) FROM child_checks WHERE deleted = 0 "
        "GROUP BY person_id"
    )
    return {pid for pid, level, _ in rows if level == RiskLevel.HIGH.value}


_CLOSED = (NeedStatus.RESOLVED.value, NeedStatus.UNRESOLVABLE.value)


def need_counts(store: Store) -> dict[NeedStatus, int]:
    """How many open needs are in each status."""
    rows = store.db.execute(
        "SELECT status, count(*) FROM elder_needs WHERE deleted = 0 AND status NOT IN (?, ?) "
        "GROUP BY status",
        _CLOSED,
    )
    return {NeedStatus(status): count for status, count in rows}


def urgent_need_persons(store: Store) -> set[str]:
    rows = store.db.execute(
        "SELECT DISTINCT person_id FROM elder_needs WHERE deleted = 0 AND urgency = ? "
        "AND status NOT IN (?, ?)",
        [Urgency.URGENT.value, *_CLOSED],
    )
    return {pid for (pid,) in rows}


def open_needs(store: Store) -> list[ElderNeed]:
    """Needs not yet resolved or closed as unresolvable, most urgent first."""
    needs = store.all(ElderNeed, "status NOT IN (?, ?)", _CLOSED, order_by="raised_on")
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
    need_counts: dict[NeedStatus, int]
    high_risk: list[PersonRow]


def dashboard(store: Store, today: dt.date) -> Dashboard:
    """This month's coverage, work list, open needs and high-risk children."""
    report = month_report(policy_subjects(store, today), today, visit_policy(store))
    due = due_standings(store, report)
    risky = high_risk_children(store)
    rows = {
        r.id: r
        for r in person_rows(store, today, sorted({*(s.subject.person_id for s in due), *risky}))
    }
    ages = {pid: r.age for pid, r in rows.items()}
    work = work_list(due, ages, risky, urgent_need_persons(store))
    high = [rows[pid] for pid in sorted(risky) if pid in rows and rows[pid].is_child]
    return Dashboard(report, work, rows, need_counts(store), high)
