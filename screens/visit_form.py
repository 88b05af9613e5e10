"""探访记录: a home visit to an adult or elder; the defaults are a routine "all well" visit."""

from __future__ import annotations

from typing import Any

from civtui.domain.choices import VISIT_FINDINGS, Condition, Mood, SafetyHazard, VisitMode
from civtui.domain.models import Person, Visit
from screens.form import FieldSpec, ModelForm


class VisitForm(ModelForm):
    model = Visit
    draft_form = "visit"

    def __init__(self, person: Person, editing: Visit | None = None) -> None:
        self.person = person
        super().__init__(editing)

    def heading(self) -> str:
        return self.civ.t("form.visit", name=self.person.name)

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("visit_date", "date"),
            FieldSpec("mode", "select", list(VisitMode)),
            FieldSpec("living_condition", "select", list(Condition)),
            FieldSpec("health", "select", list(Condition)),
            FieldSpec("mood", "select", list(Mood)),
            FieldSpec("safety_hazards", "multi", list(SafetyHazard)),
            FieldSpec("findings", "multi", VISIT_FINDINGS),
            FieldSpec("findings_note", placeholder="hint.findings_note"),
            FieldSpec("notes", "note"),
            FieldSpec("follow_up_needed", "bool"),
            FieldSpec("follow_up_note"),
        ]

    def initial(self) -> dict[str, Any]:
        return {
            "visit_date": self.civ.today.isoformat(),
            "mode": VisitMode.HOME,
            "living_condition": Condition.GOOD,
            "health": Condition.GOOD,
            "mood": Mood.GOOD,
        }

    def fixed(self) -> dict[str, Any]:
        return {"person_id": self.person.id, "visitor": self.civ.staff_name}

    def draft_args(self) -> dict[str, str | None]:
        return {"person_id": self.person.id, "editing_id": self.editing_id()}
