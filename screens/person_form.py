"""登记 / 编辑服务对象: a person's profile; duplicates are flagged before saving."""

from __future__ import annotations

from typing import Any

from civtui.domain.choices import DERIVED_CATEGORIES, Category, PersonStatus
from civtui.domain.errors import FieldError
from civtui.domain.models import Person, Record
from db import queries
from screens.form import FieldSpec, ModelForm

_TYPED_CATEGORIES = [c for c in Category if c not in DERIVED_CATEGORIES]


class PersonForm(ModelForm):
    """New person when `person` is None, else an edit of that person."""

    model = Person
    draft_form = "person"

    def __init__(self, person: Person | None, household_of: Person | None = None) -> None:
        """`household_of`: for a new person, someone whose household and address they share."""
        self.person = person
        self.household_of = household_of
        super().__init__()

    def draft_args(self) -> dict[str, str | None]:
        return {
            "person_id": self.person.id if self.person else None,
            "household_of_id": self.household_of.id if self.household_of else None,
        }

    def heading(self) -> str:
        if self.person is None:
            return self.civ.t("form.person_new")
        return self.civ.t("form.person_edit", name=self.person.name)

    def specs(self) -> list[FieldSpec]:
        villages = [(name, code) for code, name in queries.village_names(self.civ.store).items()]
        return [
            FieldSpec("name"),
            FieldSpec("id_number", placeholder="hint.id_number"),
            FieldSpec("phone", placeholder="hint.phone"),
            FieldSpec("village_code", "select", villages),
            FieldSpec("address"),
            FieldSpec("categories", "multi", _TYPED_CATEGORIES),
            FieldSpec("status", "select", list(PersonStatus)),
            FieldSpec("disability_grade", "int"),
            FieldSpec("guardian_name"),
            FieldSpec("guardian_relation"),
            FieldSpec("guardian_phone"),
            FieldSpec("emergency_contact_name"),
            FieldSpec("emergency_contact_phone"),
            FieldSpec("notes"),
        ]

    def initial(self) -> dict[str, Any]:
        if self.person is not None:
            data = self.person.model_dump()
            return {k: ("" if v is None and k != "village_code" else v) for k, v in data.items()}
        mate = self.household_of
        if mate is not None:
            return {
                "village_code": mate.village_code,
                "address": mate.address,
                "status": PersonStatus.ACTIVE,
            }
        villages = list(queries.village_names(self.civ.store))
        return {
            "village_code": villages[0] if villages else None,
            "status": PersonStatus.ACTIVE,
        }

    def build(self, values: dict[str, Any]) -> list[Record]:
        context = {"today": self.civ.today}
        if self.person is None:
            household = self.household_of.household_id if self.household_of else None
            data = {"registered_on": self.civ.today, "household_id": household, **values}
            person = Person.model_validate(data, context=context)
        else:
            current = self.civ.store.get(Person, self.person.id) or self.person
            person = current.revise(context=context, **self.changes())
        same = queries.duplicates(self.civ.store, person)
        if same.same_id is not None:
            village = queries.village_names(self.civ.store).get(same.same_id.village_code, "")
            raise FieldError(
                "id_number",
                self.civ.t("form.duplicate_id", name=same.same_id.name, village=village),
            )
        return [person]

    def check_before_save(self, records: list[Record]) -> str | None:
        person = records[0]
        assert isinstance(person, Person)
        lookalikes = queries.duplicates(self.civ.store, person).same_name_and_birth
        if not lookalikes:
            return None
        other = lookalikes[0]
        return self.civ.t("form.duplicate_name", name=other.name, id=other.masked_id)
