"""首次使用: create this laptop's profile (a village and its staff member) from inside the app."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, Select, Static

from civtui.domain.choices import Role
from civtui.domain.errors import text
from civtui.services.keys import KeyUnavailableError
from civtui.services.profile import SETUP_FIELDS, SetupError, set_up
from screens import format as fmt
from screens.base import CivScreen


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
            for name in SETUP_FIELDS:
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
        # The labels are longer than a form's (村(社区)代码（12位）): as wide as the longest,
        # so none wraps mid-word at 80 columns.
        width = max(cell_len(t) for t in (self.civ.t(f"setup.{n}") for n in SETUP_FIELDS)) + 1
        for label in self.query(".field-label"):
            label.styles.width = width
        for error in self.query(".field-error"):
            error.styles.padding = (0, 0, 0, width + 1)
        self.query_one("#in-village_code", Input).focus()

    def unsaved_input(self) -> bool:
        return any(field.value.strip() for field in self.query(Input))

    def action_create(self) -> None:
        value = {
            name: (
                w.value if isinstance(w := self.query_one(f"#in-{name}"), Input | Select) else ""
            )
            for name in SETUP_FIELDS
        }
        civ = self.civ
        problems = {}
        try:
            set_up(
                civ.profile,
                village_code=str(value["village_code"]),
                village_name=str(value["village_name"]),
                township=str(value["township"]),
                staff_name=str(value["staff"]),
                role=str(value["role"]),
                clock=civ.clock,
                lang=civ.lang,
            )
        except SetupError as exc:
            problems = exc.problems
        except KeyUnavailableError as exc:
            # No keyring here: the passphrase is chosen in the terminal, with civtui init.
            self.notify(text(exc, civ.lang), severity="error", timeout=20)
            return
        for name in SETUP_FIELDS:
            error = self.query_one(f"#err-{name}", Static)
            error.update(fmt.text(problems[name].message if name in problems else "", lines=True))
            error.set_class(name in problems, "shown")
        if problems:
            return
        from screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen())
