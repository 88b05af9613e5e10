"""The visit policy: who counts in a period's visit rate, and who is due.

The rules, in the words the README gives them (章程 a township can sign):

* Two rates, never mixed. 月探访率 counts the people in a *monthly* category over a calendar
  month; 季度探访率 counts the people in a *quarterly* category over a calendar quarter.
* A person's state on a day (在册/迁出/已故, their categories) is what it was on that day:
  each change carries the day it took effect (`PersonEvent`), so closing a case never
  changes a past period.
* Required (应访): someone in a category of the rate on every day of the period (registered,
  在册, holding the category from the first day to the last). Someone who joins or leaves
  during the period (registered, moved, died, category added or removed) counts only if
  contacted in it: no penalty and no free pass.
* Ages are judged on the first day of the period: 留守儿童 under 16, other child categories
  under 18 (configurable per category); 高龄 from 80; adults and children are told apart by
  age 18 on that day.
* 失能/半失能 come from the latest ADL (Barthel) assessment made on or before the first day,
  only from age 60 and only while it is valid (12 months by default). This follows MZ/T
  039-2013 《老年人能力评估》 and GB/T 42195-2022 《老年人能力评估规范》: both assess people
  aged 60 and over, and a reassessment is due at the latest a year after the last one.
* Which record kinds satisfy a category is policy data; by default a visit (any mode) or a
  child check of the person satisfies every category the person has.
* A contact entered after its month was closed (补录) is counted separately: it never turns
  a reported figure, but shows next to it. 补录 counts only people required all month (the
  month's 应访), so it can never exceed the gap 应访 − 已访; someone who joined or left in
  the month and was contacted only by a 补录 entry is kept apart (`Tally.late_joined`) and
  shows only in today's figure (现).

Everything here is plain Python over one person at a time; `db.standings` counts 50,000
people in SQL by judging each distinct situation once with these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from civtui.domain.choices import (
    CHILD_CATEGORIES,
    Category,
    DependencyLevel,
    Frequency,
    PersonStatus,
)
from civtui.i18n import said

#: Default frequencies: monthly for every key category (重点对象月探访率 100%).
DEFAULT_POLICY: Mapping[Category, Frequency] = dict.fromkeys(Category, Frequency.MONTHLY)

Kind = Literal["visit", "check"]
KINDS: tuple[Kind, ...] = ("visit", "check")
Group = Literal["adult", "child"]
GROUPS: tuple[Group, ...] = ("adult", "child")
#: The rates there are, in the order they are shown.
RATES: tuple[Frequency, ...] = (Frequency.MONTHLY, Frequency.QUARTERLY)

#: Under this age on the period's first day a child category still applies (国发〔2016〕13号:
#: 留守儿童 are under 16; the other child categories are minors, under 18).
DEFAULT_AGE_LIMITS: Mapping[Category, int] = {
    **dict.fromkeys(CHILD_CATEGORIES, 18),
    Category.LEFT_BEHIND: 16,
}

#: An ADL assessment older than this many months no longer says how dependent someone is:
#: the elder is listed for a new one (能力评估结果有效期一年).
ASSESSMENT_VALID_MONTHS = 12
#: Adults and children are told apart by this age on the period's first day.
CHILD_AGE = 18
#: 高龄 from this age.
ADVANCED_AGE = 80
#: 失能/半失能 apply from this age (MZ/T 039-2013 and GB/T 42195-2022 assess people aged 60+).
ADL_MIN_AGE = 60
#: The ADL levels that give a category (失能, 半失能). When the assessment that gave one
#: expires, the category stops counting and the person is due a new one (待复评).
DEPENDENT_LEVELS: frozenset[DependencyLevel] = frozenset(
    {DependencyLevel.SEVERE, DependencyLevel.MODERATE}
)


def day_number(day: dt.date) -> int:
    """`day` as the integer YYYYMMDD: compares like the date, and is how the store keeps days."""
    return day.year * 10000 + day.month * 100 + day.day


def born_by(day: dt.date, years: int) -> int:
    """YYYYMMDD of the last birthday that makes someone `years` old on `day`.

    Compared as numbers, so 29 February needs no special case."""
    return (day.year - years) * 10000 + day.month * 100 + day.day


@dataclass(frozen=True)
class Reassessment:
    """Who is due a new ADL assessment (待复评) on a day, as bounds a query compares with:
    在册 (`status`), born on or before `born_by` (YYYYMMDD: old enough for ADL levels), and
    whose latest assessment gave one of `levels` and was made on or before `made_by` (it
    has expired). `Rules.reassessment` makes one; the work list and the 待跟进 list both
    bind it, so the rule is written here alone."""

    made_by: dt.date
    born_by: int
    levels: frozenset[DependencyLevel] = DEPENDENT_LEVELS
    status: PersonStatus = PersonStatus.ACTIVE


@dataclass(frozen=True)
class Rules:
    """The policy as data: frequencies and the rules the township sets beside them."""

    frequencies: Mapping[Category, Frequency] = field(default_factory=lambda: DEFAULT_POLICY)
    age_limits: Mapping[Category, int] = field(default_factory=lambda: DEFAULT_AGE_LIMITS)
    #: Record kinds that satisfy each category; a category not listed takes every kind.
    contact_kinds: Mapping[Category, frozenset[Kind]] = field(default_factory=dict)
    adl_valid_months: int = ASSESSMENT_VALID_MONTHS
    adl_min_age: int = ADL_MIN_AGE
    advanced_age: int = ADVANCED_AGE
    child_age: int = CHILD_AGE

    def kinds(self, category: Category) -> frozenset[Kind]:
        return self.contact_kinds.get(category, frozenset(KINDS))

    def frequency(self, category: Category) -> Frequency:
        return self.frequencies.get(category, Frequency.NONE)

    def adl_expired_by(self, day: dt.date) -> dt.date:
        """An assessment made on or before the day returned no longer holds on `day`."""
        return months_before(day, self.adl_valid_months)

    def reassessment(self, day: dt.date) -> Reassessment:
        """Who is due a new assessment on `day` (see `Reassessment`)."""
        return Reassessment(self.adl_expired_by(day), born_by(day, self.adl_min_age))

    def derived(self, age: int, level: DependencyLevel | None) -> frozenset[Category]:
        """The categories worked out, not stored: 高龄 from age, 失能/半失能 from the ADL
        level in force (only from `adl_min_age`)."""
        cats = set()
        if age >= self.advanced_age:
            cats.add(Category.ADVANCED_AGE)
        if age >= self.adl_min_age:
            if level is DependencyLevel.SEVERE:
                cats.add(Category.DISABLED)
            elif level is DependencyLevel.MODERATE:
                cats.add(Category.SEMI_DISABLED)
        return frozenset(cats)

    @property
    def thresholds(self) -> tuple[int, ...]:
        """Every age at which some rule changes, ascending."""
        ages = {*self.age_limits.values(), self.adl_min_age, self.advanced_age, self.child_age}
        return tuple(sorted(ages))

    @classmethod
    def from_data(cls, frequencies: Mapping[Category, Frequency], data: Mapping[str, str]) -> Rules:
        """Rules from the township's policy records (name → value); unknown names are kept
        out rather than failing, so an older laptop reads a newer server's policy."""
        limits = dict(DEFAULT_AGE_LIMITS)
        kinds: dict[Category, frozenset[Kind]] = {}
        numbers: dict[str, int] = {}
        for name, value in data.items():
            head, _, tail = name.partition(".")
            if head == "age_limit" and tail:
                limits[Category.parse(tail)] = int(value)
            elif head == "contact_kinds" and tail:
                chosen = frozenset(k for k in KINDS if k in value.split(","))
                kinds[Category.parse(tail)] = chosen
            elif name in ("adl_valid_months", "adl_min_age"):
                numbers[name] = int(value)
        return cls(
            frequencies={**DEFAULT_POLICY, **frequencies},
            age_limits=limits,
            contact_kinds=kinds,
            **numbers,
        )

    @staticmethod
    def check(name: str, value: str) -> tuple[str, str]:
        """Rule `name` and its value as stored (category codes, not labels), or ValueError
        saying why it cannot be set."""
        head, _, tail = name.partition(".")
        if head in ("age_limit", "contact_kinds") and tail:
            category = Category.parse(tail)
            if head == "age_limit":
                if not value.isdigit() or not 0 < int(value) <= 120:
                    raise ValueError(said("rule.bad_age", name=name, value=value))
                return f"{head}.{category.value}", str(int(value))
            kinds = [k.strip() for k in value.split(",") if k.strip()]
            if not kinds or any(k not in KINDS for k in kinds):
                raise ValueError(said("rule.bad_kinds", name=name, value=value))
            return f"{head}.{category.value}", ",".join(k for k in KINDS if k in kinds)
        if name in ("adl_valid_months", "adl_min_age"):
            if not value.isdigit() or not 0 < int(value) <= 120:
                raise ValueError(said("rule.bad_number", name=name, value=value))
            return name, str(int(value))
        raise ValueError(said("rule.unknown", name=name))


