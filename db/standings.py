"""Where everyone stands against the visit policy in a month, counted in SQL.

`policy_facts` (kept by triggers, migration m006) holds one row of numbers per live
person. One query gives every person a *key*: their class (categories, status, latest
ADL level), whether they are 80+ or a child on the asked day, when they registered
relative to the period ends, and in which of the months around the asked one they were
contacted. People with the same key stand alike, so `civtui.domain.policy` judges each key once
with a representative subject: the policy lives in Python only, and no Python loop runs
per person. The work list then asks SQL for the due keys' people, most urgent first.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from civtui.domain.choices import Category, DependencyLevel, Frequency, PersonStatus
from civtui.domain.models import ADVANCED_AGE, CHILD_AGE_LIMIT, derived_categories
from civtui.domain.policy import (
    MonthReport,
    Subject,
    add_months,
    month_start,
    periods,
    standing,
)
from civtui.domain.worklist import WorkItem
from db.store import Store

#: How many months back from today a month can be asked about: policy_facts keeps the
#: 62 months of contacts before each person's last one (migration m006).
REACH_MONTHS = 60

# Where each part sits in a key; the class id takes the low 32 bits.
_AGED, _BUCKET, _FLAGS = 32, 33, 37


def _number(day: dt.date) -> int:
    """A date as YYYYMMDD, the form policy_facts keeps days in."""
    return day.year * 10000 + day.month * 100 + day.day


def _from_number(value: int) -> dt.date:
    return dt.date(value // 10000, value // 100 % 100, value % 100)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _born_by(today: dt.date, years: int) -> int:
    """YYYYMMDD of the last birthday that makes someone `years` old on `today`.

    Compared as numbers, so 29 February needs no special case."""
    return (today.year - years) * 10000 + today.month * 100 + today.day


@dataclass(frozen=True)
class Frame:
    """The asked month and today, turned into the numbers the key query compares with."""

    month: dt.date
    today: dt.date
    #: First days of the months the policy's periods reach, latest first: bit i of a
    #: key's contact flags is months[i].
    months: tuple[dt.date, ...]
    #: Months the periods cannot tell apart, as (bits of `months`, one of them); a
    #: contact in any of them is as good as one in another.
    alike: tuple[tuple[int, dt.date], ...]
    #: Every period end (and previous period end), ascending: the registration buckets.
    bounds: tuple[dt.date, ...]

    @classmethod
    def of(cls, month: dt.date, today: dt.date, frequencies: Iterable[Frequency]) -> Frame:
        spans = [periods(f, month) for f in set(frequencies) if f is not Frequency.NONE]
        if not spans:
            return cls(month_start(month), today, (), (), ())
        last = max(s[1] for s in spans)
        count = _month_index(last) - _month_index(min(s[2] for s in spans)) + 1
        months = tuple(add_months(last, -i) for i in range(count))
        # A month's signature: which current and previous periods it falls in.
        signatures: dict[tuple[bool, ...], list[int]] = {}
        for i, m in enumerate(months):
            sig = tuple(s[a] <= m <= s[b] for s in spans for a, b in ((0, 1), (2, 3)))
            signatures.setdefault(sig, []).append(i)
        return cls(
            month_start(month),
            today,
            months,
            tuple((sum(1 << i for i in bits), months[bits[0]]) for bits in signatures.values()),
            tuple(sorted({d for s in spans for d in (s[1], s[3])})),
        )

    def key_sql(self) -> tuple[str, dict[str, int]]:
        """SQL for a person's key over policy_facts, and its named parameters."""
        buckets = "0"
        if self.bounds:
            whens = " ".join(f"WHEN registered <= :b{i} THEN {i}" for i in range(len(self.bounds)))
            buckets = f"CASE {whens} ELSE {len(self.bounds)} END"
        sql = f"""class_id
            | ((birth <= :aged_by) << {_AGED})
            | (({buckets}) << {_BUCKET})
            | (((CASE WHEN birth > :child_by
                     THEN check_mask >> (coalesce(check_month, 0) - :window_end)
                     ELSE visit_mask >> (coalesce(visit_month, 0) - :window_end) END)
                & {(1 << len(self.months)) - 1}) << {_FLAGS})"""
        params = {
            "aged_by": _born_by(self.today, ADVANCED_AGE),
            "child_by": self.child_cut,
            "window_end": _month_index(self.months[0]) if self.months else 0,
            **{f"b{i}": _number(b) for i, b in enumerate(self.bounds)},
        }
        return sql, params

    @property
    def child_cut(self) -> int:
        return _born_by(self.today, CHILD_AGE_LIMIT)

    def situation(self, key: int) -> tuple[int, bool, int, tuple[dt.date, ...]]:
        """What the policy can see of a key: class, 80+, registration bucket, contacts."""
        flags = key >> _FLAGS
        contacts = tuple(m for bits, m in self.alike if flags & bits)
        return key & 0xFFFFFFFF, bool(key >> _AGED & 1), key >> _BUCKET & 0xF, contacts

    def registered(self, bucket: int) -> dt.date:
        """A registration day that falls in `bucket`."""
        if bucket < len(self.bounds):
            return self.bounds[bucket]
        return self.bounds[-1] + dt.timedelta(days=1) if self.bounds else self.month


@dataclass
class Standings:
    """The month's report, and which keys are due and overdue (for the work list)."""

    frame: Frame
    report: MonthReport
    due: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)


#: What one policy_classes row stands for: stored categories, status, latest ADL level.
PolicyClass = tuple[frozenset[Category], PersonStatus, DependencyLevel | None]


