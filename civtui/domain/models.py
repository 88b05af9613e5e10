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
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

from civtui.domain import phone, resident_id, village_code
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
from civtui.i18n import Said, Translator, joined, label, labelled, said

ELDER_AGE = 60


def new_id() -> str:
    """A client-made record id: unique across devices without asking a server."""
    return str(uuid.uuid4())


#: Categories in the order they are declared, which is how a person's are kept.
_CATEGORY_ORDER = {c: i for i, c in enumerate(Category)}


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


def _typed_code(value: object) -> object:
    """A village code as a record names it, with full-width digits made ASCII: typed in a
    Chinese input method's full-width mode, in a form, a command or an imported file, it is
    the same village (`village_code.normalize`). Whether it is a code is `Village`'s rule."""
    return village_code.normalize(value) if isinstance(value, str) else value


#: A village's code where a record names it (a person's, a household's, a staff member's).
VillageCode = Annotated[str, BeforeValidator(_typed_code)]
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

    id: str = Field(default_factory=new_id, title=label("field.id"))

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


def _past_date(value: dt.date, info: ValidationInfo, model: type[BaseModel]) -> dt.date:
    """`value`, refused if it is after today; the message names the field validated."""
    today = today_from(info)
    if value > today:
        what = labelled(model, str(info.field_name))
        raise ValueError(said("date.after_today", what=what, day=value.isoformat()))
    return value


