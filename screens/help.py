"""帮助: every key of every screen, read from the bindings themselves so it never goes stale."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from screens import format as fmt
from screens import textual_compat
from screens.base import CivScreen


def _screens(app: App[object]) -> list[tuple[str, list[BindingType]]]:
    from screens.dashboard import DashboardScreen
    from screens.form import ModelForm
    from screens.pending import PendingScreen
    from screens.person import PersonScreen
    from screens.record import RecordScreen
    from screens.roster import RosterScreen

    return [
        ("help.everywhere", list(app.BINDINGS)),
        ("nav.dashboard", list(DashboardScreen.BINDINGS)),
        ("nav.roster", list(RosterScreen.BINDINGS)),
        ("person.profile", list(PersonScreen.BINDINGS)),
        ("help.record", list(RecordScreen.BINDINGS)),
        ("help.forms", list(ModelForm.BINDINGS)),
        ("nav.pending", list(PendingScreen.BINDINGS)),
    ]


#: Keys whose Textual names are not what the keyboard says.
_NAMED = {"escape": "Esc", "enter": "Enter", "space": "Space", "tab": "Tab"}


class HelpScreen(CivScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "back", "nav.back", id="help.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("help.title")), classes="title")
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        table = self.query_one("#keys", DataTable)
        table.add_columns(t("help.where"), t("help.key"), t("help.action"))
        keymap = textual_compat.keymap(self.app)
        for where, bindings in _screens(self.app):
            for binding in bindings:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                keys = keymap.get(binding.id or "", binding.key).split(",")
                shown = " / ".join(self._key(k.strip()) for k in keys)
                cells = (t(where), shown, t.maybe(binding.description))
                table.add_row(*(fmt.text(cell) for cell in cells))
        table.focus()

    def _key(self, key: str) -> str:
        """A key as printed on the keyboard (Ctrl+S, ?, Esc), not Textual's name for it."""
        *mods, name = key.split("+") if key != "plus" else ["plus"]
        if name in _NAMED:
            name = _NAMED[name]
        elif len(name) > 1 or mods:
            name = self.app.get_key_display(Binding(name, "")).capitalize()
        return "+".join([*(m.capitalize() for m in mods), name])

    def action_back(self) -> None:
        self.dismiss()
