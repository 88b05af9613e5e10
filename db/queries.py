"""Read-side questions the app asks of the store, answered with one query each where possible."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from civtui import resident_id
from civtui.choices import Category, DependencyLevel, Frequency, PersonStatus
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
from civtui.policy import DEFAULT_POLICY, Subject
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
