"""Domain models: what civtui records, and the rules every record must keep.

Validation that depends on the date (an ID's birth date, a visit not in the
future) reads `today` from the validation context, so tests pin it:
`Visit.model_validate(data, context={"today": day})`. Without a context the
system clock is used.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from civtui.domain import phone, resident_id
from civtui.domain.barthel import ITEMS, ITEMS_BY_FIELD, level_for
from civtui.domain.choices import (
    DERIVED_CATEGORIES,
    Category,
    Condition,
    DependencyLevel,
    EconomicStatus,
    Finding,
    Frequency,
    GuardianSituation,
    Mood,
    NeedStatus,
    NeedType,
    PersonStatus,
    ReferredTo,
    RiskFlag,
    RiskLevel,
    Role,
    SafetyHazard,
    SchoolStatus,
    Sex,
    Urgency,
    VisitMode,
)
from civtui.domain.clock import SYSTEM_CLOCK
from civtui.domain.errors import FieldError
from civtui.domain.policy import CHILD_AGE, DEFAULT_AGE_LIMITS, DEFAULT_RULES, in_force
from civtui.i18n import Said, Translator

ELDER_AGE = 60


def new_id() -> str:
    """A client-made record id: unique across devices without asking a server."""
    return str(uuid.uuid4())


def is_stored(info: ValidationInfo) -> bool:
    """True when a row already in the store is being loaded (see db.store.STORED)."""
    return bool((info.context or {}).get("stored"))


def is_new(info: ValidationInfo, name: str) -> bool:
    """True when field `name` holds a value being written now, not one kept from before.

    Rules added after values were stored (an ID's sequence 000, other scripts' digits)
    apply only to a new value: a record stored before them stays editable, and a value
    that changes meets them wherever it comes from. `changed` in the context names the
    fields an edit changes (`Record.revise`, the server's merge); without it a stored
    row is old and anything else is new.
    """
    context = info.context or {}
    changed = context.get("changed")
    if changed is not None:
        return name in changed
    return not is_stored(info)


def today_from(info: ValidationInfo) -> dt.date:
    context = info.context or {}
    if is_stored(info):
        # Stored rows were checked when written; a laptop with a wrong clock must
        # not make them unreadable, so "not in the future" is not asked again.
        return dt.date.max
    today = context.get("today")
    return today if isinstance(today, dt.date) else SYSTEM_CLOCK.today()


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return phone.normalize(value)


Phone = Annotated[str | None, AfterValidator(_phone)]
#: Six digits in a row: no one's name, the start of an ID or phone number.
_LONG_NUMBER = re.compile(r"\d{6}")
Name = Annotated[str, Field(min_length=1, max_length=40)]


@dataclass(frozen=True)
class Synced:
    """How a record type takes part in sync, said once, on its model.

    The server's merge (whose village a record is, whether its parent is there), the
    protocol's list of tables, `civtui status`'s counts and the person's timeline all read
    it from here. Fields a model computes itself are pydantic's `computed_field`s.
    """

    #: The field that says the record's village. A list field: its first code is the
    #: record's village, and a token must cover every code in it. None: its parent's.
    village: str | None = None
    #: (field naming the record this one belongs to, that record's table).
    parent: tuple[str, str] | None = None
    #: On a person's timeline: (the kind's key, kind.<key> in i18n; the field of its day).
    timeline: tuple[str, str] | None = None
    #: Other records it may name, (field, table): each must be on the server and in the
    #: record's own village, or a laptop of that village could never hold what it names.
    refers: tuple[tuple[str, str], ...] = ()
    #: Written once, the same record made on several laptops (a month's report, whose id
    #: is its village and month): the copy that reaches the server first stands, and a
    #: later one from another laptop changes nothing and is no conflict.
    first_stands: bool = False
    #: Fields a blank value never replaces once they are set, on the server or on a
    #: laptop's pull: a laptop set up without them (a village's township, left out of
    #: `civtui init`) sends a blank that is newer, not better, than what the others know.
    kept_when_blank: tuple[str, ...] = ()


class Record(BaseModel):
    """A record that syncs: client-made id; the store adds updated-at and device."""

    model_config = ConfigDict(
        str_strip_whitespace=True, frozen=True, extra="ignore", defer_build=True
    )

    table: ClassVar[str]
    #: How devices sync it; None: not pushed by devices (set centrally, if at all).
    synced: ClassVar[Synced | None] = None
    #: Fields held elsewhere (their own table) and not stored in this record's row.
    not_stored: ClassVar[frozenset[str]] = frozenset()

    id: str = Field(default_factory=new_id, title="编号")

    def revise(self, context: dict[str, Any] | None = None, **changes: Any) -> Self:
        """A copy with `changes` applied and every rule checked again.

        Rules for new values only (`is_new`) are checked for the fields that change.
        """
        changed = frozenset(k for k, v in changes.items() if getattr(self, k, None) != v)
        return self.model_validate(
            {**self.model_dump(), **changes}, context={**(context or {}), "changed": changed}
        )

    @classmethod
    def field_order(cls) -> list[str]:
        """The fields in the order a reader meets them (a record's page)."""
        return list(cls.model_fields)

    def row(self) -> dict[str, Any]:
        """The record as the store keeps it: JSON-ready values, one column per field."""
        return self.model_dump(mode="json", exclude=set(self.not_stored))

    def timeline_line(self, t: Translator) -> str:
        """What it recorded, in a line of a person's timeline (kinds with `synced.timeline`)."""
        raise NotImplementedError(f"{self.table} is not on the timeline")


def _listed(values: list[Any], lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(v.label(lang) for v in values) or "—"


def _past_date(value: dt.date, info: ValidationInfo, what: str) -> dt.date:
    today = today_from(info)
    if value > today:
        raise ValueError(
            Said(
                f"{what}{value.isoformat()}晚于今天；请填写今天或之前的日期",
                f"{value.isoformat()} is after today; use today or an earlier day",
            )
        )
    return value


class Village(Record):
    """A village or community, identified by its 12-digit statistical division code."""

    table: ClassVar[str] = "villages"
    synced: ClassVar[Synced | None] = Synced(village="id", kept_when_blank=("township",))

    id: str = Field(title="村(社区)代码")
    name: Name = Field(title="村(社区)名称")
    township: str = Field(default="", max_length=40, title="乡镇(街道)")

    @field_validator("id")
    @classmethod
    def _code(cls, value: str) -> str:
        if not re.fullmatch(r"\d{12}", value):
            raise ValueError(
                Said(
                    f"村(社区)代码应为12位数字（6位县级+3位乡镇+3位村），现为“{value}”；请核对统计用区划代码",
                    f"a village code has 12 digits (county 6, township 3, village 3), not "
                    f"{value!r}; check the statistical division code",
                )
            )
        return value

    @property
    def county_code(self) -> str:
        return self.id[:6]


class Staff(Record):
    table: ClassVar[str] = "staff"
    synced: ClassVar[Synced | None] = Synced(village="village_codes")

    name: Name = Field(title="姓名")
    role: Role = Field(title="角色")
    #: A staff member serves a township's villages at most (a few dozen).
    village_codes: list[Annotated[str, Field(max_length=12)]] = Field(
        default_factory=list, max_length=200, title="服务村(社区)"
    )


class Household(Record):
    table: ClassVar[str] = "households"
    synced: ClassVar[Synced | None] = Synced(village="village_code")

    village_code: str = Field(title="村(社区)")
    address: str = Field(min_length=1, max_length=120, title="住址")
    economic_status: EconomicStatus = Field(default=EconomicStatus.NONE, title="经济状况")
    head_name: str = Field(default="", max_length=40, title="户主")


class Person(Record):
    """A person the village serves (服务对象). Birth date, sex and age come from the ID."""

    table: ClassVar[str] = "persons"
    synced: ClassVar[Synced | None] = Synced(
        village="village_code", refers=(("household_id", "households"),)
    )

    village_code: str = Field(title="村(社区)")
    household_id: str | None = Field(default=None, title="所属户")
    name: Name = Field(title="姓名")
    id_number: str = Field(title="身份证号")
    phone: Phone = Field(default=None, title="联系电话")
    address: str = Field(default="", max_length=120, title="住址")
    categories: list[Category] = Field(default_factory=list, title="类别")
    status: PersonStatus = Field(default=PersonStatus.ACTIVE, title="状态")
    disability_grade: int | None = Field(default=None, ge=1, le=4, title="残疾等级")
    guardian_name: str = Field(default="", max_length=40, title="监护人")
    guardian_relation: str = Field(default="", max_length=20, title="监护人关系")
    guardian_phone: Phone = Field(default=None, title="监护人电话")
    emergency_contact_name: str = Field(default="", max_length=40, title="紧急联系人")
    emergency_contact_phone: Phone = Field(default=None, title="紧急联系人电话")
    registered_on: dt.date = Field(default_factory=lambda: SYSTEM_CLOCK.today(), title="登记日期")
    notes: str = Field(default="", max_length=2000, title="备注")

    @field_validator("name")
    @classmethod
    def _not_a_number(cls, value: str, info: ValidationInfo) -> str:
        # An ID or phone number typed one field too early saves as a name otherwise.
        if not is_stored(info) and _LONG_NUMBER.search(value):
            raise ValueError(
                Said(
                    f"姓名“{value}”里有一长串数字，像是身份证号或电话号码；"
                    "请填写本人姓名，号码填到对应的栏里",
                    f"{value} looks like an ID or phone number, not a name; put the person's "
                    "name here and the number in its own field",
                )
            )
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str, info: ValidationInfo) -> str:
        return resident_id.parse(value, today_from(info), new=is_new(info, "id_number")).number

    @field_validator("categories")
    @classmethod
    def _categories(cls, value: list[Category]) -> list[Category]:
        # Derived categories are recomputed on every read, so a typed-in 高龄 or
        # 失能 (common in imported ledgers) is dropped rather than stored stale.
        kept = {c for c in value if c not in DERIVED_CATEGORIES}
        return sorted(kept, key=list(Category).index)

    @model_validator(mode="after")
    def _child_categories_fit_age(self, info: ValidationInfo) -> Self:
        if self.status is not PersonStatus.ACTIVE or is_stored(info):
            return self
        age = self.age_on(today_from(info))
        # The township's limits (`age_limit.<类别>`) when the caller passes them, so the
        # form refuses exactly what coverage and 政策找人 would not count.
        limits = (info.context or {}).get("age_limits") or DEFAULT_AGE_LIMITS
        for category in self.categories:
            limit = limits.get(category)
            if limit is not None and age >= limit:
                raise FieldError(
                    "categories",
                    Said(
                        f"类别“{category.zh}”只适用于未满{limit}周岁的儿童，此人{age}岁；"
                        "请去掉该类别或核对身份证号",
                        f"{category.en} applies to children under {limit} only; this person "
                        f"is {age}: remove it or check the ID number",
                    ),
                )
        return self

    @property
    def resident(self) -> resident_id.ResidentId:
        # The number was validated on the way in; parsing again cannot fail
        # except for a future birth date, which `parse` was already given.
        return resident_id.parse(self.id_number, dt.date.max, new=False)

    @property
    def birth_date(self) -> dt.date:
        return self.resident.birth_date

    @property
    def sex(self) -> Sex:
        return Sex.parse(self.resident.sex)

    def age_on(self, day: dt.date) -> int:
        return self.resident.age_on(day)

    def is_child(self, day: dt.date) -> bool:
        return self.age_on(day) < CHILD_AGE

    @property
    def masked_id(self) -> str:
        return resident_id.mask(self.id_number)


def derived_categories(age: int, latest_level: DependencyLevel | None) -> frozenset[Category]:
    """The categories the app works out itself: 高龄 from age, 失能/半失能 from the latest ADL."""
    return DEFAULT_RULES.derived(age, latest_level)


def effective_categories(
    person: Person, today: dt.date, latest_level: DependencyLevel | None
) -> frozenset[Category]:
    """The person's categories including the derived ones (高龄, 失能, 半失能)."""
    return frozenset(person.categories) | derived_categories(person.age_on(today), latest_level)


class ContactRecord(Record):
    """What a visit and a child check both record: the note, what was found (存在问题), the
    follow-up and its closing, 补录; and the field of the contact's day (`contact_day`)."""

    person_id: str = Field(title="服务对象")
    notes: str = Field(default="", max_length=2000, title="备注")
    #: Problems found, from the common ones; `findings_note` says any other in words.
    findings: list[Finding] = Field(default_factory=list, max_length=20, title="存在问题")
    findings_note: str = Field(default="", max_length=500, title="其他问题")
    follow_up_needed: bool = Field(default=False, title="需要跟进")
    follow_up_note: str = Field(default="", max_length=500, title="跟进事项")
    follow_up_done_on: dt.date | None = Field(default=None, title="跟进完成日期")
    deleted_reason: str = Field(default="", max_length=200, title="删除原因")
    #: Entered after its month was closed (补录); the store sets it, see `db.store`.
    late: bool = Field(default=False, title="补录")

    #: The field holding the day of the contact.
    contact_day: ClassVar[str]

    @classmethod
    def field_order(cls) -> list[str]:
        # pydantic puts a base's fields first; a reader meets the day and what was seen
        # first, then the note, the findings and the follow-up shared by both kinds.
        shared = [n for n in ContactRecord.model_fields if n not in ("id", "person_id")]
        own = [n for n in cls.model_fields if n not in shared]
        return own + shared

    @field_validator("findings")
    @classmethod
    def _findings_once(cls, value: list[Finding]) -> list[Finding]:
        # Ticked in any order, kept in the list's order, each once: a ledger cell and a
        # history line compare equal whoever ticked them.
        return sorted(set(value), key=list(Finding).index)

    @model_validator(mode="after")
    def _follow_up_says_what(self) -> Self:
        if self.follow_up_needed and not self.follow_up_note:
            raise FieldError(
                "follow_up_note",
                Said(
                    "已勾选“需要跟进”，请在“跟进事项”中写明要跟进什么",
                    "Follow-up is ticked: say in the follow-up note what is to be done",
                ),
            )
        return self

    @property
    def day(self) -> dt.date:
        """The day of the contact."""
        value = getattr(self, self.contact_day)
        assert isinstance(value, dt.date)
        return value

    @property
    def follow_up_open(self) -> bool:
        return self.follow_up_needed and self.follow_up_done_on is None

    def found(self, lang: str) -> list[str]:
        """What was found, in words: the ticked problems, then the other problem written."""
        words = [f.label(lang) for f in self.findings]
        return [*words, self.findings_note] if self.findings_note else words


class Visit(ContactRecord):
    """A home visit (探访记录) to an adult or elder."""

    table: ClassVar[str] = "visits"
    synced: ClassVar[Synced | None] = Synced(
        parent=("person_id", "persons"), timeline=("visit", "visit_date")
    )

    person_id: str = Field(title="服务对象")
    visit_date: dt.date = Field(title="探访日期")
    visitor: Name = Field(title="探访人")
    mode: VisitMode = Field(default=VisitMode.HOME, title="探访方式")
    living_condition: Condition = Field(default=Condition.GOOD, title="居住状况")
    health: Condition = Field(default=Condition.GOOD, title="健康状况")
    safety_hazards: list[SafetyHazard] = Field(default_factory=list, title="安全隐患")
    mood: Mood = Field(default=Mood.GOOD, title="精神状态")

    contact_day: ClassVar[str] = "visit_date"

    @field_validator("visit_date")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, "探访日期")

    def timeline_line(self, t: Translator) -> str:
        lang = t.lang
        parts = [
            self.mode.label(lang),
            f"{t('short.living')}{self.living_condition.label(lang)}",
            f"{t('short.health')}{self.health.label(lang)}",
            f"{t('short.mood')}{self.mood.label(lang)}",
        ]
        if self.safety_hazards:
            parts.append(_listed(self.safety_hazards, lang))
        parts.extend(self.found(lang))
        if self.follow_up_needed:
            parts.append(f"→ {self.follow_up_note}")
        return " · ".join(parts)


class ChildCheck(ContactRecord):
    """A child director's check on a child (儿童随访)."""

    table: ClassVar[str] = "child_checks"
    synced: ClassVar[Synced | None] = Synced(
        parent=("person_id", "persons"), timeline=("check", "check_date")
    )

    person_id: str = Field(title="儿童")
    check_date: dt.date = Field(title="随访日期")
    checker: Name = Field(title="随访人")
    mode: VisitMode = Field(default=VisitMode.HOME, title="随访方式")
    guardian_situation: GuardianSituation = Field(title="监护情况")
    school_status: SchoolStatus = Field(default=SchoolStatus.IN_SCHOOL, title="就学情况")
    health: Condition = Field(default=Condition.GOOD, title="健康状况")
    risk_flags: list[RiskFlag] = Field(default_factory=list, title="风险因素")
    allowance_received: bool = Field(default=True, title="补贴已到位")
    risk_level: RiskLevel = Field(default=RiskLevel.LOW, title="风险等级")
    reported_at: dt.datetime | None = Field(default=None, title="强制报告时间")
    reported_to: str = Field(default="", max_length=80, title="报告对象")

    contact_day: ClassVar[str] = "check_date"

    @field_validator("check_date")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, "随访日期")

    def timeline_line(self, t: Translator) -> str:
        lang = t.lang
        # Risk first: in a narrow column a high-risk check must not read like a routine one.
        parts = [f"{t('short.risk')}{self.risk_level.label(lang)}"]
        if self.risk_flags:
            parts.append(_listed(self.risk_flags, lang))
        parts.extend(self.found(lang))
        if self.reported_to:
            parts.append(f"→ {self.reported_to}")
        parts += [self.guardian_situation.label(lang), self.school_status.label(lang)]
        return " · ".join(parts)

    @field_validator("reported_at")
    @classmethod
    def _report_not_future(
        cls, value: dt.datetime | None, info: ValidationInfo
    ) -> dt.datetime | None:
        if value is not None:
            _past_date(value.date(), info, "强制报告时间")
        return value

    @model_validator(mode="after")
    def _high_risk_is_reported(self) -> Self:
        if self.risk_level is RiskLevel.HIGH:
            missing = []
            if self.reported_at is None:
                missing.append(("reported_at", "强制报告时间", "when it was reported"))
            if not self.reported_to:
                missing.append(("reported_to", "报告对象", "to whom"))
            if missing:
                labels = "和".join(zh for _, zh, _ in missing)
                raise FieldError(
                    missing[0][0],
                    Said(
                        f"风险等级为“高”必须履行强制报告：请填写{labels}"
                        "（如向乡镇(街道)民政办、公安110报告的时间和对象）",
                        "a high-risk child must be reported: fill in "
                        + " and ".join(en for _, _, en in missing)
                        + " (the township civil-affairs office, the police on 110)",
                    ),
                )
        return self


