"""Where everyone stands against the visit rules in a month, counted in SQL.

`policy_facts` (kept by triggers, migrations m006 and m008) holds one row of numbers per
live person. Most people have not changed within the periods asked about: no dated change,
no registration, no second assessment and no 补录 entry since the earliest period's first
day. Their state throughout is their row, so one query gives each a *key*: their class
(stored categories, status), their age band and valid ADL level on each period's first
day, and which of the months around the asked one they were contacted in, by kind. People
with the same key stand alike, so `civtui.domain.policy` judges each key once with a
stand-in: the rules live in Python only, and no Python loop judges per person.

The few who did change are judged one by one from their full history, with the same
functions.

There is one path from the store to every figure and list. `person_rows` reads each
person once for a frame: village, key (None for someone who changed), what orders the work
list and whether they are due for reassessment. A connection keeps those rows (`_Kept`,
by key, each key's people in work-list order) and the judgement of each key; `month`
(everyone or one village), `by_village` and `work_list` (everyone or one village) are all
cut from them: a village's count of a key is its people in that key's list, its work list
the same merge of the due keys' lists as everyone's, keeping its own people. TEMP triggers
on policy_facts note whose row this connection changed, and only those are read again;
another connection's commit (`PRAGMA data_version`), another frame (a new day, a past
month asked) or a policy change reads everyone again. At 50,000 people the rows take
≈3.6 MiB (≈75 bytes a person, see `_PLACE_BITS`) and a first reading ≈0.2 s; the
dashboard's refresh after that ≈5 ms.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import json
import operator
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from civtui.domain.batches import chunked
from civtui.domain.choices import Category, DependencyLevel, Frequency, PersonStatus
from civtui.domain.policy import (
    DEPENDENT_LEVELS,
    KINDS,
    RATES,
    Contact,
    History,
    Judgement,
    RateReport,
    Rules,
    add_months,
    born_by,
    day_number,
    judge,
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


def _from_number(value: int) -> dt.date:
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


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
        return day_number(self.starts[0]) if self.starts else 0

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
            band = " + ".join(f"(birth <= {born_by(start, t)})" for t in thresholds) or "0"
            s, cut = day_number(start), day_number(self.rules.adl_expired_by(start))
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
    #: Whose standings these are: one village's people, or everyone's (None).
    village_code: str | None = None

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
    for chunk in chunked(wanted):
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
    frame = Frame.of(day, today, rules)
    if not frame.periods:
        return Standings(frame, village_code=village_code)
    kept = _kept(store)
    kept.refresh(store, frame)
    return kept.count(store, frame, village_code)


def by_village(store: Store, day: dt.date, today: dt.date, rules: Rules) -> dict[str, Standings]:
    """`month` for each village that has people, from one reading of everyone."""
    frame = Frame.of(day, today, rules)
    if not frame.periods:
        return {}
    kept = _kept(store)
    kept.refresh(store, frame)
    return {
        village: kept.judge(store, frame, counts, changed, village)
        for village, (counts, changed) in kept.villages().items()
    }


#: A kept person is one 64-bit integer, laid out so that people compare in the work list's
#: order within a key (most urgent first) and an array of them is a group:
#:
#: - bits 61–62: 3 less 2 for high risk, less 1 for an urgent need (high risk first);
#: - bits 51–60: 255 less the age, plus `_YOUTH_FROM` (the oldest first);
#: - bits 24–50: the last contact as YYYYMMDD plus one (0: unread, 1: never);
#: - bits 0–23: the person's place in the connection's arrays (`_Kept`), which hold what is
#:   never compared: their id, village, key and whether they are due for reassessment.
#:
#: People alike in all but the place are ordered by their ids (`_Kept._rank`). A tuple and an
#: id string per person would take ≈12 MiB at 50,000 people; as numbers in arrays a person
#: costs ≈75 bytes (the arrays' spare room included), and no Python object of their own.
_PLACE_BITS: Final = 24
_PLACE: Final = (1 << _PLACE_BITS) - 1
_LAST_BITS: Final = 27
_LAST_MASK: Final = (1 << _LAST_BITS) - 1
_YOUTH_BITS: Final = 10
_YOUTH_FROM: Final = 1 << (_YOUTH_BITS - 1)
_AGE_FROM = 255
#: The last contact of someone contacted after the month asked about, until they are listed.
_UNREAD = -1
#: In `_Kept.keys`: someone judged one by one (key None), and someone no longer kept.
_ALONE: Final = -1
_GONE: Final = -2
#: Between ids in `_Kept.ids`: a byte no UTF-8 text holds, so a search for one id whole
#: cannot match across two.
_SEP: Final = b"\xff"


#: 待复评 over policy_facts (the rule is `Reassessment`), its day's bounds bound by
#: `_reassess_params`. The levels are written in as their codes: a bound list (json_each)
#: made the predicate about a quarter slower over 50,000 rows, paid on each full refresh.
_DEPENDENT_CODES = ", ".join(str(c) for c, level in _LEVELS.items() if level in DEPENDENT_LEVELS)
_REASSESS = f"""level_code IN ({_DEPENDENT_CODES}) AND assessed <= :expired AND birth <= :adl_by
    AND class_id IN (SELECT value FROM json_each(:active))"""


def _reassess_params(
    rules: Rules, today: dt.date, known: Mapping[int, tuple[frozenset[Category], PersonStatus]]
) -> dict[str, object]:
    """`Rules.reassessment` on `today`, as `_REASSESS` compares with policy_facts."""
    rule = rules.reassessment(today)
    return {
        "expired": day_number(rule.made_by),
        "adl_by": rule.born_by,
        "active": json.dumps(sorted(cid for cid, (_, st) in known.items() if st is rule.status)),
    }


def _list_params(
    frame: Frame, known: Mapping[int, tuple[frozenset[Category], PersonStatus]]
) -> dict[str, object]:
    """What the work list's columns depend on besides a person's facts."""
    rules, today = frame.rules, frame.today
    end = add_months(frame.day.replace(day=1), 1) - dt.timedelta(days=1)
    return {
        "today": day_number(today),
        **_reassess_params(rules, today, known),
        "end_number": day_number(end),
    }


_KEPT: weakref.WeakKeyDictionary[Store, _Kept] = weakref.WeakKeyDictionary()


def _kept(store: Store) -> _Kept:
    kept = _KEPT.get(store)
    if kept is None or kept.conn is not store.db.conn:
        kept = _KEPT[store] = _Kept(store)
    return kept


def person_rows(
    store: Store,
    frame: Frame,
    known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    ids: list[str] | None = None,
) -> Iterator[tuple[str, int | None, int, str, int | None]]:
    """Each person as coverage reads them in `frame` (everyone, or the people `ids`):
    village, key (None for someone who changed inside the window), their place in the work
    list's order as a kept person's bits above the place (see `_PLACE_BITS`), their id, and
    whether they are due for reassessment. Every figure and list in this module comes from
    these rows, through the connection's copy of them (`_Kept`)."""
    key, params = frame.key_sql()
    where = ""
    if ids is not None:
        # Named and numbered parameters do not mix: the ids go in as one JSON list.
        where = "WHERE person_id IN (SELECT value FROM json_each(:ids))"
        params = {**params, "ids": json.dumps(ids)}  # type: ignore[dict-item]
    # The last contact is the row's own unless it lies after the month asked about (a past
    # month): then it is left unread (`_UNREAD`) until the person is listed, as reading it
    # (`last_contacts`) for everyone doubled the time a past month's figures took.
    greatest = "max(coalesce(visit_last, 0), coalesce(check_last, 0))"
    last = f"CASE WHEN {greatest} <= :end_number THEN {greatest} ELSE {_UNREAD} END"
    # Made in SQL so that reading everyone makes no Python number per field (SQLite's `<<`
    # and `|` bind alike, hence each part in brackets). An age outside
    # what the bits hold (over 767, or born after today by more than 256 years) is not one an
    # ID number gives; it is held at the nearest the bits can say rather than spill over.
    youth = f"{_AGE_FROM} - (:today - birth) / 10000 + {_YOUTH_FROM}"
    order = f"""((3 - 2 * high_risk - urgent) << {_PLACE_BITS + _LAST_BITS + _YOUTH_BITS})
        | (min(max({youth}, 0), {(1 << _YOUTH_BITS) - 1}) << {_PLACE_BITS + _LAST_BITS})
        | ((({last}) + 1) << {_PLACE_BITS})"""
    sql = f"""SELECT village_code, CASE WHEN {frame.stable_sql()} THEN ({key}) END,
        {order}, person_id, {_REASSESS}
        FROM main.policy_facts f {where}"""
    return iter(store.db.execute(sql, {**params, **_list_params(frame, known)}))


