"""帮助: every key of every screen, read from the bindings themselves so it never goes stale."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from screens import textual_compat
from screens.base import CivScreen


def _screens(app: App[object]) -> list[tuple[str, list[BindingType]]]:
    from screens.dashboard import DashboardScreen
    from screens.form import ModelForm
    from screens.pending import PendingScreen
    from screens.person import PersonScreen
    from screens.roster import RosterScreen

    return [
        ("help.everywhere", list(app.BINDINGS)),
        ("nav.dashboard", list(DashboardScreen.BINDINGS)),
        ("nav.roster", list(RosterScreen.BINDINGS)),
        ("person.profile", list(PersonScreen.BINDINGS)),
        ("help.forms", list(ModelForm.BINDINGS)),
        ("nav.pending", list(PendingScreen.BINDINGS)),
    ]


class HelpScreen(CivScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "back", "nav.back", id="help.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.civ.t("help.title"), classes="title")
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        table = self.query_one("#keys", DataTable)
        table.add_columns(t("help.where"), t("help.key"), t("help.action"))
        keymap = textual_compat.keymap(self.app)
        table.add_row(t("help.everywhere"), "ctrl+p", t("help.palette"))
        for where, bindings in _screens(self.app):
            for binding in bindings:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                keys = keymap.get(binding.id or "", binding.key)
                table.add_row(t(where), keys.replace(",", " / "), t.maybe(binding.description))
        table.focus()

    def action_back(self) -> None:
        self.dismiss()