class Village(Record):
    """A village or community, identified by its 12-digit statistical division code."""

    table: ClassVar[str] = "villages"
    synced: ClassVar[Synced | None] = Synced(village="id", kept_when_blank=("township",))

    id: str = Field(title=label("field.village_id"))
    name: Name = Field(title=label("field.village_name"))
    township: str = Field(default="", max_length=40, title=label("field.township"))

    @field_validator("id", mode="before")
    @classmethod
    def _code(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        code = village_code.normalize(value)
        if not village_code.is_code(code):
            raise ValueError(said("village.code", value=value))
        return code

    @property
    def county_code(self) -> str:
        return self.id[:6]


class Staff(Record):
    table: ClassVar[str] = "staff"
    synced: ClassVar[Synced | None] = Synced(village="village_codes")

    name: Name = Field(title=label("field.name"))
    role: Role = Field(title=label("field.role"))
    #: A staff member serves a township's villages at most (a few dozen).
    village_codes: list[Annotated[VillageCode, Field(max_length=12)]] = Field(
        default_factory=list, max_length=200, title=label("field.village_codes")
    )


class Household(Record):
    table: ClassVar[str] = "households"
    synced: ClassVar[Synced | None] = Synced(village="village_code")

    village_code: VillageCode = Field(title=label("field.village_code"))
    address: str = Field(min_length=1, max_length=120, title=label("field.address"))
    economic_status: EconomicStatus = Field(
        default=EconomicStatus.NONE, title=label("field.economic_status")
    )
    head_name: str = Field(default="", max_length=40, title=label("field.head_name"))


class Person(Record):
    """A person the village serves (服务对象). Birth date, sex and age come from the ID."""

    table: ClassVar[str] = "persons"
    synced: ClassVar[Synced | None] = Synced(
        village="village_code", refers=(("household_id", "households"),)
    )

    village_code: VillageCode = Field(title=label("field.village_code"))
    household_id: str | None = Field(default=None, title=label("field.household_id"))
    name: Name = Field(title=label("field.name"))
    id_number: str = Field(title=label("field.id_number"))
    phone: Phone = Field(default=None, title=label("field.phone"))
    address: str = Field(default="", max_length=120, title=label("field.address"))
    categories: list[Category] = Field(default_factory=list, title=label("field.categories"))
    status: PersonStatus = Field(default=PersonStatus.ACTIVE, title=label("field.status"))
    disability_grade: int | None = Field(
        default=None, ge=1, le=4, title=label("field.disability_grade")
    )
    guardian_name: str = Field(default="", max_length=40, title=label("field.guardian_name"))
    guardian_relation: str = Field(
        default="", max_length=20, title=label("field.guardian_relation")
    )
    guardian_phone: Phone = Field(default=None, title=label("field.guardian_phone"))
    emergency_contact_name: str = Field(
        default="", max_length=40, title=label("field.emergency_contact_name")
    )
    emergency_contact_phone: Phone = Field(
        default=None, title=label("field.emergency_contact_phone")
    )
    registered_on: dt.date = Field(
        default_factory=lambda: SYSTEM_CLOCK.today(), title=label("field.registered_on")
    )
    notes: str = Field(default="", max_length=2000, title=label("field.notes"))

    @field_validator("name")
    @classmethod
    def _not_a_number(cls, value: str, info: ValidationInfo) -> str:
        # An ID or phone number typed one field too early saves as a name otherwise.
        if not is_stored(info) and _LONG_NUMBER.search(value):
            raise ValueError(said("person.name_is_number", value=value))
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
        return sorted(kept, key=_CATEGORY_ORDER.__getitem__)

    @model_validator(mode="after")
    def _child_categories_fit_age(self, info: ValidationInfo) -> Self:
        if self.status is not PersonStatus.ACTIVE or is_stored(info):
            return self
        # The township's limits (`age_limit.<类别>`) when the caller passes them, so the
        # form refuses exactly what coverage and 政策找人 would not count.
        limits = (info.context or {}).get("age_limits") or DEFAULT_AGE_LIMITS
        limited = [(c, limits[c]) for c in self.categories if limits.get(c) is not None]
        if not limited:
            return self  # most people: no age to work out (an import checks thousands)
        age = self.age_on(today_from(info))
        for category, limit in limited:
            if age >= limit:
                raise FieldError(
                    "categories",
                    said("person.child_category_age", category=category, limit=limit, age=age),
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

    person_id: str = Field(title=label("field.person"))
    notes: str = Field(default="", max_length=2000, title=label("field.notes"))
    #: Problems found, from the common ones; `findings_note` says any other in words.
    findings: list[Finding] = Field(
        default_factory=list, max_length=20, title=label("field.findings")
    )
    findings_note: str = Field(default="", max_length=500, title=label("field.findings_note"))
    follow_up_needed: bool = Field(default=False, title=label("field.follow_up_needed"))
    follow_up_note: str = Field(default="", max_length=500, title=label("field.follow_up_note"))
    follow_up_done_on: dt.date | None = Field(default=None, title=label("field.follow_up_done_on"))
    deleted_reason: str = Field(default="", max_length=200, title=label("field.deleted_reason"))
    #: Entered after its month was closed (补录); the store sets it, see `db.store`.
    late: bool = Field(default=False, title=label("field.late"))

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
            raise FieldError("follow_up_note", said("contact.follow_up_unsaid"))
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

    person_id: str = Field(title=label("field.person"))
    visit_date: dt.date = Field(title=label("field.visit_date"))
    visitor: Name = Field(title=label("field.visitor"))
    mode: VisitMode = Field(default=VisitMode.HOME, title=label("field.visit_mode"))
    living_condition: Condition = Field(
        default=Condition.GOOD, title=label("field.living_condition")
    )
    health: Condition = Field(default=Condition.GOOD, title=label("field.health"))
    safety_hazards: list[SafetyHazard] = Field(
        default_factory=list, title=label("field.safety_hazards")
    )
    mood: Mood = Field(default=Mood.GOOD, title=label("field.mood"))

    contact_day: ClassVar[str] = "visit_date"

    @field_validator("visit_date")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, cls)

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

    person_id: str = Field(title=label("field.child"))
    check_date: dt.date = Field(title=label("field.check_date"))
    checker: Name = Field(title=label("field.checker"))
    mode: VisitMode = Field(default=VisitMode.HOME, title=label("field.check_mode"))
    guardian_situation: GuardianSituation = Field(title=label("field.guardian_situation"))
    school_status: SchoolStatus = Field(
        default=SchoolStatus.IN_SCHOOL, title=label("field.school_status")
    )
    health: Condition = Field(default=Condition.GOOD, title=label("field.health"))
    risk_flags: list[RiskFlag] = Field(default_factory=list, title=label("field.risk_flags"))
    allowance_received: bool = Field(default=True, title=label("field.allowance_received"))
    risk_level: RiskLevel = Field(default=RiskLevel.LOW, title=label("field.risk_level"))
    reported_at: dt.datetime | None = Field(default=None, title=label("field.reported_at"))
    reported_to: str = Field(default="", max_length=80, title=label("field.reported_to"))

    contact_day: ClassVar[str] = "check_date"

    @field_validator("check_date")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, cls)

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
            _past_date(value.date(), info, cls)
        return value

    @model_validator(mode="after")
    def _high_risk_is_reported(self) -> Self:
        if self.risk_level is RiskLevel.HIGH:
            missing: list[tuple[str, Said]] = []
            if self.reported_at is None:
                missing.append(("reported_at", said("check.unreported.when")))
            if not self.reported_to:
                missing.append(("reported_to", said("check.unreported.whom")))
            if missing:
                what = joined([words for _, words in missing], "list.and")
                raise FieldError(missing[0][0], said("check.unreported", missing=what))
        return self