def classes(
    store: Store,
) -> dict[int, PolicyClass]:
    by_code = {c.value: c for c in Category}
    return {
        cid: (
            frozenset(by_code[c] for c in json.loads(cats)),
            PersonStatus(status),
            DependencyLevel(level) if level else None,
        )
        for cid, cats, status, level in store.db.execute(
            "SELECT id, categories, status, level FROM policy_classes"
        )
    }


def month(
    store: Store,
    month: dt.date,
    today: dt.date,
    policy: Mapping[Category, Frequency],
    village_code: str | None = None,
) -> Standings:
    """Coverage in `month` of everyone (or one village's people) as they are on `today`."""
    frame = Frame.of(month, today, policy.values())
    key, params = frame.key_sql()
    # One string of keys rather than 50,000 rows: handing rows to Python costs more than
    # working the keys out, and SQLite's GROUP BY sorts every row.
    sql = f"SELECT group_concat({key}) FROM policy_facts"
    if village_code is not None:
        sql += " WHERE village_code = :village"
    (keys,) = store.db.execute(sql, {**params, "village": village_code}).fetchone()
    counts = Counter(keys.split(",") if keys else ())
    return judge(classes(store), frame, {int(k): n for k, n in counts.items()}, policy)


def by_village(
    store: Store, month: dt.date, today: dt.date, policy: Mapping[Category, Frequency]
) -> dict[str, Standings]:
    """`month` for every village at once: one pass over the people."""
    frame = Frame.of(month, today, policy.values())
    key, params = frame.key_sql()
    counts: dict[str, Counter[int]] = {}
    rows = store.db.execute(f"SELECT village_code, {key} FROM policy_facts", params)
    for village, k in rows:
        counts.setdefault(village, Counter())[k] += 1
    known = classes(store)
    return {code: judge(known, frame, c, policy) for code, c in counts.items()}


def judge(
    known: Mapping[int, PolicyClass],
    frame: Frame,
    counts: Mapping[int, int],
    policy: Mapping[Category, Frequency],
) -> Standings:
    """Apply the policy once per situation and count each situation's people in."""
    # Keys that differ only in what the policy cannot see (the ADL level of someone it
    # does not make 失能, months it treats alike) share one situation.
    looks: dict[tuple[int, bool], tuple[frozenset[Category], PersonStatus]] = {}
    situations: dict[tuple[frozenset[Category], PersonStatus, int, tuple[dt.date, ...]], list[int]]
    situations = {}
    for key in counts:
        class_id, aged, bucket, contacts = frame.situation(key)
        look = looks.get((class_id, aged))
        if look is None:
            stored, status, level = known[class_id]
            # derived_categories asks for an age; the key knows only which side of 80.
            derived = derived_categories(ADVANCED_AGE if aged else 0, level)
            look = looks[class_id, aged] = (stored | derived, status)
        situations.setdefault((*look, bucket, contacts), []).append(key)
    result = Standings(frame, MonthReport(month=frame.month, standings=[]))
    spans = {freq: periods(freq, frame.month) for freq in Frequency}
    for (categories, status, bucket, contacts), members in situations.items():
        subject = Subject(
            person_id=str(members[0]),
            village_code="",
            categories=categories,
            status=status,
            registered_on=frame.registered(bucket),
            contacts=contacts,
            count=sum(counts[k] for k in members),
        )
        st = standing(subject, frame.month, policy, spans)
        result.report.add(st, policy)
        if st.due:
            result.due += members
            if st.overdue:
                result.overdue += members
    return result


def work_list(
    store: Store,
    standings: Standings,
    limit: int = -1,
    village_code: str | None = None,
) -> list[WorkItem]:
    """The due people, most urgent first (see `WorkItem`), at most `limit` of them."""
    frame = standings.frame
    key, params = frame.key_sql()
    end = add_months(frame.month, 1) - dt.timedelta(days=1)
    sql = f"""
        SELECT person_id, k IN (SELECT value FROM json_each(:overdue)) AS overdue,
            high_risk, urgent, (:today - birth) / 10000 AS age,
            CASE WHEN last <= :end THEN last ELSE (
                SELECT CAST(replace(max(last_day), '-', '') AS INTEGER) FROM contact_months c
                WHERE c.person_id = f.person_id AND c.kind = f.kind AND c.last_day <= :end_day)
            END AS last
        FROM (
            SELECT person_id, high_risk, urgent, birth, ({key}) AS k,
                CASE WHEN birth > :child_by THEN check_last ELSE visit_last END AS last,
                CASE WHEN birth > :child_by THEN 'check' ELSE 'visit' END AS kind
            FROM policy_facts
            -- Whoever was contacted in the asked month is not due (it lies in every
            -- period); only the rest pay for working out their key.
            WHERE (CASE WHEN birth > :child_by THEN check_month ELSE visit_month END)
                IS NOT :month {"AND village_code = :village" if village_code else ""}
            -- LIMIT makes this a co-routine, so each key is worked out once, not per use.
            LIMIT -1
        ) f
        WHERE k IN (SELECT value FROM json_each(:due))
        ORDER BY overdue DESC, high_risk DESC, urgent DESC, age DESC, last
        LIMIT :limit
    """
    args = {
        **params,
        "overdue": json.dumps(standings.overdue),
        "due": json.dumps(standings.due),
        "today": _number(frame.today),
        "end": _number(end),
        "end_day": end.isoformat(),
        "month": _month_index(frame.month),
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
        )
        for pid, overdue, risky, urgent, age, last in store.db.execute(sql, args)
    ]


def high_risk(store: Store, today: dt.date) -> list[str]:
    """Children whose most recent check was rated high risk."""
    rows = store.db.execute(
        "SELECT person_id FROM policy_facts WHERE high_risk AND birth > ?",
        [_born_by(today, CHILD_AGE_LIMIT)],
    )
    return sorted(pid for (pid,) in rows)
