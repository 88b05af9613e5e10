"""首次使用: create this laptop's profile (a village and its staff member) from inside the app.

On a laptop with no keyring the profile's key comes from a passphrase, and Textual owns
the terminal here, so nothing can prompt for it: the screen asks for it itself, in two
password fields shown only where one is needed.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Label, Select, Static

from civtui.domain.choices import Role
from civtui.domain.errors import text
from civtui.services.keys import KeyUnavailableError, check_passphrase, keyring_missing
from civtui.services.profile import SETUP_FIELDS, SetupError, first_records, set_up
from screens import format as fmt
from screens.base import CivScreen
from screens.textual_compat import Footer

#: The passphrase's two fields, shown where no keyring can keep a random key.
PASSPHRASE_FIELDS = ("passphrase", "passphrase_again")


class SetupScreen(CivScreen[None]):
    CSS_PATH = "form.tcss"

    #: Whether the passphrase fields are shown, and so a passphrase makes the profile's key.
    asks_passphrase = False
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
            yield Static(t("setup.passphrase_needed"), classes="hint passphrase-row")
            for name in PASSPHRASE_FIELDS:
                with Horizontal(classes="field passphrase-row"):
                    yield Label(t(f"setup.{name}"), classes="field-label")
                    yield Input(id=f"in-{name}", password=True, compact=True)
                yield Static("", classes="error field-error", id=f"err-{name}")
        yield Footer()

    def on_mount(self) -> None:
        # The labels are longer than a form's (村(社区)代码（12位）): as wide as the longest,
        # so none wraps mid-word at 80 columns.
        names = [*SETUP_FIELDS, *PASSPHRASE_FIELDS]
        width = max(cell_len(t) for t in (self.civ.t(f"setup.{n}") for n in names)) + 1
        for label in self.query(".field-label"):
            label.styles.width = width
        for error in self.query(".field-error"):
            error.styles.padding = (0, 0, 0, width + 1)
        self.query_one("#in-village_code", Input).focus()
        self.show_passphrase(keyring_missing())

    def show_passphrase(self, shown: bool) -> None:
        self.asks_passphrase = shown
        for row in self.query(".passphrase-row"):
            row.display = shown

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
        problems: dict[str, str] = {}
        passphrase = self._passphrase(problems) if self.asks_passphrase else None
        try:
            if problems:
                # The passphrase is wrong: the other fields are checked too, nothing is made.
                first_records(
                    village_code=str(value["village_code"]),
                    village_name=str(value["village_name"]),
                    township=str(value["township"]),
                    staff_name=str(value["staff"]),
                    role=str(value["role"]),
                    clock=civ.clock,
                    lang=civ.lang,
                )
            else:
                set_up(
                    civ.profile,
                    village_code=str(value["village_code"]),
                    village_name=str(value["village_name"]),
                    township=str(value["township"]),
                    staff_name=str(value["staff"]),
                    role=str(value["role"]),
                    clock=civ.clock,
                    lang=civ.lang,
                    passphrase=passphrase,
                )
        except SetupError as exc:
            problems.update({name: problem.message for name, problem in exc.problems.items()})
        except KeyUnavailableError as exc:
            if not self.asks_passphrase:
                # The keyring would not keep the key: a passphrase is needed after all.
                self.show_passphrase(True)
                self.query_one("#in-passphrase", Input).focus()
                self.notify(civ.t("setup.passphrase_needed"), severity="warning", timeout=20)
            else:
                self.notify(text(exc, civ.lang), severity="error", timeout=20)
            return
        for name in [*SETUP_FIELDS, *PASSPHRASE_FIELDS]:
            error = self.query_one(f"#err-{name}", Static)
            error.update(fmt.text(problems.get(name, ""), lines=True))
            error.set_class(name in problems, "shown")
        if problems:
            return
        from screens.dashboard import DashboardScreen

        self.app.switch_screen(DashboardScreen())

    def _passphrase(self, problems: dict[str, str]) -> str:
        """The passphrase typed, with what is wrong with it added to `problems`."""
        first = self.query_one("#in-passphrase", Input).value
        again = self.query_one("#in-passphrase_again", Input).value
        try:
            check_passphrase(first)
        except KeyUnavailableError as exc:
            problems["passphrase"] = text(exc, self.civ.lang)
        else:
            if again != first:
                problems["passphrase_again"] = self.civ.t("key.passphrase_mismatch")
        return first
