"""老人需求: raising a need, and moving it along its workflow."""

from __future__ import annotations

from typing import Any

from civtui.domain.choices import NeedType, ReferredTo, Urgency
from civtui.domain.models import NEED_WORKFLOW, ElderNeed, NeedStatusChange, Person, Record
from screens import format as fmt
from screens.form import FieldSpec, ModelForm


class NeedForm(ModelForm):
    model = ElderNeed
    draft_form = "need"

    def __init__(self, elder: Person, editing: ElderNeed | None = None) -> None:
        self.elder = elder
        super().__init__(editing)

    def heading(self) -> str:
        return self.civ.t("form.need", name=self.elder.name)

    def specs(self) -> list[FieldSpec]:
        return [
            FieldSpec("need_type", "select", list(NeedType)),
            FieldSpec("urgency", "select", list(Urgency)),
            FieldSpec("description"),
            FieldSpec("raised_on", "date"),
        ]

    def initial(self) -> dict[str, Any]:
        return {"urgency": Urgency.NORMAL, "raised_on": self.civ.today.isoformat()}

    def draft_args(self) -> dict[str, str | None]:
        return {"person_id": self.elder.id, "editing_id": self.editing_id()}

    def build(self, values: dict[str, Any]) -> list[Record]:
        need, first = ElderNeed.raise_new(
            at=self.civ.clock.now(),
            staff=self.civ.staff_name,
            context={"today": self.civ.today},
            person_id=self.elder.id,
            **values,
        )
        return [need, first]


class NeedStatusForm(ModelForm):
    """Moves one need a step along; only the steps its workflow allows are offered."""

    model = NeedStatusChange
    draft_form = "need_status"

    def __init__(self, elder: Person, need: ElderNeed) -> None:
        self.elder = elder
        self.need = need
        super().__init__()

    def heading(self) -> str:
        lang = self.civ.lang
        need = fmt.aside(self.need.need_type.label(lang), self.need.status.label(lang), lang)
        return self.civ.t("form.need_status", name=self.elder.name, need=need)

    def specs(self) -> list[FieldSpec]:
        steps = sorted(NEED_WORKFLOW[self.need.status], key=list(type(self.need.status)).index)
        return [
            FieldSpec("to_status", "select", steps),
            FieldSpec("referred_to", "select", list(ReferredTo), optional=True),
            FieldSpec("note"),
        ]

    def initial(self) -> dict[str, Any]:
        return {"referred_to": self.need.referred_to}

    def draft_args(self) -> dict[str, str | None]:
        return {"person_id": self.elder.id, "need_id": self.need.id}

    def _label(self, name: str) -> str:
        # 转介至 is the need's own field, set through this step.
        if name not in NeedStatusChange.model_fields:
            return self.civ.t.of(ElderNeed, name)
        return super()._label(name)

    def build(self, values: dict[str, Any]) -> list[Record]:
        if "to_status" not in values:
            # Let the model say, in its words, that the new status is required.
            NeedStatusChange.model_validate({"need_id": self.need.id, **values})
        # The need as it is now: a sync may have moved it on while the form was open.
        current = self.civ.store.get(ElderNeed, self.need.id) or self.need
        need, change = current.advance(
            values["to_status"],
            at=self.civ.clock.now(),
            staff=self.civ.staff_name,
            note=values.get("note", ""),
            referred_to=values.get("referred_to"),
        )
        return [need, change]
