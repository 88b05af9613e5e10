"""Reports for the township: coverage per village and category, and 政策找人 hints."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import Any

from civtui.domain.choices import (
    CHILD_CATEGORIES,
    Category,
    EconomicStatus,
    Frequency,
    GuardianSituation,
    PersonStatus,
)
from civtui.domain.models import ELDER_AGE, ChildCheck, Household, MonthClose, Person
from civtui.domain.policy import (
    DEFAULT_AGE_LIMITS,
    GROUPS,
    RATES,
    Group,
    RateReport,
    Tally,
    add_months,
)
from civtui.i18n import Said, said
from db import Store, queries, standings
from db.connection import OperationalError
from db.standings import Standings


@dataclass(frozen=True)
class CoverageRow:
    """One line of a coverage table. Per village and rate: 合计 (group and category None),
    then 成人 and 儿童 (group set, category None) which add up to it, then each category
    within a group."""

    village_code: str
    village: str
    rate_kind: Frequency  # MONTHLY: 月探访率, QUARTERLY: 季度探访率
    group: Group | None
    category: Category | None
    required: int
    contacted: int
    #: Required all period and contacted only by an entry made after the month was closed
    #: (补录), shown beside the rate, never in it: at most required − contacted.
    late: int = 0
    #: Joined or left in the period and contacted only by 补录: in 现, not in 应访.
    late_joined: int = 0
    #: A closed month: required and contacted are its report's (月报), as kept.
    closed: bool = False
    #: A closed month: (required, contacted) as today's records count it, 补录 included —
    #: a change dated back into the month or a late entry shows here, never in the report.
    now: tuple[int, int] | None = None
    #: A closed month: a row today's records have that its report never had (a category
    #: someone was given later, dated back): its report figures are none, only 现 holds.
    only_now: bool = False

    @property
    def changed_since(self) -> bool:
        """A closed month whose figure today differs from its report."""
        return self.now is not None and self.now != (self.required, self.contacted)

    @property
    def rate(self) -> float | None:
        return self.contacted / self.required if self.required else None

    def as_json(self) -> dict[str, object]:
        """The row as `civtui report coverage --json` and the township's report give it."""
        return {
            "village_code": self.village_code,
            "village": self.village,
            "rate_kind": self.rate_kind.value,
            "group": self.group,
            "category": self.category.value if self.category else None,
            "required": self.required,
            "contacted": self.contacted,
            "rate": self.rate,
            "late": self.late,
            "closed": self.closed,
            "only_now": self.only_now,
            "now_required": self.now[0] if self.now else None,
            "now_contacted": self.now[1] if self.now else None,
        }

    def figure(self) -> dict[str, object]:
        """What a closed month keeps of this row."""
        return {
            "rate": self.rate_kind.value,
            "group": self.group,
            "category": self.category.value if self.category else None,
            "required": self.required,
            "contacted": self.contacted,
        }


def month_standings(store: Store, month: dt.date, today: dt.date) -> dict[str, Standings]:
    """Where each village's people stand against the visit rules in force in `month`."""
    rules = queries.rules(store, month)
    found = standings.by_village(store, month, today, rules)
    empty = standings.Standings(standings.Frame.of(month, today, rules))
    for f, s, e in empty.frame.current:
        empty.rates[f] = RateReport(f, s, e)
    return {code: found.get(code, empty) for code in queries.village_names(store)}


def coverage(store: Store, month: dt.date, today: dt.date) -> list[CoverageRow]:
    """Per village and rate: 合计, 成人, 儿童, then each category in each group. A closed
    month shows its report (月报) as kept, with today's 补录 counts beside it."""
    by_village = month_standings(store, month, today)
    return with_reports(store, month, coverage_rows(by_village, queries.village_names(store)))


def coverage_rows(by_village: dict[str, Standings], names: dict[str, str]) -> list[CoverageRow]:
    """`coverage` from standings already worked out (a ledger reads them once for all sheets)."""
    rows = []
    for code, village in by_village.items():
        for frequency in RATES:
            report = village.rate(frequency)
            if report is None:
                continue
            rows.append(
                CoverageRow(code, names[code], frequency, None, None, *_three(report.total))
            )
            for group in GROUPS:
                rows.append(
                    CoverageRow(
                        code, names[code], frequency, group, None, *_three(report.groups[group])
                    )
                )
            for group in GROUPS:
                for category, tally in report.categories(group):
                    rows.append(
                        CoverageRow(code, names[code], frequency, group, category, *_three(tally))
                    )
    return rows