class NeedStatusChange(Record):
    """One step in an elder need's history: who moved it, when, and why."""

    table: ClassVar[str] = "need_status_changes"
    #: On the timeline under its need, from the second step (the first is the need raised).
    synced: ClassVar[Synced | None] = Synced(
        parent=("need_id", "elder_needs"), timeline=("need_step", "changed_at")
    )

    need_id: str = Field(title="需求")
    from_status: NeedStatus | None = Field(default=None, title="原状态")
    to_status: NeedStatus = Field(title="新状态")
    changed_at: dt.datetime = Field(title="变更时间")
    staff: Name = Field(title="经办人")
    note: str = Field(default="", max_length=500, title="说明")

    def timeline_line(self, t: Translator) -> str:
        before = self.from_status.label(t.lang) if self.from_status else "—"
        text = f"{before} → {self.to_status.label(t.lang)} · {self.staff}"
        return f"{text} · {self.note}" if self.note else text


#: Where a need may go next from each status.
NEED_WORKFLOW: dict[NeedStatus, frozenset[NeedStatus]] = {
    NeedStatus.PENDING: frozenset(
        {NeedStatus.REFERRED, NeedStatus.IN_PROGRESS, NeedStatus.UNRESOLVABLE}
    ),
    NeedStatus.REFERRED: frozenset({NeedStatus.IN_PROGRESS, NeedStatus.UNRESOLVABLE}),
    NeedStatus.IN_PROGRESS: frozenset({NeedStatus.RESOLVED, NeedStatus.UNRESOLVABLE}),
    NeedStatus.RESOLVED: frozenset(),
    NeedStatus.UNRESOLVABLE: frozenset(),
}