def last_contacts(store: Store, frame: Frame, ids: list[str]) -> dict[str, int]:
    """The last contact of each of these people up to the end of the month asked about, as
    YYYYMMDD (absent: never): each kind's latest month up to it is one step down
    contact_months' primary key (a max() over the person's days would read all of them)."""
    latest = ", ".join(
        f"""coalesce((SELECT last_day FROM contact_months c WHERE c.person_id = value
            AND c.kind = '{kind}' AND c.month <= :end_month ORDER BY c.month DESC LIMIT 1), '')"""
        for kind in KINDS
    )
    end = add_months(frame.day.replace(day=1), 1) - dt.timedelta(days=1)
    found = store.db.execute(
        f"SELECT value, max({latest}) FROM json_each(:ids)",
        {"ids": json.dumps(ids), "end_month": end.isoformat()[:7]},
    )
    return {pid: int(day.replace("-", "")) for pid, day in found if day}


class _Kept:
    """One connection's copy of `person_rows` for the frame last asked about, and the
    judgement of each key.

    The people are kept by key, each key's in work-list order: everyone's count of a key is
    the length of its array, a village's is its people in it, and the head of a work list is
    a merge of the due keys' heads rather than a sort of everyone due. A person is one number
    (see `_PLACE_BITS`) whose low bits are their place in arrays indexed alike: `ids` (their
    id, found again with one search of the bytes), `keys`, `villages`, `orders` (the number
    itself, to find it in its key's array) and `again`. TEMP triggers on policy_facts note
    whose row this connection changes (TEMP objects are the connection's own and write
    nothing to the profile): only those rows are read again. Another connection's commit
    (`PRAGMA data_version`), another frame (a new day, another month asked) or a policy
    change reads everyone again.
    """

    #: Past this many changed people it is cheaper to read every row again (finding each
    #: one's place is a search of every id, ≈0.1 ms at 50,000 people; reading all, ≈0.2 s).
    FULL_AFTER = 1000

    def __init__(self, store: Store) -> None:
        self.conn = store.db.conn
        self.signature: tuple[str, str] | None = None
        self.data_version = -1
        self.rules: Rules | None = None
        self.known: dict[int, tuple[frozenset[Category], PersonStatus]] = {}
        self.judged: dict[tuple[object, ...], Judgement | None] = {}
        self.verdicts: dict[int, _Verdict] = {}
        self._empty()
        execute = store.db.execute
        #: Whether this connection notes whose rows it changes. A read-only connection (the
        #: app's, once its file was replaced under it) cannot write even a TEMP table, and
        #: changes nothing: it reads everyone again only when another commit shows.
        (readonly,) = execute("PRAGMA query_only").fetchone()
        self.noting = not readonly
        if not self.noting:
            return
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

    def _empty(self) -> None:
        #: Every kept id in UTF-8, each followed by `_SEP`; the id at place p is
        #: `ids[starts[p] : starts[p + 1] - 1]` (one more start than places).
        self.ids = bytearray(_SEP)
        self.starts = array("I", [len(_SEP)])
        #: Each place's key (`_ALONE`: judged one by one; `_GONE`: no longer kept).
        self.keys = array("q")
        #: Each place's village, as its index in `village_names`.
        self.villages_at = array("I")
        self.village_names: list[str] = []
        self.village_index: dict[str, int] = {}
        #: Each place's person as kept in its key's array (see `_PLACE_BITS`).
        self.orders = array("q")
        #: Whether each place is due for reassessment (待复评): 1 or 0.
        self.again = bytearray()
        #: key (None: judged one by one) → its people, in work-list order
        self.groups: dict[int | None, array[int]] = {}
        #: The places of those due for reassessment.
        self.reassess: set[int] = set()
        #: How many people have their last contact unread (`_UNREAD`).
        self.unread = 0
        self.unsorted = False

    def refresh(self, store: Store, frame: Frame) -> None:
        """Bring the kept rows up to date for `frame`."""
        known = classes(store)
        if known != self.known or frame.rules != self.rules:
            self.judged, self.verdicts = {}, {}
            self.known, self.rules = known, frame.rules
        key, key_params = frame.key_sql()
        params = {**key_params, **_list_params(frame, known)}
        signature = (key + frame.stable_sql(), json.dumps(params, sort_keys=True))
        if signature != self.signature:
            self.judged, self.verdicts = {}, {}
        execute = store.db.execute
        (version,) = execute("PRAGMA data_version").fetchone()
        if self.noting and execute("PRAGMA query_only").fetchone()[0]:
            # Turned read-only since: what was noted cannot be cleared, so read everyone
            # once more and note nothing from now on.
            self.noting, self.signature = False, None
        if signature != self.signature or version != self.data_version:
            dirty = self.FULL_AFTER + 1
        elif not self.noting:
            dirty = 0
        else:
            (dirty,) = execute("SELECT count(*) FROM policy_dirty").fetchone()
        if dirty > self.FULL_AFTER:
            if self.noting:
                execute("DELETE FROM policy_dirty")
            self._read_all(store, frame, known)
        elif dirty:
            ids = [pid for (pid,) in execute("SELECT person_id FROM policy_dirty")]
            execute("DELETE FROM policy_dirty")
            self._in_order()
            places = {pid: self._find(pid) for pid in ids}
            for place in places.values():
                if place is not None:
                    self._drop(place)
            for village, k, order, pid, again in person_rows(store, frame, known, ids):
                self._add(places[pid], pid, village, k, order, again)
        self.signature, self.data_version = signature, version
        if store.db.conn.in_transaction:
            # What was read may yet be rolled back, and the notes of whose rows changed
            # with it: the next refresh starts over.
            self.signature = None

    def _read_all(
        self,
        store: Store,
        frame: Frame,
        known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    ) -> None:
        # The old rows go before the new are read: both at once would double the peak.
        self._empty()
        ids, starts, keys, orders, again = self.ids, self.starts, self.keys, self.orders, self.again
        villages_at, names, index = self.villages_at, self.village_names, self.village_index
        groups, reassess = self.groups, self.reassess
        unread = 0
        # One pass with no Python call per person but the arrays' own: this is the first
        # refresh's whole cost.
        for place, (village, k, order, pid, due_again) in enumerate(
            person_rows(store, frame, known)
        ):
            ids += pid.encode()
            ids += _SEP
            starts.append(len(ids))
            code = index.get(village)
            if code is None:
                code = index[village] = len(names)
                names.append(village)
            villages_at.append(code)
            keys.append(_ALONE if k is None else k)
            order |= place
            orders.append(order)
            again.append(1 if due_again else 0)
            group = groups.get(k)
            if group is None:
                groups[k] = group = array("q")
            group.append(order)
            if due_again:
                reassess.add(place)
            unread += order >> _PLACE_BITS & _LAST_MASK == 0
        if len(starts) - 1 > _PLACE:
            raise OverflowError(f"more than {_PLACE} people")
        # Sorted when first needed (`_in_order`): a month's figures do not need the order.
        self.unsorted = True
        self.unread = unread

    def _pid(self, order: int) -> str:
        place, starts = order & _PLACE, self.starts
        return self.ids[starts[place] : starts[place + 1] - 1].decode()

    def _find(self, pid: str) -> int | None:
        """The place of `pid`, kept or not, if it has one."""
        at = self.ids.find(_SEP + pid.encode() + _SEP)
        if at < 0:
            return None
        return bisect.bisect_left(self.starts, at + 1)

    def _rank(self, order: int) -> tuple[int, str]:
        """What orders a kept person in the work list: all but the place, then the id."""
        return order >> _PLACE_BITS, self._pid(order)

    def _sorted(self, orders: Iterable[int]) -> array[int]:
        """`orders` in work-list order: by number, then people alike but for their place by
        their ids (the place follows the order people were read in, not their ids)."""
        found = sorted(orders)
        # Where a number's person is alike the one before: found without a Python call per
        # person, as a full read sorts everyone.
        above = list(map(_above_place, found))
        alike = itertools.compress(itertools.count(1), map(operator.eq, above, above[1:]))
        end = 0
        for i in alike:
            if i <= end:
                continue
            start = end = i - 1
            while end < len(above) and above[end] == above[start]:
                end += 1
            found[start:end] = sorted(found[start:end], key=self._pid)
        return array("q", found)

    def _ties_by_id(self, merged: Iterable[int]) -> Iterator[int]:
        """A merge of kept arrays by number alone, with people alike but for their place put
        in order of their ids (alike people come together in any such merge)."""
        for _, alike in itertools.groupby(merged, _above_place):
            run = list(alike)
            yield from run if len(run) == 1 else sorted(run, key=self._pid)

    def _in_order(self) -> None:
        """Put each key's people in work-list order, if a full read left them unsorted."""
        if self.unsorted:
            for k, group in self.groups.items():
                self.groups[k] = self._sorted(group)
            self.unsorted = False

    def _add(
        self,
        place: int | None,
        pid: str,
        village: str,
        k: int | None,
        order: int,
        again: int | None,
    ) -> None:
        """Keep a person read again (`place`: theirs, None for someone new)."""
        code = self.village_index.get(village)
        if code is None:
            code = self.village_index[village] = len(self.village_names)
            self.village_names.append(village)
        if place is None:
            place = len(self.starts) - 1
            if place > _PLACE:
                raise OverflowError(f"more than {_PLACE} people")
            self.ids += pid.encode()
            self.ids += _SEP
            self.starts.append(len(self.ids))
            self.keys.append(_GONE)
            self.villages_at.append(code)
            self.orders.append(0)
            self.again.append(0)
        order |= place
        self.keys[place] = _ALONE if k is None else k
        self.villages_at[place] = code
        self.orders[place] = order
        self.again[place] = 1 if again else 0
        group = self.groups.get(k)
        if group is None:
            self.groups[k] = array("q", [order])
        else:
            bisect.insort(group, order, key=self._rank)
        if again:
            self.reassess.add(place)
        self.unread += order >> _PLACE_BITS & _LAST_MASK == 0

    def _drop(self, place: int) -> None:
        k = self.keys[place]
        if k == _GONE:
            return
        key = None if k == _ALONE else k
        order = self.orders[place]
        group = self.groups[key]
        group.remove(order)
        if not group:
            del self.groups[key]
        self.keys[place] = _GONE
        self.reassess.discard(place)
        self.unread -= order >> _PLACE_BITS & _LAST_MASK == 0

    def _settle(self, store: Store, frame: Frame, orders: Iterable[int]) -> None:
        """Read the last contact of these people where it was left unread."""
        # Someone due for reassessment may also be in a due key's list: once each.
        unread = list(dict.fromkeys(o for o in orders if o >> _PLACE_BITS & _LAST_MASK == 0))
        if not unread:
            return
        found = last_contacts(store, frame, [self._pid(order) for order in unread])
        moved: dict[int | None, list[tuple[int, int]]] = {}
        for order in unread:
            place = order & _PLACE
            last = found.get(self._pid(order), 0)
            self.orders[place] = now = order | (last + 1) << _PLACE_BITS
            k = self.keys[place]
            moved.setdefault(None if k == _ALONE else k, []).append((order, now))
        self.unread -= len(unread)
        for key, changes in moved.items():
            group = self.groups[key]
            if len(changes) * 8 < len(group):
                # A few of many (one village's people): each moves to its place.
                for before, now in changes:
                    group.remove(before)
                    bisect.insort(group, now, key=self._rank)
            else:
                self.groups[key] = self._sorted(self.orders[o & _PLACE] for o in group)

    def villages(self) -> dict[str, tuple[dict[int, int], list[str]]]:
        """Each village's count of each key, and its people judged one by one."""
        counts: dict[int, dict[int, int]] = {}
        changed: dict[int, list[str]] = {}
        at = self.villages_at
        for k, group in self.groups.items():
            if k is None:
                for order in group:
                    changed.setdefault(at[order & _PLACE], []).append(self._pid(order))
                continue
            for village, n in Counter(map(at.__getitem__, map(_PLACE.__and__, group))).items():
                per = counts.get(village)
                if per is None:
                    counts[village] = per = {}
                per[k] = n
        names = self.village_names
        return {
            names[v]: (counts.get(v, {}), changed.get(v, []))
            for v in counts.keys() | changed.keys()
        }

    def count(self, store: Store, frame: Frame, village_code: str | None) -> Standings:
        """The standings of everyone, or of one village's people, from the kept rows."""
        if village_code is not None:
            counts, changed = self.villages().get(village_code, ({}, []))
            return self.judge(store, frame, counts, changed, village_code)
        everyone = {k: len(group) for k, group in self.groups.items() if k is not None}
        alone = [self._pid(order) for order in self.groups.get(None, ())]
        return self.judge(store, frame, everyone, alone, None)

    def judge(
        self,
        store: Store,
        frame: Frame,
        counts: Mapping[int, int],
        changed: list[str],
        village_code: str | None,
    ) -> Standings:
        result = _count(store, frame, self.known, self.judged, self.verdicts, counts, changed)
        result.village_code = village_code
        return result

    def work_list(
        self, store: Store, standings: Standings, limit: int, village_code: str | None
    ) -> list[WorkItem]:
        """The overdue, then the rest due, then those due for reassessment only, each
        group most urgent first; everyone's, or one village's."""
        self.refresh(store, standings.frame)
        self._in_order()
        overdue = set(standings.overdue)
        overdue_ids = set(standings.overdue_ids)
        due = set(standings.due)
        due_ids = set(standings.due_ids)
        # A village nobody lives in has no index: -1 matches nobody.
        code = -1 if village_code is None else self.village_index.get(village_code, -1)

        at, place = self.villages_at, _PLACE

        def mine(orders: Iterable[int]) -> list[int]:
            return [order for order in orders if at[order & place] == code]

        alone = self.groups.get(None, array("q"))
        if self.unread:
            listed = itertools.chain(
                *(group for k, group in self.groups.items() if k in due),
                (order for order in alone if self._pid(order) in due_ids),
                (self.orders[place] for place in self.reassess),
            )
            self._settle(store, standings.frame, listed if village_code is None else mine(listed))
            alone = self.groups.get(None, array("q"))

        def people(keys: set[int], ids: set[str]) -> Iterator[int]:
            lists: list[Iterable[int]] = [
                group for k, group in self.groups.items() if k is not None and k in keys
            ]
            if village_code is not None:
                lists = [mine(group) for group in lists]
            chosen = [order for order in alone if self._pid(order) in ids]
            lists.append(chosen if village_code is None else mine(chosen))
            return self._ties_by_id(heapq.merge(*lists))

        def again(order: int) -> bool:
            if village_code is not None and at[order & place] != code:
                return False
            k = self.keys[order & _PLACE]
            return k not in due if k != _ALONE else self._pid(order) not in due_ids

        reassess = (self.orders[place] for place in self.reassess)
        chosen = itertools.chain(
            ((order, True) for order in people(overdue, overdue_ids)),
            ((order, False) for order in people(due - overdue, due_ids - overdue_ids)),
            ((order, False) for order in self._sorted(filter(again, reassess))),
        )
        found = list(chosen if limit < 0 else itertools.islice(chosen, limit))
        youth_mask = (1 << _YOUTH_BITS) - 1
        items = []
        for order, late in found:
            above = order >> _PLACE_BITS
            last = (above & _LAST_MASK) - 1
            first = (above >> _LAST_BITS + _YOUTH_BITS) - 3
            youth = (above >> _LAST_BITS & youth_mask) - _YOUTH_FROM
            items.append(
                WorkItem(
                    person_id=self._pid(order),
                    overdue=late,
                    high_risk=first <= -2,
                    urgent_need=bool(first & 1),
                    age=_AGE_FROM - youth,
                    last_contact=_from_number(last) if last > 0 else None,
                    reassess=bool(self.again[order & _PLACE]),
                )
            )
        return items


