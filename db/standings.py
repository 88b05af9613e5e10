"""Where everyone stands against the visit rules in a month, counted in SQL.

`policy_facts` (kept by triggers, migrations m006 and m008) holds one row of numbers per
live person. Most people have not changed within the periods asked about: no dated change,
no registration, no second assessment and no 补录 entry since the earliest period's first
day. Their state throughout is their row, so one query gives each a *key*: their class
(stored categories, status), their age band and valid ADL level on each period's first
day, and which of the months around the asked one they were contacted in, by kind. People
with the same key stand alike, so `civtui.domain.policy` judges each key once with a
stand-in: the rules live in Python only, and no Python loop runs per person.

The few who did change are judged one by one from their full history, with the same
functions.

The dashboard asks the same question on every refresh, and working 50,000 keys out in SQL
costs more than everything else it does (≈65 ms of ≈400 ms, twice: for the rates and for
the work list; judging the keys ≈110 ms more). So a connection keeps each person's key for
the frame last asked about in TEMP tables, and the judgement of each key: TEMP triggers on
policy_facts note whose row this connection changed, and only those keys are worked out
again; another connection's commit (`PRAGMA data_version`), another frame (a new day, a
policy change) or other rules start over.
"""

from __future__ import annotations

import datetime as dt
import json
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from civtui.domain.choices import Category, DependencyLevel, Frequency, PersonStatus
from civtui.domain.policy import (
    KINDS,
    RATES,
    Contact,
    History,
    Judgement,
    RateReport,
    Rules,
    add_months,
    judge,
    months_before,
    period,
)
from civtui.domain.policy import due as person_due
from civtui.domain.worklist import WorkItem
from db.store import Store

#: How many months back from today a month can be asked about: policy_facts keeps the
#: 62 months of contacts before each person's last one (migration m006).
REACH_MONTHS = 60

_CLASS_BITS = 24
_LEVELS = {1: DependencyLevel.MODERATE, 2: DependencyLevel.SEVERE}


def _number(day: dt.date) -> int:
    """A date as YYYYMMDD, the form policy_facts keeps days in."""
    return day.year * 10000 + day.month * 100 + day.day


def _from_number(value: int) -> dt.date:
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _born_by(day: dt.date, years: int) -> int:
    """YYYYMMDD of the last birthday that makes someone `years` old on `day`.

    Compared as numbers, so 29 February needs no special case."""
    return (day.year - years) * 10000 + day.month * 100 + day.day