class NeedTransitionError(FieldError):
    """A status change the need workflow does not allow."""


class ElderNeed(Record):
    """A need an elder has (老人需求); its status only moves along NEED_WORKFLOW."""

    table: ClassVar[str] = "elder_needs"
    synced: ClassVar[Synced | None] = Synced(
        parent=("person_id", "persons"), timeline=("need", "raised_on")
    )
    not_stored: ClassVar[frozenset[str]] = frozenset({"history"})

    person_id: str = Field(title="老人")
    need_type: NeedType = Field(title="需求类型")
    urgency: Urgency = Field(default=Urgency.NORMAL, title="紧急程度")
    description: str = Field(default="", max_length=1000, title="需求描述")
    status: NeedStatus = Field(default=NeedStatus.PENDING, title="状态")
    referred_to: ReferredTo | None = Field(default=None, title="转介至")
    raised_on: dt.date = Field(title="提出日期")
    raised_by: Name = Field(title="登记人")
    resolution_note: str = Field(default="", max_length=500, title="办理结果")
    deleted_reason: str = Field(default="", max_length=200, title="删除原因")
    history: list[NeedStatusChange] = Field(default_factory=list, title="状态记录")

    @field_validator("raised_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, "提出日期")

    def timeline_line(self, t: Translator) -> str:
        lang = t.lang
        parts = [
            f"{self.need_type.label(lang)}（{self.urgency.label(lang)}）"
            if lang == "zh"
            else f"{self.need_type.label(lang)} ({self.urgency.label(lang)})",
            self.status.label(lang),
        ]
        if self.referred_to:
            parts.append(self.referred_to.label(lang))
        if self.description:
            parts.append(self.description)
        return " · ".join(parts)

    @classmethod
    def raise_new(
        cls,
        *,
        at: dt.datetime,
        staff: str,
        context: dict[str, Any] | None = None,
        change_id: str | None = None,
        **fields: Any,
    ) -> tuple[ElderNeed, NeedStatusChange]:
        """A new need in 待处理 and the first entry of its history."""
        need = cls.model_validate(
            {**fields, "raised_by": staff, "status": NeedStatus.PENDING}, context=context
        )
        change = NeedStatusChange(
            id=change_id or new_id(),
            need_id=need.id,
            to_status=NeedStatus.PENDING,
            changed_at=at,
            staff=staff,
        )
        return need.model_copy(update={"history": [change]}), change

    def advance(
        self,
        to: NeedStatus,
        *,
        at: dt.datetime,
        staff: str,
        note: str = "",
        referred_to: ReferredTo | None = None,
        change_id: str | None = None,
    ) -> tuple[ElderNeed, NeedStatusChange]:
        """Move the need to `to`; returns the updated need and the history entry to store."""
        if to not in NEED_WORKFLOW[self.status]:
            allowed = "、".join(s.zh for s in NEED_WORKFLOW[self.status]) or "无（已结案）"
            allowed_en = ", ".join(s.en for s in NEED_WORKFLOW[self.status]) or "none (closed)"
            raise NeedTransitionError(
                "to_status",
                Said(
                    f"需求状态不能从“{self.status.zh}”改为“{to.zh}”；可改为：{allowed}",
                    f"a need cannot go from {self.status.en} to {to.en}; it can go to: "
                    f"{allowed_en}",
                ),
            )
        if to is NeedStatus.REFERRED and referred_to is None and self.referred_to is None:
            raise NeedTransitionError(
                "referred_to",
                Said(
                    "改为“已转介”时请选择“转介至”（幸福驿家、照料中心等）",
                    "a referred need says where it was referred to",
                ),
            )
        if to is NeedStatus.UNRESOLVABLE and not note.strip():
            raise NeedTransitionError(
                "note",
                Said(
                    "改为“无法解决”时请在“说明”中写明原因",
                    "say in the note why the need cannot be resolved",
                ),
            )
        change = NeedStatusChange(
            id=change_id or new_id(),
            need_id=self.id,
            from_status=self.status,
            to_status=to,
            changed_at=at,
            staff=staff,
            note=note.strip(),
        )
        update: dict[str, Any] = {"status": to, "history": [*self.history, change]}
        if referred_to is not None:
            update["referred_to"] = referred_to
        if to in (NeedStatus.RESOLVED, NeedStatus.UNRESOLVABLE):
            update["resolution_note"] = note.strip()
        return self.model_copy(update=update), change


class Assessment(Record):
    """A Barthel ADL assessment (能力评估); total and level are derived."""

    table: ClassVar[str] = "assessments"
    synced: ClassVar[Synced | None] = Synced(
        parent=("person_id", "persons"), timeline=("assessment", "assessed_on")
    )

    person_id: str = Field(title="老人")
    assessed_on: dt.date = Field(title="评估日期")
    assessor: Name = Field(title="评估人")
    feeding: int = Field(title="进食")
    bathing: int = Field(title="洗澡")
    grooming: int = Field(title="修饰")
    dressing: int = Field(title="穿衣")
    bowels: int = Field(title="控制大便")
    bladder: int = Field(title="控制小便")
    toilet: int = Field(title="如厕")
    transfer: int = Field(title="床椅转移")
    mobility: int = Field(title="平地行走")
    stairs: int = Field(title="上下楼梯")
    deleted_reason: str = Field(default="", max_length=200, title="删除原因")

    @field_validator(*ITEMS_BY_FIELD)
    @classmethod
    def _allowed_score(cls, value: int, info: ValidationInfo) -> int:
        item = ITEMS_BY_FIELD[str(info.field_name)]
        if value not in item.scores:
            allowed = "/".join(str(s) for s in item.scores)
            raise ValueError(
                Said(
                    f"“{item.zh}”只能评{allowed}分，不能评{value}分；请重新选择",
                    f"{item.en} scores {allowed}, not {value}; choose again",
                )
            )
        return value

    @field_validator("assessed_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, "评估日期")

    @computed_field(title="总分")  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return sum(int(getattr(self, item.field)) for item in ITEMS)

    @computed_field(title="依赖等级")  # type: ignore[prop-decorator]
    @property
    def level(self) -> DependencyLevel:
        return level_for(self.total)

    def timeline_line(self, t: Translator) -> str:
        return f"{self.total} · {self.level.label(t.lang)} · {self.assessor}"


class VisitPolicy(Record):
    """How often people of one category must be visited; id is the category code."""

    table: ClassVar[str] = "visit_policy"

    id: str = Field(title="类别")
    frequency: Frequency = Field(title="探访频次")
    #: The first month `frequency` is in force; None: since always (set before months were).
    effective_from: dt.date | None = Field(default=None, title="生效月份")
    #: The frequencies before it, oldest first: {"until": first month no longer in force,
    #: "value": frequency code}. A closed or earlier month keeps the one it had.
    earlier: list[dict[str, str]] = Field(default_factory=list, title="此前频次")

    @field_validator("id")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return Category.parse(value).value

    def frequency_in(self, month: dt.date) -> Frequency:
        """The frequency in force in `month`."""
        return Frequency(in_force(self.frequency.value, self.effective_from, self.earlier, month))


class PersonEvent(Record):
    """A dated change of a person's status or of one category (死亡、迁出、迁入、类别增减).

    The person's row holds their state now; an event says what it was before `effective_on`,
    so a month's figures use each person's state as it was in that month.
    """

    table: ClassVar[str] = "person_events"
    synced: ClassVar[Synced | None] = Synced(parent=("person_id", "persons"))

    person_id: str = Field(title="服务对象")
    effective_on: dt.date = Field(title="生效日期")
    #: A status change: the status before and from `effective_on`.
    status_before: PersonStatus | None = Field(default=None, title="原状态")
    status: PersonStatus | None = Field(default=None, title="新状态")
    #: A category change: the category, and whether it is held from `effective_on`.
    category: Category | None = Field(default=None, title="类别")
    held: bool | None = Field(default=None, title="具有该类别")
    note: str = Field(default="", max_length=500, title="说明")

    @field_validator("effective_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, "生效日期")

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        is_status = self.status is not None and self.status_before is not None
        is_category = self.category is not None and self.held is not None
        if is_status == is_category:
            raise FieldError(
                "status",
                Said(
                    "一条变更记录只记一件事：状态变更（原状态和新状态），或类别增减（类别和是否具有）",
                    "an event records one change: a status (before and after) or a category "
                    "(which, and whether it is held)",
                ),
            )
        return self

    @classmethod
    def between(cls, old: Person, new: Person, on: dt.date, note: str = "") -> list[PersonEvent]:
        """The events that take `old` to `new` (status, categories), effective `on`."""
        events = []
        context = {"today": on}
        base: dict[str, Any] = {"person_id": new.id, "effective_on": on, "note": note}
        change: dict[str, Any]
        if old.status is not new.status:
            change = {"status_before": old.status, "status": new.status}
            events.append(cls.model_validate(base | change, context=context))
        for category in sorted(set(old.categories) ^ set(new.categories), key=list(Category).index):
            change = {"category": category, "held": category in new.categories}
            events.append(cls.model_validate(base | change, context=context))
        return events


class MonthClose(Record):
    """A village's figures for a month as they stood when the month was closed (月报).

    The id is `village_code:YYYY-MM`, so two laptops closing the same month write one
    record. Visits and checks entered for a closed month are marked 补录.
    """

    table: ClassVar[str] = "month_reports"
    synced: ClassVar[Synced | None] = Synced(village="village_code", first_stands=True)

    village_code: str = Field(title="村(社区)")
    month: dt.date = Field(title="月份")
    taken_at: dt.datetime = Field(title="生成时间")
    #: The coverage rows (rate, group, category, required, contacted) as JSON.
    figures: list[dict[str, Any]] = Field(default_factory=list, title="数据")

    @staticmethod
    def key(village_code: str, month: dt.date) -> str:
        return f"{village_code}:{month.strftime('%Y-%m')}"


class PolicyRule(Record):
    """One of the township's visit rules beside the frequencies (age limits, which record
    kinds satisfy a category, how long an ADL assessment stays valid); id is its name."""

    table: ClassVar[str] = "policy_rules"

    id: str = Field(title="规则")
    value: str = Field(title="取值")
    #: The first month `value` is in force; None: since always (set before months were).
    effective_from: dt.date | None = Field(default=None, title="生效月份")
    #: The values before it, oldest first, as on VisitPolicy.
    earlier: list[dict[str, str]] = Field(default_factory=list, title="此前取值")

    def value_in(self, month: dt.date) -> str:
        """The value in force in `month`."""
        return in_force(self.value, self.effective_from, self.earlier, month)


#: Every record kind the store keeps, by table name.
RECORD_TYPES: dict[str, type[Record]] = {
    cls.table: cls
    for cls in (
        Village,
        Staff,
        Household,
        Person,
        Visit,
        ChildCheck,
        ElderNeed,
        NeedStatusChange,
        Assessment,
        VisitPolicy,
        PersonEvent,
        MonthClose,
        PolicyRule,
    )
}

#: The record kinds devices sync, by table name, in the order above.
SYNCED_TYPES: dict[str, type[Record]] = {
    table: kind for table, kind in RECORD_TYPES.items() if kind.synced is not None
}


def sync_spec(kind: type[Record]) -> Synced:
    """The sync facts of a kind devices sync (KeyError-like failure for any other)."""
    if kind.synced is None:
        raise ValueError(f"{kind.table} is not synced by devices")
    return kind.synced
