"""首次使用: create this laptop's profile (a village and its staff member) from inside the app."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Select, Static

from civtui.choices import Role
from civtui.errors import explain
from civtui.models import Staff, Village
from civtui.profile import create_profile, make_current
from screens.base import CivScreen

#: Input id → (model, field) it fills.
FIELDS: dict[str, tuple[type[Any], str]] = {
    "village_code": (Village, "id"),
    "village_name": (Village, "name"),
    "township": (Village, "township"),
    "staff": (Staff, "name"),
    "role": (Staff, "role"),
}


class SetupScreen(CivScreen[None]):
    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "create", "setup.create", id="setup.create", priority=True),
    ]

    def compose(self) -> ComposeResult:
        t = self.civ.t
        yield Header()
        yield Static(t("setup.title"), classes="title")
        yield Static(t("setup.intro"), classes="hint")
        with VerticalScroll(id="form-body"):
            for name in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(t(f"setup.{name}"), classes="field-label")
                    if name == "role":
                        yield Select(
                            [(r.label(self.civ.lang), r) for r in Role],
                            value=Role.ASSISTANT,
                            allow_blank=False,
                            id="in-role",
                            compact=True,
                        )
                    else:
                        yield Input(id=f"in-{name}", compact=True)
                yield Static("", classes="error field-error", id=f"err-{name}")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#in-village_code", Input).focus()

    def action_create(self) -> None:
        value = {
            name: (
                w.value if isinstance(w := self.query_one(f"#in-{name}"), Input | Select) else ""
            )
            for name in FIELDS
        }
        context = {"today": self.civ.today}
        lang = self.civ.lang
        errors: dict[str, str] = {}
        village = staff = None
        try:
            village = Village.model_validate(
                {
                    "id": value["village_code"],
                    "name": value["village_name"],
                    "township": value["township"],
                },
                context=context,
            )
        except ValidationError as exc:
            by_field = {"id": "village_code", "name": "village_name", "township": "township"}
            errors |= {by_field[p.field]: p.message for p in explain(exc, Village, lang)}
        try:
            staff = Staff.model_validate(
                {
                    "name": value["staff"],
                    "role": value["role"],
                    "village_codes": [value["village_code"]],
                },
                context=context,
            )
        except ValidationError as exc:
            errors |= {
                p.field if p.field != "name" else "staff": p.message
                for p in explain(exc, Staff, lang)
            }
        for name in FIELDS:
            error = self.query_one(f"#err-{name}", Static)
            error.update(errors.get(name, ""))
            error.set_class(name in errors, "shown")
        if errors or village is None or staff is None:
            return
        create_profile(self.civ.profile, [village, staff], staff.id, self.civ.clock)
        make_current(self.civ.profile)
        from screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen())