@dataclass(frozen=True)
class Frame:
    """The periods asked about, turned into the numbers the key query compares with."""

    day: dt.date
    today: dt.date
    rules: Rules
    #: (frequency, start, end) of each period judged: the current ones first.
    periods: tuple[tuple[Frequency, dt.date, dt.date], ...]
    current: tuple[tuple[Frequency, dt.date, dt.date], ...]
    #: The periods' first days: ages and ADL levels are judged on these.
    starts: tuple[dt.date, ...]
    #: First days of the months in reach, latest first; months that lie in the same
    #: periods are alike, and a key keeps one bit per group of alike months and kind.
    months: tuple[dt.date, ...]
    alike: tuple[tuple[int, dt.date], ...]

    @classmethod
    def of(cls, day: dt.date, today: dt.date, rules: Rules, previous: bool = True) -> Frame:
        used = {rules.frequency(c) for c in Category}
        current = tuple((f, *period(f, day)) for f in RATES if f in used)
        periods = list(current)
        if previous:
            periods += [(f, *period(f, s - dt.timedelta(days=1))) for f, s, _ in current]
        if not periods:
            return cls(day, today, rules, (), (), (), (), ())
        first = min(s for _, s, _ in periods)
        last = max(e for _, _, e in periods)
        count = _month_index(last) - _month_index(first) + 1
        months = tuple(add_months(last, -i) for i in range(count))
        signatures: dict[tuple[bool, ...], list[int]] = {}
        for i, m in enumerate(months):
            signatures.setdefault(tuple(s <= m <= e for _, s, e in periods), []).append(i)
        return cls(
            day,
            today,
            rules,
            tuple(periods),
            current,
            tuple(sorted({s for _, s, _ in periods})),
            months,
            tuple((sum(1 << i for i in bits), months[bits[-1]]) for bits in signatures.values()),
        )

    @property
    def window_start(self) -> int:
        return _number(self.starts[0]) if self.starts else 0

    def stable_sql(self) -> str:
        """Who stands the same all through the window (see the module's doc)."""
        return """coalesce(changed, 0) <= :window AND registered <= :window
            AND coalesce(prior_assessed, 0) <= :window AND coalesce(late_last, 0) < :window"""

    def key_sql(self) -> tuple[str, dict[str, int]]:
        """SQL for a stable person's key over policy_facts, and its named parameters."""
        params: dict[str, int] = {"window": self.window_start}
        parts = ["class_id"]
        shift = _CLASS_BITS
        thresholds = self.rules.thresholds
        for i, start in enumerate(self.starts):
            band = " + ".join(f"(birth <= {_born_by(start, t)})" for t in thresholds) or "0"
            s, cut = _number(start), _number(months_before(start, self.rules.adl_valid_months))
            level = f"""(CASE WHEN assessed <= {s} THEN (CASE WHEN assessed > {cut}
                    THEN level_code ELSE 0 END)
                WHEN prior_assessed <= {s} THEN (CASE WHEN prior_assessed > {cut}
                    THEN prior_level ELSE 0 END) ELSE 0 END)"""
            parts.append(f"(({band}) << {shift})")
            parts.append(f"({level} << {shift + 4})")
            shift += 6
            params[f"s{i}"] = s
        end = _month_index(self.months[0]) if self.months else 0
        for kind in KINDS:
            shifted = f"({kind}_mask >> (coalesce({kind}_month, 0) - {end}))"
            for bits, _ in self.alike:
                parts.append(f"((({shifted} & {bits}) != 0) << {shift})")
                shift += 1
        assert shift < 63, "a key must fit SQLite's integers"
        return " | ".join(parts), params

    def view(self, spot: tuple[Frequency, dt.date, dt.date]) -> Callable[[int], tuple[object, ...]]:
        """A function giving what a judgement in `spot` can see of a key."""
        _, s, e = spot
        at = _CLASS_BITS + 6 * self.starts.index(s)
        contacts = _CLASS_BITS + 6 * len(self.starts)
        inside = 0
        for k in range(len(KINDS)):
            for g, (_, month) in enumerate(self.alike):
                if s <= month <= e:
                    inside |= 1 << (contacts + k * len(self.alike) + g)
        class_mask = (1 << _CLASS_BITS) - 1

        def seen(key: int) -> tuple[object, ...]:
            return (key & class_mask, key >> at & 0x3F, key & inside, spot)

        return seen

    def stand_in(
        self, key: int, known: Mapping[int, tuple[frozenset[Category], PersonStatus]]
    ) -> History:
        """A history that stands exactly like the people with `key`."""
        categories, status = known[key & ((1 << _CLASS_BITS) - 1)]
        thresholds = self.rules.thresholds
        shift = _CLASS_BITS
        ages = []
        assessments = []
        for start in self.starts:
            band = key >> shift & 0xF
            level = key >> (shift + 4) & 0x3
            ages.append((start, thresholds[band - 1] if band else 0))
            # One assessment on every first day, so each day sees its own level (an
            # expired one reads as none, not as the one before it).
            assessments.append((start, _LEVELS.get(level, DependencyLevel.NONE)))
            shift += 6
        contacts = []
        for kind in KINDS:
            for _, month in self.alike:
                if key >> shift & 1:
                    contacts.append(Contact(month, kind))
                shift += 1
        return History(
            person_id=str(key),
            village_code="",
            birth=dt.date(1900, 1, 1),
            registered_on=dt.date(1900, 1, 1),
            status=status,
            categories=categories,
            assessments=tuple(assessments),
            contacts=tuple(contacts),
            ages=tuple(ages),
        )


@dataclass
class Standings:
    """The rates in the periods asked about, and who is due and overdue (the work list)."""

    frame: Frame
    rates: dict[Frequency, RateReport] = field(default_factory=dict)
    #: Keys of alike people who are due / overdue.
    due: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    #: People judged one by one who are due / overdue.
    due_ids: list[str] = field(default_factory=list)
    overdue_ids: list[str] = field(default_factory=list)
    due_count: int = 0
    overdue_count: int = 0
    #: Counted from the keys the connection keeps (see `_Kept`): the work list reads them too.
    kept: bool = False

    def rate(self, frequency: Frequency) -> RateReport | None:
        return self.rates.get(frequency)


