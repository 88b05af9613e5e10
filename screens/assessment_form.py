"""能力评估: the ten Barthel items, with the running total and level as items are chosen.

Each item is scored with one digit, its choice's number (1 the highest score), and the
cursor moves to the next item: a whole assessment is `a`, ten digits and Ctrl+S."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Select, Static

from civtui.domain.barthel import ITEMS, level_for
from civtui.domain.models import Assessment, Person
from screens import format as fmt
from screens.form import FieldSpec, ModelForm


class AssessmentForm(ModelForm):
    model = Assessment
    draft_form = "assessment"

    def __init__(self, elder: Person, editing: Assessment | None = None) -> None:
        self.elder = elder
        super().__init__(editing)

    def heading(self) -> str:
        return self.civ.t("form.assessment", name=self.elder.name)

    def specs(self) -> list[FieldSpec]:
        t = self.civ.t

        def options(scores: tuple[int, ...]) -> list[tuple[str, int]]:
            # Highest score first: "10 自理", "5 需部分帮助", "0 完全依赖".
            ranked = sorted(scores, reverse=True)
            return [
                (f"{i + 1}. {s} {t(f'barthel.{len(ranked)}.{i}')}", s) for i, s in enumerate(ranked)
            ]

        items = [FieldSpec(item.field, "select", options(item.scores)) for item in ITEMS]
        return [FieldSpec("assessed_on", "date"), *items]

    def initial(self) -> dict[str, Any]:
        return {"assessed_on": self.civ.today.isoformat()}

    def fixed(self) -> dict[str, Any]:
        return {"person_id": self.elder.id, "assessor": self.civ.staff_name}

    def draft_args(self) -> dict[str, str | None]:
        return {"person_id": self.elder.id, "editing_id": self.editing_id()}

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield Static(fmt.text(self.civ.t("form.barthel_keys")), id="barthel-keys")
        yield Static(id="barthel-total")

    def on_mount(self) -> None:
        super().on_mount()
        if self.editing is None:
            # The day is today's already: the first item is where the work starts. After
            # the refresh: the form's own mount handler, run after this one, focuses the day.
            self.call_after_refresh(self.query_one(f"#in-{ITEMS[0].field}", Select).focus)
        self._update_total()

    def digit_hint(self) -> str:
        return self.civ.t("form.barthel_keys")

    def on_select_changed(self, event: Select.Changed) -> None:
        self._update_total()

    def _update_total(self) -> None:
        values = self.values()
        chosen = [int(values[i.field]) for i in ITEMS if i.field in values]
        total = sum(chosen)
        # The level means something only once every item is scored.
        level = level_for(total).label(self.civ.lang) if len(chosen) == len(ITEMS) else "…"
        text = f"{len(chosen)}/{len(ITEMS)} · " + self.civ.t("form.total", total=total, level=level)
        self.query_one("#barthel-total", Static).update(fmt.text(text))