DEFAULT_RULES = Rules()


def in_force(
    value: str, since: dt.date | None, earlier: Iterable[Mapping[str, str]], month: dt.date
) -> str:
    """The value a township's policy row has in `month`: `value` from `since` on (always when
    None), before that the first of `earlier` (oldest first, each held until the month
    in its "until") that had not yet ended. A change never reaches back before its month."""
    first = month.replace(day=1)
    if since is None or first >= since:
        return value
    for step in earlier:
        if first < dt.date.fromisoformat(step["until"]):
            return step["value"]
    return value


def later_steps(
    old_value: str, old_since: dt.date | None, old_earlier: list[dict[str, str]], since: dt.date
) -> list[dict[str, str]]:
    """The `earlier` list of a value set from `since`, over a row that held `old_value` from
    `old_since` (the built-in default, with no history, when the row was never set). A change
    from the same month replaces that month's value; one before it is refused (ValueError):
    months already under the newer value are not rewritten."""
    if old_since is not None and since < old_since:
        raise ValueError(f"已有自{old_since:%Y-%m}起生效的设定，不能改为更早的{since:%Y-%m}起")
    if old_since == since:
        return list(old_earlier)
    return [*old_earlier, {"until": since.isoformat(), "value": old_value}]


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the month's last day when it is shorter)."""
    first = add_months(day, -months)
    last = add_months(first, 1) - dt.timedelta(days=1)
    return first.replace(day=min(day.day, last.day))


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    return months_before(day, -months)