def classes(store: Store) -> dict[int, tuple[frozenset[Category], PersonStatus]]:
    """What each policy class stands for (its ADL level is judged per period instead)."""
    by_code = {c.value: c for c in Category}
    return {
        cid: (frozenset(by_code[c] for c in json.loads(cats)), PersonStatus(status))
        for cid, cats, status in store.db.execute(
            "SELECT id, categories, status FROM policy_classes"
        )
    }


def histories(store: Store, ids: Iterable[str]) -> list[History]:
    """The full histories of these people, as the rules read them."""
    wanted = list(ids)
    found: list[History] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        events: dict[str, list[tuple[str, str | None, str | None, int | None]]] = {}
        for pid, *event in store.db.execute(
            "SELECT person_id, effective_on, status_before, category, held FROM person_events "
            f"WHERE deleted = 0 AND person_id IN ({marks}) ORDER BY effective_on, hlc",
            chunk,
        ):
            events.setdefault(pid, []).append((event[0], event[1], event[2], event[3]))
        assessed: dict[str, list[tuple[dt.date, DependencyLevel]]] = {}
        for pid, day, level in store.db.execute(
            f"SELECT person_id, assessed_on, level FROM assessments WHERE deleted = 0 "
            f"AND person_id IN ({marks}) ORDER BY assessed_on, hlc",
            chunk,
        ):
            assessed.setdefault(pid, []).append(
                (dt.date.fromisoformat(day), DependencyLevel(level))
            )
        contacts: dict[str, list[Contact]] = {}
        for pid, day, kind, late in store.db.execute(
            f"""SELECT person_id, visit_date, 'visit', late FROM visits WHERE deleted = 0
                AND person_id IN ({marks})
                UNION ALL SELECT person_id, check_date, 'check', late FROM child_checks
                WHERE deleted = 0 AND person_id IN ({marks})""",
            chunk * 2,
        ):
            contacts.setdefault(pid, []).append(
                Contact(dt.date.fromisoformat(day), kind, bool(late))
            )
        for pid, village, number, registered, status, cats in store.db.execute(
            "SELECT id, village_code, id_number, registered_on, status, categories FROM persons "
            f"WHERE deleted = 0 AND id IN ({marks})",
            chunk,
        ):
            mine = events.get(pid, [])
            found.append(
                History(
                    person_id=pid,
                    village_code=village,
                    birth=_from_number(int(number[6:14])),
                    registered_on=dt.date.fromisoformat(registered),
                    status=PersonStatus(status),
                    categories=frozenset(Category(c) for c in json.loads(cats)),
                    status_changes=tuple(
                        (dt.date.fromisoformat(d), PersonStatus(before))
                        for d, before, cat, _ in mine
                        if cat is None and before is not None
                    ),
                    category_changes=tuple(
                        (dt.date.fromisoformat(d), Category(cat), bool(held))
                        for d, _, cat, held in mine
                        if cat is not None and held is not None
                    ),
                    assessments=tuple(assessed.get(pid, ())),
                    contacts=tuple(sorted(contacts.get(pid, ()), key=lambda c: c.day)),
                )
            )
    return found


def month(
    store: Store, day: dt.date, today: dt.date, rules: Rules, village_code: str | None = None
) -> Standings:
    """The rates in the periods containing `day`, for everyone or one village's people."""
    if village_code is None:
        frame = Frame.of(day, today, rules)
        if frame.periods:
            return _kept(store).standings(store, frame)
    return by_village(store, day, today, rules, village_code, per_village=False)[""]


