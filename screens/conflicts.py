"""冲突: every open sync conflict in the profile, whatever its record.

A person's page lists the conflicts of that person and their records; this list also holds
those on records no person's page shows (a village, a staff member, a month's report), so
each one can be settled. Enter opens the same dialog as the person's page (`ConflictModal`).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from civtui.services import conflicts, reads
from screens import format as fmt
from screens import values
from screens.base import CivScreen
from screens.messages import SyncStateChanged
from screens.textual_compat import Footer
from sync import words


class ConflictsScreen(CivScreen[None]):
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="conflicts.back"),
        Binding("enter", "open", "conflicts.open", id="conflicts.open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[reads.StoredConflict] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="conflicts-title", classes="title")
        yield DataTable(id="conflicts", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        self.query_one("#conflicts", DataTable).add_columns(
            t("pending.record"), t("conflicts.field"), t("conflict.not_taken"), t("conflicts.whose")
        )
        self.load()
        self.query_one("#conflicts", DataTable).focus()

    def on_screen_resume(self) -> None:
        if self.back_again():  # on_mount has just read them
            self.load()

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def load(self) -> None:
        t, store = self.civ.t, self.civ.store
        table = self.query_one("#conflicts", DataTable)
        row = table.cursor_row
        table.clear()
        self.shown = reads.open_conflicts(store)
        mine = reads.own(store)
        for c in self.shown:
            table.add_row(
                fmt.text(reads.change_label(store, c.table, c.record_id)),
                fmt.text(words.conflict_field(c.table, c.field, t)),
                fmt.text(fmt.short(values.of_table(c.table, c.field, c.lost_value, t))),
                fmt.text(t(f"conflict.{mine.whose(c.lost_device, c.made_stamp)}")),
                key=str(c.id),
            )
        if self.shown:
            table.move_cursor(row=min(row, len(self.shown) - 1))
        title = t("conflicts.title", count=len(self.shown)) if self.shown else t("conflicts.none")
        self.query_one("#conflicts-title", Static).update(fmt.text(title))

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        table = self.query_one("#conflicts", DataTable)
        if not 0 <= table.cursor_row < len(self.shown):
            return
        choice = conflicts.look(self.civ.store, self.shown[table.cursor_row].id)
        if choice is None:
            self.load()
            return
        from screens.conflict import ConflictModal

        self.app.push_screen(ConflictModal(choice), lambda _closed: self.load())

    def action_back(self) -> None:
        self.dismiss()