class NeedStatusChange(Record):
    """One step in an elder need's history: who moved it, when, and why."""

    table: ClassVar[str] = "need_status_changes"
    #: On the timeline under its need, from the second step (the first is the need raised).
    synced: ClassVar[Synced | None] = Synced(
        parent=("need_id", "elder_needs"), timeline=("need_step", "changed_at")
    )

    need_id: str = Field(title=label("field.need"))
    from_status: NeedStatus | None = Field(default=None, title=label("field.status_before"))
    to_status: NeedStatus = Field(title=label("field.new_status"))
    changed_at: dt.datetime = Field(title=label("field.changed_at"))
    staff: Name = Field(title=label("field.staff"))
    note: str = Field(default="", max_length=500, title=label("field.note"))

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

    person_id: str = Field(title=label("field.elder"))
    need_type: NeedType = Field(title=label("field.need_type"))
    urgency: Urgency = Field(default=Urgency.NORMAL, title=label("field.urgency"))
    description: str = Field(default="", max_length=1000, title=label("field.description"))
    status: NeedStatus = Field(default=NeedStatus.PENDING, title=label("field.status"))
    referred_to: ReferredTo | None = Field(default=None, title=label("field.referred_to"))
    raised_on: dt.date = Field(title=label("field.raised_on"))
    raised_by: Name = Field(title=label("field.raised_by"))
    resolution_note: str = Field(default="", max_length=500, title=label("field.resolution_note"))
    deleted_reason: str = Field(default="", max_length=200, title=label("field.deleted_reason"))
    history: list[NeedStatusChange] = Field(default_factory=list, title=label("field.history"))

    @field_validator("raised_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, cls)

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
            # In the statuses' own order: a frozenset's order changes from run to run.
            onward = sorted(NEED_WORKFLOW[self.status], key=list(NeedStatus).index)
            allowed = joined(onward, "list.sep") if onward else said("need.closed")
            raise NeedTransitionError(
                "to_status", said("need.cannot_go", before=self.status, to=to, allowed=allowed)
            )
        if to is NeedStatus.REFERRED and referred_to is None and self.referred_to is None:
            raise NeedTransitionError("referred_to", said("need.referred_where"))
        if to is NeedStatus.UNRESOLVABLE and not note.strip():
            raise NeedTransitionError("note", said("need.unresolvable_why"))
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

    person_id: str = Field(title=label("field.elder"))
    assessed_on: dt.date = Field(title=label("field.assessed_on"))
    assessor: Name = Field(title=label("field.assessor"))
    feeding: int = Field(title=label("field.feeding"))
    bathing: int = Field(title=label("field.bathing"))
    grooming: int = Field(title=label("field.grooming"))
    dressing: int = Field(title=label("field.dressing"))
    bowels: int = Field(title=label("field.bowels"))
    bladder: int = Field(title=label("field.bladder"))
    toilet: int = Field(title=label("field.toilet"))
    transfer: int = Field(title=label("field.transfer"))
    mobility: int = Field(title=label("field.mobility"))
    stairs: int = Field(title=label("field.stairs"))
    deleted_reason: str = Field(default="", max_length=200, title=label("field.deleted_reason"))

    @field_validator(*ITEMS_BY_FIELD)
    @classmethod
    def _allowed_score(cls, value: int, info: ValidationInfo) -> int:
        item = ITEMS_BY_FIELD[str(info.field_name)]
        if value not in item.scores:
            allowed = "/".join(str(s) for s in item.scores)
            what = labelled(cls, item.field)
            raise ValueError(said("barthel.score", item=what, allowed=allowed, value=value))
        return value

    @field_validator("assessed_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, cls)

    @computed_field(title=label("field.total"))  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return sum(int(getattr(self, item.field)) for item in ITEMS)

    @computed_field(title=label("field.level"))  # type: ignore[prop-decorator]
    @property
    def level(self) -> DependencyLevel:
        return level_for(self.total)

    def timeline_line(self, t: Translator) -> str:
        return f"{self.total} · {self.level.label(t.lang)} · {self.assessor}"


class VisitPolicy(Record):
    """How often people of one category must be visited; id is the category code."""

    table: ClassVar[str] = "visit_policy"

    id: str = Field(title=label("field.categories"))
    frequency: Frequency = Field(title=label("field.frequency"))
    #: The first month `frequency` is in force; None: since always (set before months were).
    effective_from: dt.date | None = Field(default=None, title=label("field.effective_from"))
    #: The frequencies before it, oldest first: {"until": first month no longer in force,
    #: "value": frequency code}. A closed or earlier month keeps the one it had.
    earlier: list[dict[str, str]] = Field(
        default_factory=list, title=label("field.earlier_frequencies")
    )

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

    person_id: str = Field(title=label("field.person"))
    effective_on: dt.date = Field(title=label("field.effective_on"))
    #: A status change: the status before and from `effective_on`.
    status_before: PersonStatus | None = Field(default=None, title=label("field.status_before"))
    status: PersonStatus | None = Field(default=None, title=label("field.new_status"))
    #: A category change: the category, and whether it is held from `effective_on`.
    category: Category | None = Field(default=None, title=label("field.categories"))
    held: bool | None = Field(default=None, title=label("field.held"))
    note: str = Field(default="", max_length=500, title=label("field.note"))

    @field_validator("effective_on")
    @classmethod
    def _not_future(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        return _past_date(value, info, cls)

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        is_status = self.status is not None and self.status_before is not None
        is_category = self.category is not None and self.held is not None
        if is_status == is_category:
            raise FieldError("status", said("event.one_change"))
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

    village_code: VillageCode = Field(title=label("field.village_code"))
    month: dt.date = Field(title=label("field.month"))
    taken_at: dt.datetime = Field(title=label("field.taken_at"))
    #: The coverage rows (rate, group, category, required, contacted) as JSON.
    figures: list[dict[str, Any]] = Field(default_factory=list, title=label("field.figures"))

    @staticmethod
    def key(village_code: str, month: dt.date) -> str:
        return f"{village_code}:{month.strftime('%Y-%m')}"


class PolicyRule(Record):
    """One of the township's visit rules beside the frequencies (age limits, which record
    kinds satisfy a category, how long an ADL assessment stays valid); id is its name."""

    table: ClassVar[str] = "policy_rules"

    id: str = Field(title=label("field.rule"))
    value: str = Field(title=label("field.value"))
    #: The first month `value` is in force; None: since always (set before months were).
    effective_from: dt.date | None = Field(default=None, title=label("field.effective_from"))
    #: The values before it, oldest first, as on VisitPolicy.
    earlier: list[dict[str, str]] = Field(default_factory=list, title=label("field.earlier_values"))

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