class _Kept:
    """One connection's keys for the frame last asked about, and the judgements of them.

    TEMP objects live and die with the connection and are seen by no other, so keeping
    them writes nothing to the profile; a TEMP trigger may watch a table of the main file.
    Beside each key the row keeps what orders the work list (high risk, urgent need, age,
    last contact) and whether the person is due for reassessment, so that the head of the
    list is read in order from an index instead of sorting everyone due.
    """

    #: Past this many changed people it is cheaper to work every key out again.
    FULL_AFTER = 5000

    def __init__(self, store: Store) -> None:
        self.conn = store.db.conn
        self.signature: tuple[str, str] | None = None
        self.data_version = -1
        self.rules: Rules | None = None
        self.known: dict[int, tuple[frozenset[Category], PersonStatus]] = {}
        self.judged: dict[tuple[object, ...], Judgement | None] = {}
        execute = store.db.execute
        execute(
            """CREATE TEMP TABLE IF NOT EXISTS policy_keys (
                person_id TEXT PRIMARY KEY, k INTEGER, high_risk INTEGER, urgent INTEGER,
                age INTEGER, last INTEGER, reassess INTEGER) WITHOUT ROWID"""
        )
        execute("CREATE INDEX IF NOT EXISTS temp.policy_keys_k ON policy_keys (k)")
        execute(f"CREATE INDEX IF NOT EXISTS temp.policy_keys_order ON policy_keys ({_ORDER})")
        execute(
            "CREATE INDEX IF NOT EXISTS temp.policy_keys_reassess ON policy_keys (person_id) "
            "WHERE reassess"
        )
        execute(
            "CREATE TEMP TABLE IF NOT EXISTS policy_dirty (person_id TEXT PRIMARY KEY) WITHOUT ROWID"
        )
        # NOT EXISTS rather than OR IGNORE: the statement that fired a trigger may impose
        # its own conflict policy on the trigger's statements.
        mark = (
            "INSERT INTO policy_dirty SELECT {row}.person_id WHERE NOT EXISTS "
            "(SELECT 1 FROM policy_dirty WHERE person_id = {row}.person_id)"
        )
        for event, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
            body = ";".join(mark.format(row=row) for row in rows)
            execute(
                f"CREATE TEMP TRIGGER IF NOT EXISTS policy_facts_dirty_{event.lower()} "
                f"AFTER {event} ON main.policy_facts BEGIN {body}; END"
            )

    def refresh(self, store: Store, frame: Frame) -> None:
        """Bring the kept rows up to date for `frame`."""
        key, key_params = frame.key_sql()
        known = classes(store)
        if known != self.known or frame.rules != self.rules:
            self.judged = {}
            self.known, self.rules = known, frame.rules
        params = {**key_params, **_list_params(frame, known)}
        signature = (key + frame.stable_sql(), json.dumps(params, sort_keys=True))
        if signature != self.signature:
            self.judged = {}
        (version,) = store.db.execute("PRAGMA data_version").fetchone()
        execute = store.db.execute
        if signature != self.signature or version != self.data_version:
            dirty = self.FULL_AFTER + 1
        else:
            (dirty,) = execute("SELECT count(*) FROM policy_dirty").fetchone()
        columns = f"""person_id, CASE WHEN {frame.stable_sql()} THEN ({key}) END,
            high_risk, urgent, (:today - birth) / 10000,
            CASE WHEN max(coalesce(visit_last, 0), coalesce(check_last, 0)) <= :end_number
                THEN nullif(max(coalesce(visit_last, 0), coalesce(check_last, 0)), 0)
                ELSE (SELECT CAST(replace(max(last_day), '-', '') AS INTEGER)
                      FROM contact_months c
                      WHERE c.person_id = f.person_id AND c.last_day <= :end_day) END,
            {_REASSESS}"""
        if dirty > self.FULL_AFTER:
            execute("DELETE FROM policy_dirty")
            execute("DELETE FROM policy_keys")
            execute(f"INSERT INTO policy_keys SELECT {columns} FROM main.policy_facts f", params)
        elif dirty:
            execute(
                f"""INSERT OR REPLACE INTO policy_keys SELECT {columns} FROM main.policy_facts f
                WHERE person_id IN (SELECT person_id FROM policy_dirty)""",
                params,
            )
            execute(
                """DELETE FROM policy_keys WHERE person_id IN (SELECT person_id FROM policy_dirty)
                AND person_id NOT IN (SELECT person_id FROM main.policy_facts)"""
            )
            execute("DELETE FROM policy_dirty")
        self.signature, self.data_version = signature, version

    def standings(self, store: Store, frame: Frame) -> Standings:
        self.refresh(store, frame)
        counts = Counter(
            dict(
                store.db.execute(
                    "SELECT k, count(*) FROM policy_keys WHERE k IS NOT NULL GROUP BY k"
                ).fetchall()
            )
        )
        changed = [
            pid for (pid,) in store.db.execute("SELECT person_id FROM policy_keys WHERE k IS NULL")
        ]
        result = _count(store, frame, self.known, self.judged, counts, changed)
        result.kept = True
        return result

    def work_list(self, store: Store, standings: Standings, limit: int) -> list[WorkItem]:
        """`work_list` from the kept rows: the overdue, then the rest due, then those due
        for reassessment only, each group most urgent first."""
        self.refresh(store, standings.frame)
        overdue = set(standings.overdue)
        overdue_ids = set(standings.overdue_ids)
        due_ids = set(standings.due_ids)
        groups = [
            (standings.overdue, overdue_ids, standings.overdue_count),
            (
                [k for k in standings.due if k not in overdue],
                due_ids - overdue_ids,
                standings.due_count - standings.overdue_count,
            ),
        ]
        found: list[tuple[_Row, bool]] = []
        for i, (keys, ids, count) in enumerate(groups):
            if 0 <= limit <= len(found):
                break
            wanted = -1 if limit < 0 else limit - len(found)
            found += [(row, i == 0) for row in self._rows(store, keys, ids, count, wanted)]
        if limit < 0 or len(found) < limit:
            rows = store.db.execute(
                f"""SELECT {_COLUMNS} FROM policy_keys INDEXED BY policy_keys_reassess
                WHERE reassess AND NOT coalesce(k IN (SELECT value FROM json_each(:due)),
                                                person_id IN (SELECT value FROM json_each(:ids)))
                ORDER BY {_ORDER} LIMIT :limit""",
                {
                    "due": json.dumps(standings.due),
                    "ids": json.dumps(sorted(due_ids)),
                    "limit": limit - len(found) if limit >= 0 else -1,
                },
            ).fetchall()
            found += [(row, False) for row in rows]
        return [
            WorkItem(
                person_id=pid,
                overdue=late,
                high_risk=bool(risky),
                urgent_need=bool(urgent),
                age=age,
                last_contact=_from_number(last) if last else None,
                reassess=bool(reassess),
            )
            for (pid, risky, urgent, age, last, reassess), late in found
        ]

    def _rows(
        self, store: Store, keys: list[int], ids: set[str], count: int, limit: int
    ) -> list[_Row]:
        """The people of `keys` and `ids`, most urgent first, at most `limit` of them."""
        # Walking the ordered index pays when the group is large (it stops after `limit`
        # matches); a small group is picked by its keys and sorted.
        index = "policy_keys_order" if 0 <= limit <= count else "policy_keys_k"
        rows: list[_Row] = store.db.execute(
            f"""SELECT {_COLUMNS} FROM policy_keys INDEXED BY {index}
            WHERE k IN (SELECT value FROM json_each(:keys)) ORDER BY {_ORDER} LIMIT :limit""",
            {"keys": json.dumps(keys), "limit": limit},
        ).fetchall()
        if ids:
            marks = ",".join("?" * len(ids))
            rows += store.db.execute(
                f"SELECT {_COLUMNS} FROM policy_keys WHERE person_id IN ({marks})", sorted(ids)
            ).fetchall()
            rows.sort(key=_urgency)
        return rows if limit < 0 else rows[:limit]


