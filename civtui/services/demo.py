"""A synthetic demo profile: three island villages, their people and three months of work.

Every name is drawn from common surname and given-name characters, every ID
number is generated (valid check character, random sequence), every phone
number is made up: none belongs to a real person. The same seed and the same
`today` always give the same records.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from civtui.domain import resident_id
from civtui.domain.barthel import ITEMS
from civtui.domain.choices import (
    Category,
    Condition,
    EconomicStatus,
    GuardianSituation,
    Mood,
    NeedStatus,
    NeedType,
    ReferredTo,
    RiskFlag,
    RiskLevel,
    Role,
    SafetyHazard,
    SchoolStatus,
    Urgency,
    VisitMode,
)
from civtui.domain.clock import CHINA_TZ
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    ElderNeed,
    Household,
    Person,
    Record,
    Staff,
    Village,
    Visit,
    effective_categories,
)
from civtui.domain.policy import add_months, month_start

#: Island villages under real Zhoushan county codes; the village names are invented.
DEMO_VILLAGES = (
    ("330902112201", "海星村", "金塘镇"),  # 定海区
    ("330903103202", "渔港村", "虾峙镇"),  # 普陀区
    ("330922101203", "礁石村", "菜园镇"),  # 嵊泗县
)
SURNAMES = "王李张陈林周徐胡刘杨吴郑孙朱邬乐虞贺应竺沈蒋金夏何傅"
GIVEN = "国建海明华平伟芳英兰秀红丽军强波涛志勇敏静燕霞凤桂珍玉梅阿德福庆雪晨宇轩涵浩欣怡子睿佳"
DEFAULT_PERSONS = 320


@dataclass
class DemoData:
    """Everything the generator made, in the order the store must write it."""

    villages: list[Village] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    def all(self) -> list[Record]:
        return [*self.villages, *self.staff, *self.households, *self.persons, *self.records]


class _Maker:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.ctx = {"today": today}
        self.high_risk: set[str] = set()
        self.used_ids: set[str] = set()
        self.data = DemoData()

    # -- small pieces -------------------------------------------------------

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def name(self, surname: str | None = None) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2, 2))))
        return (surname or self.rng.choice(SURNAMES)) + given

    def birth(self, min_age: int, max_age: int) -> dt.date:
        days = self.rng.randint(min_age * 365 + 1, max_age * 365 + 300)
        return self.today - dt.timedelta(days=days)

    def id_number(self, village: Village, birth: dt.date, male: bool) -> str:
        while True:
            seq = self.rng.randrange(0, 999)
            if (seq % 2 == 1) != male:
                seq = (seq + 1) % 1000
            if seq == 0:
                # No office issues sequence 000; drawing again keeps the demo's other IDs.
                continue
            number = resident_id.make(village.county_code, birth, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number

    def mobile(self) -> str:
        return self.rng.choice(("139", "158", "187", "135")) + f"{self.rng.randrange(10**8):08d}"

    def landline(self) -> str:
        return f"0580-{self.rng.randrange(2000000, 8999999)}"

    def day_in(self, month: dt.date) -> dt.date:
        last = min(add_months(month, 1) - dt.timedelta(days=1), self.today)
        return month + dt.timedelta(days=self.rng.randint(0, (last - month).days))

    def at(self, day: dt.date, hour: int = 10) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, tzinfo=CHINA_TZ)

    # -- people -------------------------------------------------------------

    def person(
        self,
        village: Village,
        household: Household,
        *,
        ages: tuple[int, int],
        male: bool,
        categories: list[Category],
        surname: str | None = None,
        **extra: object,
    ) -> Person:
        birth = self.birth(*ages)
        registered = dt.date(self.today.year - 2, 1, 1) + dt.timedelta(days=self.rng.randrange(300))
        person = Person.model_validate(
            {
                "id": self.uid(),
                "village_code": village.id,
                "household_id": household.id,
                "name": self.name(surname),
                "id_number": self.id_number(village, birth, male),
                "address": household.address,
                "categories": categories,
                "registered_on": registered,
                **extra,
            },
            context=self.ctx,
        )
        self.data.persons.append(person)
        return person

    def household(self, village: Village, status: EconomicStatus) -> Household:
        road = self.rng.choice(("海滨路", "渔港路", "岙里", "山脚", "码头路", "后沙"))
        hh = Household(
            id=self.uid(),
            village_code=village.id,
            address=f"{village.name}{road}{self.rng.randint(1, 120)}号",
            economic_status=status,
        )
        self.data.households.append(hh)
        return hh

    def elder_alone(self, village: Village) -> None:
        status = self.rng.choice(
            [EconomicStatus.NONE] * 3 + [EconomicStatus.DIBAO, EconomicStatus.TEKUN]
        )
        hh = self.household(village, status)
        cats = [Category.LIVING_ALONE]
        if self.rng.random() < 0.3:
            cats.append(Category.CHILDLESS_WIDOWED)
        if status is EconomicStatus.DIBAO:
            cats.append(Category.DIBAO)
        if status is EconomicStatus.TEKUN:
            cats.append(Category.TEKUN)
        self.person(
            village,
            hh,
            ages=(66, 96),
            male=self.rng.random() < 0.4,
            categories=cats,
            phone=self.landline() if self.rng.random() < 0.5 else self.mobile(),
            emergency_contact_name=self.name(),
            emergency_contact_phone=self.mobile(),
        )

    def empty_nest(self, village: Village) -> None:
        hh = self.household(village, EconomicStatus.NONE)
        surname = self.rng.choice(SURNAMES)
        contact = {
            "emergency_contact_name": self.name(surname),
            "emergency_contact_phone": self.mobile(),
        }
        self.person(
            village,
            hh,
            ages=(62, 90),
            male=True,
            categories=[Category.EMPTY_NEST],
            surname=surname,
            phone=self.landline(),
            **contact,
        )
        self.person(
            village, hh, ages=(60, 88), male=False, categories=[Category.EMPTY_NEST], **contact
        )

    def left_behind(self, village: Village) -> None:
        hh = self.household(village, EconomicStatus.NONE)
        surname = self.rng.choice(SURNAMES)
        grandparent = self.person(
            village,
            hh,
            ages=(58, 78),
            male=self.rng.random() < 0.5,
            categories=[],
            surname=surname,
            phone=self.mobile(),
        )
        for _ in range(self.rng.choice((1, 1, 2))):
            self.person(
                village,
                hh,
                ages=(3, 15),
                male=self.rng.random() < 0.5,
                categories=[Category.LEFT_BEHIND],
                surname=surname,
                guardian_name=grandparent.name,
                guardian_relation="祖父母",
                guardian_phone=grandparent.phone,
            )

    def poor_family(self, village: Village) -> None:
        hh = self.household(village, EconomicStatus.DIBAO)
        surname = self.rng.choice(SURNAMES)
        ill = self.rng.choice((Category.SERIOUS_ILLNESS, Category.SEVERE_DISABILITY))
        adult = self.person(
            village,
            hh,
            ages=(35, 58),
            male=True,
            categories=[Category.DIBAO, ill],
            surname=surname,
            phone=self.mobile(),
            disability_grade=self.rng.choice((1, 2)) if ill is Category.SEVERE_DISABILITY else None,
        )
        if self.rng.random() < 0.6:
            self.person(
                village,
                hh,
                ages=(5, 16),
                male=self.rng.random() < 0.5,
                categories=[Category.CHILD_IN_DISTRESS, Category.DIBAO],
                surname=surname,
                guardian_name=adult.name,
                guardian_relation="父亲",
                guardian_phone=adult.phone,
            )

    def orphan(self, village: Village) -> None:
        hh = self.household(village, EconomicStatus.TEKUN)
        surname = self.rng.choice(SURNAMES)
        kin = self.name()
        self.person(
            village,
            hh,
            ages=(4, 16),
            male=self.rng.random() < 0.5,
            categories=[self.rng.choice((Category.ORPHAN, Category.DE_FACTO_UNSUPPORTED))],
            surname=surname,
            guardian_name=kin,
            guardian_relation="姑姑",
            guardian_phone=self.mobile(),
        )

    def ordinary(self, village: Village) -> None:
        hh = self.household(village, EconomicStatus.NONE)
        self.person(
            village,
            hh,
            ages=(25, 70),
            male=self.rng.random() < 0.5,
            categories=[],
            phone=self.mobile(),
        )

    # -- the months of work ---------------------------------------------------

    def visit_history(self, staff_by_village: dict[str, tuple[Staff, Staff]]) -> None:
        this_month = month_start(self.today)
        months = [add_months(this_month, -2), add_months(this_month, -1), this_month]
        # Share of key people reached each month: the current month is still under way.
        reach = (0.97, 0.86, min(0.9, 0.15 + self.today.day / 40))
        assessed = {r.person_id: r.level for r in self.data.records if isinstance(r, Assessment)}
        for person in self.data.persons:
            level = assessed.get(person.id)
            if not effective_categories(person, self.today, level):
                continue
            assistant, director = staff_by_village[person.village_code]
            child = person.is_child(self.today)
            for month, share in zip(months, reach, strict=True):
                if self.rng.random() > share:
                    continue
                day = self.day_in(month)
                if child:
                    self.data.records.append(self.child_check(person, day, director))
                else:
                    self.data.records.append(self.visit(person, day, assistant))

    def visit(self, person: Person, day: dt.date, staff: Staff) -> Visit:
        hazards = [self.rng.choice(list(SafetyHazard))] if self.rng.random() < 0.08 else []
        follow = bool(hazards) or self.rng.random() < 0.05
        return Visit.model_validate(
            {
                "id": self.uid(),
                "person_id": person.id,
                "visit_date": day,
                "visitor": staff.name,
                "mode": self.rng.choices(list(VisitMode), (80, 17, 3))[0],
                "living_condition": self.rng.choices(list(Condition), (80, 17, 3))[0],
                "health": self.rng.choices(list(Condition), (60, 30, 10))[0],
                "mood": self.rng.choices(list(Mood), (75, 20, 5))[0],
                "safety_hazards": hazards,
                "follow_up_needed": follow,
                "follow_up_note": "下次探访复查" if follow else "",
            },
            context=self.ctx,
        )

    def child_check(self, person: Person, day: dt.date, staff: Staff) -> ChildCheck:
        high = person.id in self.high_risk
        situation = (
            GuardianSituation.BOTH_AWAY
            if Category.LEFT_BEHIND in person.categories
            else self.rng.choice((GuardianSituation.KIN, GuardianSituation.PARENTS))
        )
        age = person.age_on(day)
        fields: dict[str, object] = {
            "id": self.uid(),
            "person_id": person.id,
            "check_date": day,
            "checker": staff.name,
            "guardian_situation": situation,
            "school_status": SchoolStatus.PRESCHOOL if age < 6 else SchoolStatus.IN_SCHOOL,
            "health": Condition.GOOD,
            "allowance_received": self.rng.random() < 0.95,
            "risk_level": RiskLevel.LOW,
        }
        if high:
            fields.update(
                risk_flags=[RiskFlag.DROWNING, RiskFlag.UNATTENDED],
                risk_level=RiskLevel.HIGH,
                reported_at=self.at(day, 16),
                reported_to="乡镇(街道)民政办",
                notes="暑期常独自去海边，监护人外出务工",
            )
        elif self.rng.random() < 0.15:
            fields.update(risk_flags=[RiskFlag.MENTAL], risk_level=RiskLevel.MEDIUM)
        return ChildCheck.model_validate(fields, context=self.ctx)

    def needs_and_assessments(self, staff_by_village: dict[str, tuple[Staff, Staff]]) -> None:
        elders = [p for p in self.data.persons if p.age_on(self.today) >= 60]
        path = (NeedStatus.REFERRED, NeedStatus.IN_PROGRESS, NeedStatus.RESOLVED)
        for elder in elders:
            staff = staff_by_village[elder.village_code][0]
            if self.rng.random() < 0.45:
                self.assessment(elder, staff)
            if self.rng.random() >= 0.18:
                continue
            raised = self.day_in(add_months(month_start(self.today), -self.rng.randint(0, 2)))
            need, change = ElderNeed.raise_new(
                at=self.at(raised),
                staff=staff.name,
                context=self.ctx,
                change_id=self.uid(),
                id=self.uid(),
                person_id=elder.id,
                need_type=self.rng.choice(list(NeedType)),
                urgency=self.rng.choices(list(Urgency), (60, 30, 10))[0],
                description="老人提出，需协调解决",
                raised_on=raised,
            )
            changes = [change]
            day = raised
            for step in path[: self.rng.randint(0, 3)]:
                day = min(day + dt.timedelta(days=self.rng.randint(1, 10)), self.today)
                need, change = need.advance(
                    step,
                    at=self.at(day, 15),
                    staff=staff.name,
                    referred_to=self.rng.choice(list(ReferredTo)),
                    note="已办结" if step is NeedStatus.RESOLVED else "",
                    change_id=self.uid(),
                )
                changes.append(change)
            self.data.records.append(need)
            self.data.records.extend(changes)

    def assessment(self, elder: Person, staff: Staff) -> None:
        frail = self.rng.random()
        scores = {}
        for item in ITEMS:
            if frail < 0.15:
                pick = item.scores[: max(1, len(item.scores) // 2)]
            elif frail < 0.35:
                pick = item.scores[len(item.scores) // 2 - 1 :]
            else:
                pick = item.scores[-1:] if self.rng.random() < 0.8 else item.scores[-2:]
            scores[item.field] = self.rng.choice(pick)
        day = self.day_in(add_months(month_start(self.today), -self.rng.randint(0, 2)))
        self.data.records.append(
            Assessment.model_validate(
                {
                    "id": self.uid(),
                    "person_id": elder.id,
                    "assessed_on": day,
                    "assessor": staff.name,
                    **scores,
                },
                context=self.ctx,
            )
        )


def generate(persons: int = DEFAULT_PERSONS, seed: int = 1, *, today: dt.date) -> DemoData:
    """Build the demo records in memory, deterministically for (`persons`, `seed`, `today`)."""
    maker = _Maker(seed, today)
    staff_by_village: dict[str, tuple[Staff, Staff]] = {}
    for code, name, township in DEMO_VILLAGES:
        village = Village(id=code, name=name, township=township)
        maker.data.villages.append(village)
        pair = (
            Staff(id=maker.uid(), name=maker.name(), role=Role.ASSISTANT, village_codes=[code]),
            Staff(
                id=maker.uid(), name=maker.name(), role=Role.CHILD_DIRECTOR, village_codes=[code]
            ),
        )
        maker.data.staff.extend(pair)
        staff_by_village[code] = pair
    kinds: list[tuple[float, Callable[[Village], None]]] = [
        (0.30, maker.elder_alone),
        (0.22, maker.empty_nest),
        (0.20, maker.left_behind),
        (0.10, maker.poor_family),
        (0.04, maker.orphan),
        (0.14, maker.ordinary),
    ]
    weights = [w for w, _ in kinds]
    while len(maker.data.persons) < persons:
        village = maker.data.villages[len(maker.data.households) % len(maker.data.villages)]
        maker.rng.choices(kinds, weights)[0][1](village)
    del maker.data.persons[persons:]
    kept = {p.household_id for p in maker.data.persons}
    maker.data.households = [h for h in maker.data.households if h.id in kept]
    children = [p for p in maker.data.persons if p.is_child(today)]
    maker.high_risk = {p.id for p in maker.rng.sample(children, min(3, len(children)))}
    maker.needs_and_assessments(staff_by_village)
    maker.visit_history(staff_by_village)
    return maker.data