def with_reports(store: Store, month: dt.date, rows: list[CoverageRow]) -> list[CoverageRow]:
    """`rows` as a closed month is shown: for each village that closed it, exactly the rows
    of its report (月报) in their kept order, each with today's figure (现) and 补录 beside
    it, then the rows only today's records have (`only_now`), listed apart. So a row the
    report kept never disappears, and no row it never had enters its subtotals."""
    kept: dict[str, list[dict[str, Any]]] = {}
    for closed in store.all(MonthClose, "month = ?", [month.replace(day=1).isoformat()]):
        kept[closed.village_code] = list(closed.figures)
    live: dict[str, list[CoverageRow]] = {}
    for row in rows:
        live.setdefault(row.village_code, []).append(row)
    result: list[CoverageRow] = []
    for code, mine in live.items():
        figures = kept.get(code)
        if figures is None:
            result += mine
            continue
        today = {_row_key(r): r for r in mine}
        name = mine[0].village
        for f in figures:
            key = (str(f["rate"]), f["group"], f["category"])
            now = today.pop(key, None)
            result.append(
                CoverageRow(
                    code,
                    name,
                    Frequency(key[0]),
                    _group(key[1]),
                    None if key[2] is None else Category(key[2]),
                    int(f["required"]),
                    int(f["contacted"]),
                    late=now.late if now else 0,
                    late_joined=now.late_joined if now else 0,
                    closed=True,
                    now=_now(now) if now else (0, 0),
                )
            )
        for row in mine:
            if _row_key(row) in today and _now(row) != (0, 0):
                result.append(
                    replace(row, required=0, contacted=0, closed=True, now=_now(row), only_now=True)
                )
    return result


def _row_key(row: CoverageRow) -> tuple[str, str | None, str | None]:
    return row.rate_kind.value, row.group, row.category.value if row.category else None


def _group(value: object) -> Group | None:
    for group in GROUPS:
        if value == group:
            return group
    return None


def _now(row: CoverageRow) -> tuple[int, int]:
    """(应访, 已访) today, 补录 included: Tally.now for a row."""
    joined = row.late_joined
    return row.required + joined, row.contacted + row.late + joined


def taken_at(store: Store, month: dt.date) -> dt.datetime | None:
    """When `month`'s first report here was taken; None while the month is open."""
    closes = store.all(MonthClose, "month = ?", [month.replace(day=1).isoformat()])
    return min((c.taken_at for c in closes), default=None)


def close_month(store: Store, month: dt.date, today: dt.date) -> list[MonthClose]:
    """Keep `month`'s figures for every village that has not closed it yet (月报): from now
    on a visit or check entered for that month is 补录. Returns the reports written."""
    first = month.replace(day=1)
    names = queries.village_names(store)
    if _closed(store, first) >= names.keys():
        return []
    rows = coverage_rows(month_standings(store, first, today), names)
    taken_at = store.clock.now().replace(microsecond=0)
    with store.transaction():
        # Asked again as the reports are written: another window of the app (a sync in
        # its worker) may have closed the month while the figures were being worked out,
        # and a report once written is never written over.
        done = _closed(store, first)
        written = [
            MonthClose(
                id=MonthClose.key(code, first),
                village_code=code,
                month=first,
                taken_at=taken_at,
                figures=[r.figure() for r in rows if r.village_code == code],
            )
            for code in sorted(names.keys() - done)
        ]
        store.save_many(written)
    return written


def _closed(store: Store, month: dt.date) -> set[str]:
    """Villages whose report for `month` this laptop holds, tombstones too: a report
    deleted on the server is not made again here."""
    rows = store.db.execute(
        "SELECT village_code FROM month_reports WHERE month = ?", [month.isoformat()]
    )
    return {str(code) for (code,) in rows}


#: How far back a laptop closes months it has not closed: one left in a drawer for two
#: years closes those two years when it is next opened, and no more.
CLOSE_MONTHS_BACK = 24