#: A kept row as the work list reads it: person, high risk, urgent need, age, last
#: contact (YYYYMMDD), due for reassessment.
_Row = tuple[str, int, int, int, int | None, int]
_COLUMNS = "person_id, high_risk, urgent, age, last, reassess"
#: The work list's order within a group, as an index of the kept rows can give it.
_ORDER = "high_risk DESC, urgent DESC, age DESC, last, person_id"


def _urgency(row: _Row) -> tuple[object, ...]:
    """`_ORDER` in Python (SQLite sorts NULL first)."""
    pid, risky, urgent, age, last, _ = row
    return (-risky, -urgent, -age, last is not None, last or 0, pid)


_REASSESS = """level_code > 0 AND assessed <= :expired AND birth <= :adl_by
    AND class_id IN (SELECT value FROM json_each(:active))"""


def _list_params(
    frame: Frame, known: Mapping[int, tuple[frozenset[Category], PersonStatus]]
) -> dict[str, object]:
    """What the work list's columns depend on besides a person's facts."""
    rules, today = frame.rules, frame.today
    end = add_months(frame.day.replace(day=1), 1) - dt.timedelta(days=1)
    return {
        "today": _number(today),
        "expired": _number(months_before(today, rules.adl_valid_months)),
        "adl_by": _born_by(today, rules.adl_min_age),
        "active": json.dumps(
            sorted(cid for cid, (_, status) in known.items() if status is PersonStatus.ACTIVE)
        ),
        "end_day": end.isoformat(),
        "end_number": _number(end),
    }