#: A kept person's number less their place (`_PLACE_BITS`): what orders them but their id.
_above_place = _PLACE_BITS.__rrshift__


#: What `_count` needs of a key, the same in every village: the judgements' views that
#: count it (each with its rate), and whether its people are due and overdue.
_Verdict = tuple[tuple[tuple[tuple[object, ...], Frequency], ...], bool, bool]


def _count(
    store: Store,
    frame: Frame,
    known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    judged: dict[tuple[object, ...], Judgement | None],
    verdicts: dict[int, _Verdict],
    counts: Mapping[int, int],
    changed: list[str],
) -> Standings:
    result = Standings(frame)
    current = frame.current
    rules = frame.rules
    for f, s, e in current:
        result.rates[f] = RateReport(f, s, e)
    views = {spot: frame.view(spot) for spot in frame.periods}
    per_view: dict[tuple[object, ...], tuple[Frequency, int]] = {}
    for key, n in counts.items():
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = _verdict(frame, views, known, judged, key)
        counted, is_due, is_overdue = verdict
        for view, frequency in counted:
            per_view[view] = (frequency, per_view.get(view, (frequency, 0))[1] + n)
        if is_due:
            result.due.append(key)
            result.due_count += n
            if is_overdue:
                result.overdue.append(key)
                result.overdue_count += n
    for view, (frequency, n) in per_view.items():
        j = judged[view]
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


