"""Read-side questions the app asks of the store, answered with one query each where possible."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from civtui.domain import phone, resident_id
from civtui.domain.batches import chunked
from civtui.domain.choices import (
    Category,
    DependencyLevel,
    Frequency,
    NeedStatus,
    PersonStatus,
    Urgency,
)
from civtui.domain.models import (
    SYNCED_TYPES,
    Assessment,
    ChildCheck,
    ContactRecord,
    ElderNeed,
    NeedStatusChange,
    Person,
    PersonEvent,
    PolicyRule,
    Record,
    Village,
    VisitPolicy,
    derived_categories,
    sync_spec,
)
from civtui.domain.policy import CHILD_AGE, DEFAULT_POLICY, RateReport, Rules
from civtui.domain.worklist import WorkItem
from db import standings
from db.store import Store

#: Record kinds `civtui status` counts, with the stable keys its JSON uses: every kind
#: devices sync, by table.
COUNTED: dict[str, type[Record]] = SYNCED_TYPES


def counts(store: Store) -> dict[str, int]:
    """Live (not deleted) records of each kind."""
    return {key: store.count(kind) for key, kind in COUNTED.items()}


def visit_policy(store: Store, month: dt.date | None = None) -> dict[Category, Frequency]:
    """The defaults, overridden by whatever rows the township has set: as in force in
    `month`, or as last set when no month is asked."""
    policy = dict(DEFAULT_POLICY)
    for row in store.all(VisitPolicy):
        policy[Category(row.id)] = row.frequency if month is None else row.frequency_in(month)
    return policy


def rules(store: Store, month: dt.date | None = None) -> Rules:
    """The township's visit rules: frequencies and the rules beside them, as synced; those
    in force in `month` when one is asked (a change carries the month it takes effect)."""
    data = {r.id: r.value if month is None else r.value_in(month) for r in store.all(PolicyRule)}
    return Rules.from_data(visit_policy(store, month), data)


def person_context(store: Store, today: dt.date) -> dict[str, object]:
    """The validation context for a person typed in or edited: today, and the township's
    age limits of the child categories (one setting for the form, coverage and 政策找人)."""
    return {"today": today, "age_limits": rules(store, today).age_limits}


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
        return self.age < CHILD_AGE


@dataclass(frozen=True)
class Contact:
    """How a person is reached, as a ledger prints it beside their row."""

    address: str
    phone: str | None
    guardian_name: str
    guardian_phone: str | None


def _stored_phone(value: str | None) -> str | None:
    # As `Person` reads it (its `Phone` type), and a pulled number it would refuse as stored.
    if value is None or not value.strip():
        return None
    try:
        return phone.normalize(value)
    except ValueError:
        return value


def contacts(store: Store) -> dict[str, Contact]:
    """Every live person's address and phones, by id, read from their columns: a month's
    ledger needs them for most of a township's people, and building each `Person` for four
    of its fields was a third of reading the ledger at 50,000 people."""
    rows = store.db.execute(
        "SELECT id, address, phone, guardian_name, guardian_phone FROM persons WHERE deleted = 0"
    )
    return {
        pid: Contact(address or "", _stored_phone(tel), guardian or "", _stored_phone(guardian_tel))
        for pid, address, tel, guardian, guardian_tel in rows
    }


def person_rows(store: Store, today: dt.date, ids: list[str] | None = None) -> list[PersonRow]:
    """Live people (all, or those with `ids`) with effective categories, by village then name."""
    # The latest ADL level comes from the trigger-kept policy class, not from every assessment.
    sql = """
        SELECT p.id, p.name, p.id_number, p.village_code, p.categories, p.status,
               coalesce(s.key, p.name), c.level
        FROM persons p LEFT JOIN person_search s ON s.person_id = p.id
        LEFT JOIN policy_facts f ON f.person_id = p.id
        LEFT JOIN policy_classes c ON c.id = f.class_id
        WHERE p.deleted = 0 {only} ORDER BY p.village_code, p.name
    """
    if ids is None:
        rows: list[tuple[Any, ...]] = store.db.execute(sql.format(only="")).fetchall()
    else:
        rows = []
        for chunk in chunked(ids):
            only = f"AND p.id IN ({','.join('?' * len(chunk))})"
            rows += store.db.execute(sql.format(only=only), chunk).fetchall()
    result = []
    # People share a few dozen sets of categories: each set is worked out once per stored
    # list, age and ADL level and kept as one object, not two new sets per person. At 50,000
    # people that is ~430 bytes a person (20 MiB of the roster), as many objects fewer for
    # every full garbage collection to walk while the roster is open, and no JSON decoded
    # and no Category made per person (a fifth of the load's CPU).
    stored_of: dict[str, frozenset[Category]] = {}
    derived_of: dict[tuple[int, str | None], frozenset[Category]] = {}
    alike: dict[frozenset[Category], frozenset[Category]] = {}
    every_of: dict[tuple[frozenset[Category], frozenset[Category]], frozenset[Category]] = {}
    status_of = {status.value: status for status in PersonStatus}
    for pid, name, number, village, cats, status, key, level in rows:
        age = resident_id.age(resident_id.birth_date_of(number), today)
        stored = stored_of.get(cats)
        if stored is None:
            stored = stored_of[cats] = frozenset(Category(c) for c in json.loads(cats))
        derived = derived_of.get((age, level))
        if derived is None:
            found = derived_categories(age, DependencyLevel(level) if level else None)
            derived = derived_of[age, level] = alike.setdefault(found, found)
        every = every_of.get((stored, derived))
        if every is None:
            every = every_of[stored, derived] = stored | derived
        result.append(
            PersonRow(
                id=pid,
                name=name,
                id_number=number,
                village_code=village,
                age=age,
                sex="M" if int(number[16]) % 2 else "F",
                categories=every,
                derived=derived,
                status=status_of.get(status) or PersonStatus(status),
                search_key=key,
            )
        )
    return result


@dataclass(frozen=True)
class Registered:
    """Who holds an ID number already: enough to skip, match or name them without loading
    each person whole (an import checks thousands of rows against everyone stored)."""

    id: str
    name: str
    id_number: str


def registered(store: Store) -> dict[str, Registered]:
    """Every live person by ID number."""
    rows = store.db.execute("SELECT id, name, id_number FROM persons WHERE deleted = 0")
    return {number: Registered(pid, name, number) for pid, name, number in rows}


def village_names(store: Store) -> dict[str, str]:
    return {v.id: v.name for v in store.all(Village)}


_CLOSED = (NeedStatus.RESOLVED.value, NeedStatus.UNRESOLVABLE.value)


def need_counts(store: Store) -> dict[NeedStatus, int]:
    """How many open needs are in each status (from the trigger-kept counts)."""
    rows = store.db.execute(
        "SELECT status, n FROM need_counts WHERE n > 0 AND status NOT IN (?, ?)", _CLOSED
    )
    return {NeedStatus(status): count for status, count in rows}


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
    record: Record


def timeline(store: Store, person_id: str) -> list[TimelineEntry]:
    """Visits, child checks, needs (with each status step) and assessments, newest first."""
    entries: list[TimelineEntry] = []
    for kind in SYNCED_TYPES.values():
        spec = sync_spec(kind)
        if spec.timeline is None or spec.parent is None or spec.parent[1] != Person.table:
            continue
        for record in store.all(kind, f"{spec.parent[0]} = ?", [person_id]):
            if isinstance(record, ElderNeed):
                # A need's later steps come with it (the first step is the need raised).
                record = need_history(store, record)
                entries += [_entry(record), *map(_entry, record.history[1:])]
            else:
                entries.append(_entry(record))
    # On the same day: in the order the kinds are listed (RECORD_TYPES).
    return sorted(entries, key=lambda e: e.day, reverse=True)


def _entry(record: Record) -> TimelineEntry:
    key, field = sync_spec(type(record)).timeline or ("", "")
    day = getattr(record, field)
    return TimelineEntry(day.date() if isinstance(day, dt.datetime) else day, key, record)


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
    if table == "households":
        row = store.db.execute(
            "SELECT coalesce(nullif(head_name, ''), address) FROM households WHERE id = ?",
            [record_id],
        ).fetchone()
        return str(row[0]) if row and row[0] else record_id[:8]
    if table == "need_status_changes":
        row = store.db.execute(
            "SELECT p.name FROM need_status_changes s JOIN elder_needs n ON n.id = s.need_id "
            "JOIN persons p ON p.id = n.person_id WHERE s.id = ?",
            [record_id],
        ).fetchone()
        return str(row[0]) if row else record_id[:8]
    return record_id[:8]


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows for one month."""

    #: 月探访率 and 季度探访率 in the periods containing today (a rate no category uses is absent).
    rates: dict[Frequency, RateReport]
    month: dt.date
    #: The head of the work list; `due_count` says how long all of it is.
    work: list[WorkItem]
    due_count: int
    people: dict[str, PersonRow]
    need_counts: dict[NeedStatus, int]
    high_risk: list[PersonRow]