_KEPT: weakref.WeakKeyDictionary[Store, _Kept] = weakref.WeakKeyDictionary()


def _kept(store: Store) -> _Kept:
    kept = _KEPT.get(store)
    if kept is None or kept.conn is not store.db.conn:
        kept = _KEPT[store] = _Kept(store)
    return kept


def by_village(
    store: Store,
    day: dt.date,
    today: dt.date,
    rules: Rules,
    village_code: str | None = None,
    per_village: bool = True,
) -> dict[str, Standings]:
    """The same for every village at once (or all together under ""): one pass over people."""
    frame = Frame.of(day, today, rules)
    if not frame.periods:
        return {} if per_village else {"": Standings(frame)}
    key, params = frame.key_sql()
    where = " AND village_code = :village" if village_code else ""
    params = {**params, "village": village_code}  # type: ignore[dict-item]
    stable = frame.stable_sql()
    counts: dict[str, Counter[int]] = {}
    if per_village:
        rows = store.db.execute(
            f"SELECT village_code, {key} FROM policy_facts WHERE {stable}{where}", params
        )
        for village, k in rows:
            counts.setdefault(village, Counter())[k] += 1
    else:
        # One string of keys rather than 50,000 rows: handing rows to Python costs more
        # than working the keys out.
        (keys,) = store.db.execute(
            f"SELECT group_concat({key}) FROM policy_facts WHERE {stable}{where}", params
        ).fetchone()
        strings = Counter(keys.split(",")) if keys else Counter()
        counts[""] = Counter({int(k): n for k, n in strings.items()})
    changed: dict[str, list[str]] = {}
    for village, pid in store.db.execute(
        f"SELECT village_code, person_id FROM policy_facts WHERE NOT ({stable}){where}", params
    ):
        changed.setdefault(village if per_village else "", []).append(pid)
    known = classes(store)
    judged: dict[tuple[object, ...], Judgement | None] = {}
    result = {}
    for village in counts.keys() | changed.keys():
        result[village] = _count(
            store, frame, known, judged, counts.get(village, Counter()), changed.get(village, [])
        )
    return result


def _count(
    store: Store,
    frame: Frame,
    known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    judged: dict[tuple[object, ...], Judgement | None],
    counts: Mapping[int, int],
    changed: list[str],
) -> Standings:
    result = Standings(frame)
    current = frame.current
    rules = frame.rules
    for f, s, e in current:
        result.rates[f] = RateReport(f, s, e)
    previous = dict(zip(current, frame.periods[len(current) :], strict=True))
    # What a judgement in each period can see of a key: its class, the age band and ADL
    # level on the period's first day, and which kinds of contact fall in the period.
    views = {spot: frame.view(spot) for spot in frame.periods}
    per_view: dict[tuple[object, ...], tuple[Frequency, int]] = {}
    for key, n in counts.items():
        is_due = is_overdue = False
        for spot in current:
            seen = views[spot](key)
            j = _judge_seen(judged, seen, key, known, spot, frame)
            if j is None:
                continue
            per_view[seen] = (spot[0], per_view.get(seen, (spot[0], 0))[1] + n)
            if j.due:
                is_due = True
                before = _judge_seen(
                    judged, views[previous[spot]](key), key, known, previous[spot], frame
                )
                is_overdue = is_overdue or (before is not None and before.due)
        if is_due:
            result.due.append(key)
            result.due_count += n
            if is_overdue:
                result.overdue.append(key)
                result.overdue_count += n
    for seen, (frequency, n) in per_view.items():
        j = judged[seen]
        assert j is not None
        result.rates[frequency].add(j, n)
    for h in histories(store, changed):
        for f, s, e in current:
            j = judge(h, f, s, e, rules)
            if j is not None:
                result.rates[f].add(j)
        d = person_due(h, frame.day, rules)
        if d.due:
            result.due_ids.append(h.person_id)
            result.due_count += 1
            if d.overdue:
                result.overdue_ids.append(h.person_id)
                result.overdue_count += 1
    return result


