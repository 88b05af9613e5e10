"""The visit policy: who must be visited in a month, who still is due, who is overdue.

A person's categories set how often they must be contacted (the most frequent
category wins). Adults and elders are contacted by a visit, children by a child
check. Inside a period (a calendar month, or a quarter for quarterly
categories) a person is *required*; until a contact is recorded in that period
they are *due*; a due person who was also required and missed in the previous
period is *overdue*. Coverage is contacted ÷ required.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from civtui.domain.choices import Category, Frequency, PersonStatus

#: Default policy: monthly for every key category (重点对象月探访率 100%).
DEFAULT_POLICY: Mapping[Category, Frequency] = dict.fromkeys(Category, Frequency.MONTHLY)

#: An ADL assessment older than this many months no longer says how dependent someone is:
#: the elder is listed for a new one (能力评估结果有效期一年).
ASSESSMENT_VALID_MONTHS = 12

_RANK = {Frequency.MONTHLY: 0, Frequency.QUARTERLY: 1, Frequency.NONE: 2}


@dataclass(frozen=True)
class Subject:
    """What the policy needs to know about one person."""

    person_id: str
    village_code: str
    categories: frozenset[Category]
    status: PersonStatus
    registered_on: dt.date
    #: Dates of the contacts that count for this person (visits, or child checks for a child).
    #: The store may give only the first day of each month with a contact, for the months
    #: around the one asked about: that is all the periods need.
    contacts: tuple[dt.date, ...] = ()
    #: The last contact, when `contacts` does not reach back to it.
    last_contact: dt.date | None = None
    #: How many people stand exactly like this. The store counts alike people together
    #: (person_id then names the group) so the policy is applied once per group.
    count: int = 1


@dataclass(frozen=True)
class Standing:
    """One person's position in the period that contains the month asked about."""

    subject: Subject
    frequency: Frequency
    required: bool
    contacted: bool
    overdue: bool
    last_contact: dt.date | None

    @property
    def due(self) -> bool:
        return self.required and not self.contacted


@dataclass
class Coverage:
    """Contacted ÷ required, for one category or for everyone."""

    required: int = 0
    contacted: int = 0

    @property
    def rate(self) -> float | None:
        """None when nobody is required: no rate, rather than a misleading 0% or 100%."""
        return self.contacted / self.required if self.required else None


@dataclass
class MonthReport:
    """The policy's answer for a set of people and a month."""

    month: dt.date
    standings: list[Standing]
    overall: Coverage = field(default_factory=Coverage)
    by_category: dict[Category, Coverage] = field(default_factory=dict)

    @property
    def due(self) -> list[Standing]:
        return [s for s in self.standings if s.due]

    @property
    def overdue(self) -> list[Standing]:
        return [s for s in self.standings if s.overdue]

    @property
    def due_count(self) -> int:
        return sum(s.subject.count for s in self.standings if s.due)

    @property
    def overdue_count(self) -> int:
        return sum(s.subject.count for s in self.standings if s.overdue)

    def add(self, st: Standing, policy: Mapping[Category, Frequency]) -> None:
        """Count one standing (of `st.subject.count` people) in, if the policy requires it."""
        if not st.required:
            return
        self.standings.append(st)
        n = st.subject.count
        self.overall.required += n
        self.overall.contacted += n * st.contacted
        for category in st.subject.categories:
            if policy.get(category, Frequency.NONE) is Frequency.NONE:
                continue
            cov = self.by_category.setdefault(category, Coverage())
            cov.required += n
            cov.contacted += n * st.contacted


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period(frequency: Frequency, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the period of `frequency` that contains `day`."""
    if frequency is Frequency.QUARTERLY:
        start = dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return start, add_months(start, 3) - dt.timedelta(days=1)
    start = month_start(day)
    return start, add_months(start, 1) - dt.timedelta(days=1)


def frequency_for(
    categories: Iterable[Category], policy: Mapping[Category, Frequency]
) -> Frequency:
    """The most demanding frequency among the person's categories."""
    best = Frequency.NONE
    for category in categories:
        freq = policy.get(category, Frequency.NONE)
        if _RANK[freq] < _RANK[best]:
            best = freq
    return best


def periods(freq: Frequency, month: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """Start and end of the period of `freq` containing `month`, and of the one before."""
    start, end = period(freq, month_start(month))
    prev_start, prev_end = period(freq, start - dt.timedelta(days=1))
    return start, end, prev_start, prev_end


def standing(
    subject: Subject,
    month: dt.date,
    policy: Mapping[Category, Frequency],
    spans: Mapping[Frequency, tuple[dt.date, dt.date, dt.date, dt.date]] | None = None,
) -> Standing:
    """Where `subject` stands in the period containing `month`.

    `spans` may hold each frequency's `periods`, worked out once for a whole report
    instead of once per person.
    """
    freq = frequency_for(subject.categories, policy)
    if spans is not None:
        start, end, prev_start, prev_end = spans[freq]
    else:
        start, end, prev_start, prev_end = periods(freq, month)
    active = subject.status is PersonStatus.ACTIVE and freq is not Frequency.NONE
    required = active and subject.registered_on <= end
    contacted = any(start <= d <= end for d in subject.contacts)
    missed_previous = (
        active
        and subject.registered_on <= prev_end
        and not any(prev_start <= d <= prev_end for d in subject.contacts)
    )
    if subject.last_contact is not None:
        last: dt.date | None = subject.last_contact
    else:
        past = [d for d in subject.contacts if d <= end]
        last = max(past) if past else None
    return Standing(
        subject=subject,
        frequency=freq,
        required=required,
        contacted=required and contacted,
        overdue=required and not contacted and missed_previous,
        last_contact=last,
    )


def month_report(
    subjects: Iterable[Subject],
    month: dt.date,
    policy: Mapping[Category, Frequency] = DEFAULT_POLICY,
) -> MonthReport:
    """Standing of every subject in `month`, and coverage overall and per category."""
    report = MonthReport(month=month_start(month), standings=[])
    spans = {freq: periods(freq, month) for freq in Frequency}
    for subject in subjects:
        report.add(standing(subject, month, policy, spans), policy)
    return report