def period(frequency: Frequency, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period of `frequency` (month or quarter) containing `day`."""
    if frequency is Frequency.QUARTERLY:
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, add_months(start, 3) - dt.timedelta(days=1)
    start = month_start(day)
    return start, add_months(start, 1) - dt.timedelta(days=1)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Contact:
    """A visit or child check of the person; `late` when entered after its month closed."""

    day: dt.date
    kind: Kind
    late: bool = False


@dataclass(frozen=True)
class History:
    """What the policy needs to know about one person, over time."""

    person_id: str
    village_code: str
    birth: dt.date
    registered_on: dt.date
    #: The person's status and stored categories now.
    status: PersonStatus
    categories: frozenset[Category]
    #: Dated status changes: (day it took effect, status before that day).
    status_changes: tuple[tuple[dt.date, PersonStatus], ...] = ()
    #: Dated category changes: (day it took effect, category, held from that day).
    category_changes: tuple[tuple[dt.date, Category, bool], ...] = ()
    #: ADL assessments in the order they were made (day, then as written).
    assessments: tuple[tuple[dt.date, DependencyLevel], ...] = ()
    contacts: tuple[Contact, ...] = ()
    #: How many people stand exactly like this (the store judges alike people once).
    count: int = 1
    #: Ages on given days, for a stand-in of many people whose birthdays differ.
    ages: tuple[tuple[dt.date, int], ...] = ()

    def age_on(self, day: dt.date) -> int:
        for known, age in self.ages:
            if known == day:
                return age
        return age_on(self.birth, day)

    def state_on(self, day: dt.date) -> tuple[PersonStatus, frozenset[Category]]:
        """Status and stored categories on `day`: what they are now, unless a change dated
        after `day` says what they were before it."""
        status = self.status
        later = [(d, before) for d, before in self.status_changes if d > day]
        if later:
            status = min(later, key=lambda c: c[0])[1]
        cats = set(self.categories)
        first: dict[Category, tuple[dt.date, bool]] = {}
        for d, category, held in self.category_changes:
            if d > day and (category not in first or d < first[category][0]):
                first[category] = (d, held)
        for category, (_, held) in first.items():
            if held:
                cats.discard(category)
            else:
                cats.add(category)
        return status, frozenset(cats)

    def level_on(self, day: dt.date, rules: Rules) -> DependencyLevel | None:
        """The latest assessment made on or before `day`, while it is still valid."""
        made = [(d, level) for d, level in self.assessments if d <= day]
        if not made:
            return None
        latest_day = max(d for d, _ in made)
        level = [level for d, level in made if d == latest_day][-1]
        if latest_day <= rules.adl_expired_by(day):
            return None
        return level

    def categories_on(self, day: dt.date, start: dt.date, rules: Rules) -> frozenset[Category]:
        """The categories that put the person in scope on `day`, ages judged on `start`."""
        status, stored = self.state_on(day)
        if day < self.registered_on or status is not PersonStatus.ACTIVE:
            return frozenset()
        age = self.age_on(start)
        cats = {c for c in stored if c not in rules.age_limits or age < rules.age_limits[c]}
        level = self.level_on(start, rules) if age >= rules.adl_min_age else None
        return frozenset(cats) | rules.derived(age, level)

    def change_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Days after `start` and up to `end` on which the state may change."""
        days = {d for d, _ in self.status_changes} | {d for d, _, _ in self.category_changes}
        days.add(self.registered_on)
        return sorted(d for d in days if start < d <= end)


@dataclass
class Tally:
    """Counted in (应访), contacted in time (已访), required all period and contacted only by
    a 补录 entry (补录), and joined or left in the period and contacted only by a 补录 entry."""

    required: int = 0
    contacted: int = 0
    late: int = 0
    late_joined: int = 0

    @property
    def now(self) -> tuple[int, int]:
        """(应访, 已访) as today's records give them, 补录 entries included (现)."""
        return self.required + self.late_joined, self.contacted + self.late + self.late_joined

    @property
    def rate(self) -> float | None:
        """None when nobody is required: no rate, rather than a misleading 0% or 100%."""
        return self.contacted / self.required if self.required else None

    def add(self, counted: bool, contacted: bool, late: bool, n: int = 1) -> None:
        """One judged person (`n` alike): `counted` in 应访 on the figures as reported;
        `late` contacted only by 补录 — counted in 补录 when in 应访, apart when not."""
        if counted:
            self.required += n
            self.contacted += n * contacted
            self.late += n * late
        elif late:
            self.late_joined += n

    def __iadd__(self, other: Tally) -> Tally:
        self.required += other.required
        self.contacted += other.contacted
        self.late += other.late
        self.late_joined += other.late_joined
        return self


@dataclass(frozen=True)
class Judgement:
    """One person in one period of one rate."""

    group: Group
    #: Counted in the rate: required, or joined/left during the period and contacted in
    #: time (a 补录 entry alone does not bring someone into the reported 应访).
    counted: bool
    #: In scope on every day of the period.
    required: bool
    contacted: bool
    late: bool
    #: The same per category: (counted, contacted, contacted only by 补录).
    by_category: Mapping[Category, tuple[bool, bool, bool]]

    @property
    def due(self) -> bool:
        """Required and not yet contacted (a 补录 entry is a contact for this)."""
        return self.required and not self.contacted and not self.late


def judge(
    history: History, frequency: Frequency, start: dt.date, end: dt.date, rules: Rules
) -> Judgement | None:
    """Where `history` stands in the period [start, end] of the rate for `frequency`;
    None when the person is never in scope in it."""
    days = [start, *history.change_days(start, end)]
    held = [
        {c for c in history.categories_on(d, start, rules) if rules.frequency(c) is frequency}
        for d in days
    ]
    ever = set().union(*held)
    if not ever:
        return None
    always = set.intersection(*held)
    in_time = {c.kind for c in history.contacts if start <= c.day <= end and not c.late}
    late = {c.kind for c in history.contacts if start <= c.day <= end and c.late}
    by_category = {}
    for category in ever:
        kinds = rules.kinds(category)
        got = bool(in_time & kinds)
        got_late = not got and bool(late & kinds)
        by_category[category] = (category in always or got, got, got_late)
    contacted = all(got for _, got, _ in by_category.values())
    late_only = not contacted and all(got or was_late for _, got, was_late in by_category.values())
    required = all(held)
    group: Group = "child" if history.age_on(start) < rules.child_age else "adult"
    return Judgement(
        group=group,
        counted=required or contacted,
        required=required,
        contacted=contacted,
        late=late_only,
        by_category=by_category,
    )


@dataclass
class RateReport:
    """One rate over one period: per group (成人/儿童) and per category within a group."""

    frequency: Frequency
    start: dt.date
    end: dt.date
    groups: dict[Group, Tally] = field(default_factory=lambda: {g: Tally() for g in GROUPS})
    by_category: dict[tuple[Group, Category], Tally] = field(default_factory=dict)

    @property
    def total(self) -> Tally:
        """合计: adults and children added up, nothing else."""
        total = Tally()
        for tally in self.groups.values():
            total += tally
        return total

    def add(self, j: Judgement, n: int = 1) -> None:
        self.groups[j.group].add(j.counted, j.contacted, j.late, n)
        for category, (counted, contacted, late) in j.by_category.items():
            self.by_category.setdefault((j.group, category), Tally()).add(
                counted, contacted, late, n
            )

    def categories(self, group: Group) -> list[tuple[Category, Tally]]:
        order = list(Category)
        found = [
            (c, t)
            for (g, c), t in self.by_category.items()
            if g == group and (t.required or t.late_joined)
        ]
        return sorted(found, key=lambda ct: order.index(ct[0]))


@dataclass(frozen=True)
class Due:
    """Whether a person is due in the periods containing a day, and overdue."""

    due: bool
    overdue: bool


def due(history: History, day: dt.date, rules: Rules) -> Due:
    """Due: required in the month (monthly categories) or the quarter (quarterly ones)
    containing `day` and not contacted in it. Overdue: due, and also required and not
    contacted in the period before."""
    is_due = overdue = False
    for frequency in RATES:
        start, end = period(frequency, day)
        now = judge(history, frequency, start, end, rules)
        if now is None or not now.due:
            continue
        is_due = True
        prev_start, prev_end = period(frequency, start - dt.timedelta(days=1))
        before = judge(history, frequency, prev_start, prev_end, rules)
        overdue = overdue or (before is not None and before.due)
    return Due(is_due, overdue)