def _verdict(
    frame: Frame,
    views: Mapping[tuple[Frequency, dt.date, dt.date], Callable[[int], tuple[object, ...]]],
    known: Mapping[int, tuple[frozenset[Category], PersonStatus]],
    judged: dict[tuple[object, ...], Judgement | None],
    key: int,
) -> _Verdict:
    """Judge the people of `key` in the periods asked about and the ones before them."""
    current = frame.current
    previous = dict(zip(current, frame.periods[len(current) :], strict=True))
    seen = []
    is_due = is_overdue = False
    for spot in current:
        # What a judgement in the period can see of a key: its class, the age band and ADL
        # level on the period's first day, and which kinds of contact fall in the period.
        view = views[spot](key)
        j = _judge_seen(judged, view, key, known, spot, frame)
        if j is None:
            continue
        seen.append((view, spot[0]))
        if j.due:
            is_due = True
            earlier = previous[spot]
            before = _judge_seen(judged, views[earlier](key), key, known, earlier, frame)
            is_overdue = is_overdue or (before is not None and before.due)
    return tuple(seen), is_due, is_overdue


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
    whoever is 失能/半失能 by an expired assessment (待复评). Everyone's, or the people of
    `village_code` (by default the village the standings are of)."""
    if not standings.frame.periods:
        return []
    village = standings.village_code if village_code is None else village_code
    return _kept(store).work_list(store, standings, limit, village)


def high_risk(store: Store, today: dt.date, rules: Rules) -> list[str]:
    """Children whose most recent check was rated high risk."""
    rows = store.db.execute(
        "SELECT person_id FROM policy_facts WHERE high_risk AND birth > ?",
        [born_by(today, rules.child_age)],
    )
    return sorted(pid for (pid,) in rows)


#: The page cache of a connection that only counts (the app's reader), in KiB. The SQLite
#: build the store uses keeps up to 8,000 KiB a connection, and a count reads all of
#: policy_facts (≈5 MiB at 50,000 people), so all of it stayed cached; yet the reader counts
#: again only after another connection's commit, which makes SQLite drop the whole cache
#: (WAL: the snapshot changed), so the cached pages were never read again. 512 KiB holds the
#: upper pages of the indexes the work list's lookups walk; reading the pages again from the
#: OS costs no CPU that a count shows (measured alike, encrypted and plain).
COUNTING_CACHE_KIB = 512


def for_counting(store: Store) -> None:
    """Make `store`'s connection one that counts standings and little else."""
    store.db.execute(f"PRAGMA cache_size = -{COUNTING_CACHE_KIB}")