def close_past_months(store: Store, today: dt.date) -> list[MonthClose]:
    """Close every month that has ended and is not closed yet (月报). Called at app start,
    before each sync (so the reports reach the server) and by reports and exports: a month
    closes when it ends, whatever is done first after that. Idempotent."""
    written: list[MonthClose] = []
    for month in months_to_close(store, today):
        written += close_month(store, month, today)
    return written


def close_months(
    store: Store, today: dt.date, guard: AbstractContextManager[object] | None = None
) -> list[MonthClose]:
    """Close every ended month (`close_past_months`) on the way to something else (a sync,
    an export); none while the file is busy (a long import in another window), so whatever
    asked goes on. `guard` keeps two closers of one process (the app's start-up and its
    sync) from working it out twice."""
    with guard or nullcontext():
        try:
            return close_past_months(store, today)
        except OperationalError:
            return []


def months_to_close(store: Store, today: dt.date) -> list[dt.date]:
    """The ended months some village has not closed: from the month this profile was set
    up, and at most CLOSE_MONTHS_BACK back. Months before the profile existed were never
    seen here, so there are no figures "as they stood" to keep, and an old ledger imported
    later is not 补录. Two small queries: cheap enough for every start."""
    began = _profile_began(store)
    if began is None:
        return []
    villages = len(queries.village_names(store))
    start = max(began.replace(day=1), add_months(today, -CLOSE_MONTHS_BACK))
    end = today.replace(day=1)
    counts = dict(
        store.db.execute(
            "SELECT month, count(DISTINCT village_code) FROM month_reports "
            "WHERE month >= ? AND month < ? GROUP BY month",
            [start.isoformat(), end.isoformat()],
        ).fetchall()
    )
    months = []
    month = start
    while month < end:
        if counts.get(month.isoformat(), 0) < villages:
            months.append(month)
        month = add_months(month, 1)
    return months


def _profile_began(store: Store) -> dt.date | None:
    """The day this profile was set up (`civtui init`), or of its first change-log entry
    for a file made otherwise; None while it holds nothing."""
    text_ = store.get_meta("created_at")
    if text_ is None:
        row = store.db.execute("SELECT created_at FROM changes ORDER BY seq LIMIT 1").fetchone()
        text_ = None if row is None else str(row[0])
    return None if text_ is None else dt.date.fromisoformat(text_[:10])


def _three(tally: Tally) -> tuple[int, int, int, int]:
    return tally.required, tally.contacted, tally.late, tally.late_joined


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
    # The township's age limits, the same ones coverage and the person form apply.
    limits = queries.rules(store, today).age_limits
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
                said("hint.means", status=status),
            )
        if p.disability_grade in (1, 2):
            grade = p.disability_grade
            hint(
                p,
                Category.SEVERE_DISABILITY,
                said("hint.disability", grade=grade),
            )
        housemates = [m for m in members.get(p.household_id or "", []) if m.id != p.id]
        if age >= ELDER_AGE and p.household_id:
            if not housemates:
                hint(
                    p,
                    Category.LIVING_ALONE,
                    said("hint.alone", age=age),
                )
            elif all(m.age_on(today) >= ELDER_AGE for m in housemates):
                hint(
                    p,
                    Category.EMPTY_NEST,
                    said("hint.empty_nest", age=age),
                )
        check = latest_check.get(p.id)
        if check is not None and p.is_child(today):
            situation = check.guardian_situation
            day = check.check_date.isoformat()
            if situation is GuardianSituation.BOTH_AWAY and age < limits[Category.LEFT_BEHIND]:
                hint(
                    p,
                    Category.LEFT_BEHIND,
                    said("hint.both_away", day=day),
                )
            if situation is GuardianSituation.NONE and not (
                {Category.ORPHAN, Category.DE_FACTO_UNSUPPORTED} & set(p.categories)
            ):
                hint(
                    p,
                    Category.DE_FACTO_UNSUPPORTED,
                    said("hint.no_guardian", day=day),
                )
        for category in CHILD_CATEGORIES & set(p.categories):
            limit = limits.get(category, DEFAULT_AGE_LIMITS[category])
            if age >= limit:
                reason = said("hint.past_limit", age=age, limit=limit)
                hints.append(Hint(p, category, reason, True))
    return hints
