"""儿童随访: a child director's check; high risk asks for the mandatory report first."""

from __future__ import annotations

from typing import Any

from textual.widgets import Select

from civtui.domain.choices import (
    CHECK_FINDINGS,
    Category,
    Condition,
    GuardianSituation,
    RiskFlag,
    RiskLevel,
    SchoolStatus,
    VisitMode,
)
from civtui.domain.models import ChildCheck, Person
from screens.form import FieldSpec, ModelForm


class ChildCheckForm(ModelForm):
    model = ChildCheck
    draft_form = "check"

    def __init__(
        self, child: Person, previous: ChildCheck | None, editing: ChildCheck | None = None
    ) -> None:
        self.child = child
        self.previous = previous
        super().__init__(editing)

    def heading(self) -> str:
        return self.civ.t("form.check", name=self.child.name)

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("check_date", "date"),
            FieldSpec("mode", "select", list(VisitMode)),
            FieldSpec("guardian_situation", "select", list(GuardianSituation)),
            FieldSpec("school_status", "select", list(SchoolStatus)),
            FieldSpec("health", "select", list(Condition)),
            FieldSpec("risk_flags", "multi", list(RiskFlag)),
            FieldSpec("allowance_received", "bool"),
            FieldSpec("risk_level", "select", list(RiskLevel)),
            FieldSpec("reported_at", "datetime", group="report"),
            FieldSpec("reported_to", group="report", placeholder="hint.reported_to"),
            FieldSpec("findings", "multi", CHECK_FINDINGS),
            FieldSpec("findings_note", placeholder="hint.findings_note"),
            FieldSpec("notes", "note"),
            FieldSpec("follow_up_needed", "bool"),
            FieldSpec("follow_up_note"),
        ]

    def initial(self) -> dict[str, Any]:
        # Guardian and school rarely change between checks: start from the last one.
        prev = self.previous
        if prev is not None:
            guardian, school = prev.guardian_situation, prev.school_status
        else:
            left_behind = Category.LEFT_BEHIND in self.child.categories
            guardian = GuardianSituation.BOTH_AWAY if left_behind else GuardianSituation.PARENTS
            preschool = self.child.age_on(self.civ.today) < 6
            school = SchoolStatus.PRESCHOOL if preschool else SchoolStatus.IN_SCHOOL
        return {
            "check_date": self.civ.today.isoformat(),
            "mode": VisitMode.HOME,
            "guardian_situation": guardian,
            "school_status": school,
            "health": Condition.GOOD,
            "allowance_received": True,
            "risk_level": RiskLevel.LOW,
        }

    def fixed(self) -> dict[str, Any]:
        return {"person_id": self.child.id, "checker": self.civ.staff_name}

    def draft_args(self) -> dict[str, str | None]:
        return {
            "person_id": self.child.id,
            "previous_id": self.previous.id if self.previous else None,
            "editing_id": self.editing_id(),
        }

    def on_mount(self) -> None:
        super().on_mount()
        self._show_report(self.start()["risk_level"])

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "in-risk_level":
            self._show_report(event.value)

    def _show_report(self, level: object) -> None:
        for field in self.query(".group-report"):
            field.display = level == RiskLevel.HIGH