def _judge_seen(
    judged: dict[tuple[object, ...], Judgement | None],
    seen: tuple[object, ...],
    key: int,
    known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    spot: tuple[Frequency, dt.date, dt.date],
    frame: Frame,
) -> Judgement | None:
    """Judge the people of `key` in one period, once per thing the judgement can see."""
    if seen not in judged:
        f, s, e = spot
        judged[seen] = judge(frame.stand_in(key, known), f, s, e, frame.rules)
    return judged[seen]


def work_list(
    store: Store,
    standings: Standings,
    limit: int = -1,
    village_code: str | None = None,
) -> list[WorkItem]:
    """The due people, most urgent first (see `WorkItem`), at most `limit` of them; then
    whoever is 失能/半失能 by an expired assessment (待复评)."""
    frame = standings.frame
    if not frame.periods:
        return []
    if standings.kept and village_code is None:
        return _kept(store).work_list(store, standings, limit)
    key, params = frame.key_sql()
    end = add_months(frame.day.replace(day=1), 1) - dt.timedelta(days=1)
    rules = frame.rules
    # Someone contacted this month is not due in it, nor in its quarter, when any contact
    # satisfies every category (the default): only the rest pay for their key.
    prefilter = ""
    if not rules.contact_kinds:
        prefilter = """AND ((visit_month IS NOT :month AND check_month IS NOT :month)
            OR level_code > 0)"""
    reassess = _REASSESS
    sql = f"""
        SELECT person_id, overdue, high_risk, urgent, (:today - birth) / 10000 AS age,
            (SELECT CAST(replace(max(last_day), '-', '') AS INTEGER) FROM contact_months c
             WHERE c.person_id = f.person_id AND c.last_day <= :end_day) AS last,
            reassess
        FROM (
            SELECT person_id, high_risk, urgent, birth, reassess,
                CASE WHEN k IS NOT NULL THEN k IN (SELECT value FROM json_each(:overdue))
                    ELSE person_id IN (SELECT value FROM json_each(:overdue_ids)) END AS overdue,
                CASE WHEN k IS NOT NULL THEN k IN (SELECT value FROM json_each(:due))
                    ELSE person_id IN (SELECT value FROM json_each(:due_ids)) END AS due
            FROM (
                SELECT person_id, high_risk, urgent, birth,
                    CASE WHEN {frame.stable_sql()} THEN ({key}) END AS k,
                    {reassess} AS reassess
                FROM policy_facts
                WHERE TRUE {prefilter} {"AND village_code = :village" if village_code else ""}
                -- LIMIT makes this a co-routine, so each key is worked out once, not per use.
                LIMIT -1
            )
        ) f
        WHERE due OR reassess
        ORDER BY due DESC, overdue DESC, high_risk DESC, urgent DESC, age DESC, last, person_id
        LIMIT :limit
    """
    active = [cid for cid, (_, status) in classes(store).items() if status is PersonStatus.ACTIVE]
    args = {
        **params,
        "overdue": json.dumps(standings.overdue),
        "due": json.dumps(standings.due),
        "overdue_ids": json.dumps(standings.overdue_ids),
        "due_ids": json.dumps(standings.due_ids),
        "active": json.dumps(active),
        "today": _number(frame.today),
        "expired": _number(months_before(frame.today, rules.adl_valid_months)),
        "adl_by": _born_by(frame.today, rules.adl_min_age),
        "end_day": end.isoformat(),
        "month": _month_index(frame.day),
        "village": village_code,
        "limit": limit,
    }
    return [
        WorkItem(
            person_id=pid,
            overdue=bool(overdue),
            high_risk=bool(risky),
            urgent_need=bool(urgent),
            age=age,
            last_contact=_from_number(last) if last else None,
            reassess=bool(reassess),
        )
        for pid, overdue, risky, urgent, age, last, reassess in store.db.execute(sql, args)
    ]


def high_risk(store: Store, today: dt.date, rules: Rules) -> list[str]:
    """Children whose most recent check was rated high risk."""
    rows = store.db.execute(
        "SELECT person_id FROM policy_facts WHERE high_risk AND birth > ?",
        [_born_by(today, rules.child_age)],
    )
    return sorted(pid for (pid,) in rows)