def month_rates(store: Store, today: dt.date) -> dict[Frequency, RateReport]:
    """This month's coverage (and the quarter's, when some category is quarterly)."""
    return standings.month(store, today, today, rules(store, today)).rates


@dataclass(frozen=True)
class WorkHead:
    """The head of this month's work list, and what its title says."""

    work: list[WorkItem]
    due_count: int
    people: dict[str, PersonRow]
    #: Whether anyone is required a contact in the periods asked about at all.
    anyone_required: bool


def work_head(store: Store, today: dt.date, limit: int) -> WorkHead:
    """The `limit` most urgent people due this month, with their rows."""
    month = standings.month(store, today, today, rules(store, today))
    work = standings.work_list(store, month, limit)
    rows = {r.id: r for r in person_rows(store, today, [w.person_id for w in work])}
    required = any(report.total.required for report in month.rates.values())
    return WorkHead(work, month.due_count, rows, required)


def high_risk_children(store: Store, today: dt.date) -> list[PersonRow]:
    """Children whose latest check was rated high risk, in the order of their ids."""
    risky = standings.high_risk(store, today, rules(store, today))
    rows = {r.id: r for r in person_rows(store, today, risky)}
    return [rows[pid] for pid in risky]


def dashboard(store: Store, today: dt.date, limit: int) -> Dashboard:
    """This month's coverage, the `limit` most urgent people due, open needs, high-risk children."""
    chosen = rules(store, today)
    month = standings.month(store, today, today, chosen)
    work = standings.work_list(store, month, limit)
    risky = standings.high_risk(store, today, chosen)
    rows = {r.id: r for r in person_rows(store, today, [*(w.person_id for w in work), *risky])}
    high = [rows[pid] for pid in risky]
    first = today.replace(day=1)
    return Dashboard(month.rates, first, work, month.due_count, rows, need_counts(store), high)


def same_day(store: Store, record: ContactRecord) -> ContactRecord | None:
    """The first live record of `record`'s kind for the same person and day, other than it:
    a likely duplicate, asked about before saving."""
    kind = type(record)
    found = store.all(
        kind,
        f"person_id = ? AND [{kind.contact_day}] = ? AND id != ?",
        [record.person_id, record.day.isoformat(), record.id],
    )
    return found[0] if found else None


def person_events(store: Store, person_id: str, *, retired: bool) -> list[PersonEvent]:
    """The person's dated events, live or retired (a tombstone keeps its fields), in the
    order they were stamped."""
    rows = store.db.query(
        "SELECT * FROM person_events WHERE person_id = ? AND deleted = ? ORDER BY hlc",
        [person_id, int(retired)],
    )
    return [store.load(PersonEvent, row) for row in rows]
