"""登记 / 编辑服务对象: a person's profile; duplicates are flagged before saving."""

from __future__ import annotations

import datetime as dt
from typing import Any

from textual.widgets import Input, Select, SelectionList

from civtui.domain import search
from civtui.domain.choices import DERIVED_CATEGORIES, Category, PersonStatus
from civtui.domain.errors import FieldError
from civtui.domain.models import Person, Record
from civtui.i18n import said
from civtui.services import people, reads
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
        #: The day a status or category change takes effect, once `build` has checked it.
        self._effective: dt.date | None = None
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
        villages = [(name, code) for code, name in reads.village_names(self.civ.store).items()]
        return [
            FieldSpec("name"),
            FieldSpec("id_number", placeholder="hint.id_number"),
            FieldSpec("phone", placeholder="hint.phone"),
            FieldSpec("village_code", "select", villages),
            FieldSpec("address"),
            FieldSpec("categories", "multi", _TYPED_CATEGORIES),
            FieldSpec("status", "select", list(PersonStatus)),
            # Shown once the status or the categories differ from the saved ones.
            FieldSpec(people.FIELD, "date", group="effective"),
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
            start = {k: ("" if v is None and k != "village_code" else v) for k, v in data.items()}
            return start | {people.FIELD: self.civ.today.isoformat()}
        mate = self.household_of
        if mate is not None:
            return {
                "village_code": mate.village_code,
                "address": mate.address,
                "status": PersonStatus.ACTIVE,
            }
        villages = list(reads.village_names(self.civ.store))
        return {
            "village_code": villages[0] if villages else None,
            "status": PersonStatus.ACTIVE,
        }

    def build(self, values: dict[str, Any]) -> list[Record]:
        context = reads.person_context(self.civ.store, self.civ.today)
        if self.person is None:
            household = self.household_of.household_id if self.household_of else None
            data = {"registered_on": self.civ.today, "household_id": household, **values}
            person = Person.model_validate(data, context=context)
        else:
            current = self.civ.store.get(Person, self.person.id) or self.person
            changes = self.changes()
            changes.pop(people.FIELD, None)
            person = current.revise(context=context, **changes)
            self._effective = self._effective_day(current, person, values.get(people.FIELD))
        same = reads.duplicates(self.civ.store, person)
        if same.same_id is not None:
            village = reads.village_names(self.civ.store).get(same.same_id.village_code, "")
            raise FieldError(
                "id_number",
                self.civ.t("form.duplicate_id", name=same.same_id.name, village=village),
            )
        return [person]

    def _effective_day(self, before: Person, after: Person, typed: Any) -> dt.date | None:
        """The checked effective date of a status or category change; None when nothing
        dated changes, or when the date is typed in no form (said by the form's date check)."""
        if not people.is_dated(before, after):
            return None
        if typed is None:
            raise FieldError(people.FIELD, said("person.effective_day_missing"))
        try:
            day = dt.date.fromisoformat(str(typed))
        except ValueError:
            return None
        people.check_effective(self.civ.store, before, after, day, self.civ.today)
        return day

    def write(self, records: list[Record]) -> None:
        person = records[0]
        before = None if self.person is None else self.civ.store.get(Person, self.person.id)
        if before is None or self._effective is None or not isinstance(person, Person):
            super().write(records)
            return
        people.save(self.civ.store, before, person, self._effective, self.civ.today)

    def _label(self, name: str) -> str:
        if name == people.FIELD:
            return self.civ.t("rules.effective_on")
        return super()._label(name)

    # Textual calls each class's handler in turn: ModelForm's run as well as these.
    def on_mount(self) -> None:
        self._show_effective()
        # The search key made on save needs pypinyin: loaded while the form is filled in.
        search.warm()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._show_effective()

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[Any]) -> None:
        self._show_effective()

    def _show_effective(self) -> None:
        """The effective date is asked only of an edit that changes the status or categories."""
        start = self.start()
        changed = self.person is not None and (
            self.query_one("#in-status", Select).value != start.get("status")
            or set(self.query_one("#in-categories", SelectionList).selected)
            != set(start.get("categories") or [])
        )
        for field in self.query(".group-effective"):
            field.display = changed
        if not changed:
            # Nothing dated to save: whatever was typed there goes, so no hidden field
            # can refuse the save.
            typed = self.query_one(f"#in-{people.FIELD}", Input)
            typed.value = str(self.start().get(people.FIELD, ""))
            for error in self.query(f"#err-{people.FIELD}"):
                error.remove_class("shown")

    def check_before_save(self, records: list[Record]) -> str | None:
        person = records[0]
        assert isinstance(person, Person)
        lookalikes = reads.duplicates(self.civ.store, person).same_name_and_birth
        if not lookalikes:
            return None
        other = lookalikes[0]
        return self.civ.t("form.duplicate_name", name=other.name, id=other.masked_id)
