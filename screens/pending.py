"""待同步: changes not yet on the server, and what the server said about each one."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from civtui.domain.models import RECORD_TYPES
from db import outbox, queries
from screens import format as fmt
from screens.base import CivScreen
from screens.messages import SyncStateChanged
from sync import words


class PendingScreen(CivScreen[None]):
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="pending.back"),
        Binding("home", "newest", "pending.newest", id="pending.newest", show=False),
        Binding("end", "oldest", "pending.oldest", id="pending.oldest", show=False),
        Binding("c", "conflicts", "pending.conflicts_key", id="pending.conflicts"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("pending.title")), classes="title", id="pending-title")
        yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        self.query_one("#changes", DataTable).add_columns(
            t("pending.when"),
            t("col.kind"),
            t("pending.record"),
            t("pending.op"),
            t("col.summary"),
            t("pending.result"),
        )
        self.load()
        self.query_one("#changes", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        t, store = self.civ.t, self.civ.store
        table = self.query_one("#changes", DataTable)
        table.clear()
        # Unsent changes, those the server refused or merged with a conflict, and
        # everything the last sync settled, so its outcome can be read record by record.
        run = outbox.last_run(store)
        # Newest first: one's own latest change is what one comes here to find.
        shown = [
            c
            for c in reversed(store.changes(status=None))
            if c.status != "accepted" or (run is not None and c.sync_run == run)
        ]
        for change in shown:
            kind = RECORD_TYPES[change.table_name]
            if change.op == "delete":
                op = t("op.delete")
            elif "id" in change.fields:
                op = t("op.insert")
            else:
                op = t("op.update")
            fields = "、".join(
                t.of(kind, name)
                for name in kind.model_fields
                if name in change.fields and name != "id"
            )
            result = t(f"result.{change.status}")
            if change.reason:
                result = t("sync.label", label=result, message=words.stored(change.reason, t))
            table.add_row(
                fmt.text(change.created_at[:16].replace("T", " ")),
                fmt.text(t(f"table.{change.table_name}")),
                fmt.text(queries.change_label(store, change.table_name, change.record_id)),
                fmt.text(op),
                fmt.text(fields if op == t("op.update") else ""),
                fmt.text(result),
                key=str(change.seq),
            )
        pending = store.pending_count()
        title = t("pending.title") + f" ({pending})" if pending else t("pending.none")
        # Conflicts on any record, those no person's page shows included (screens.conflicts).
        open_conflicts = len(outbox.open_conflicts(store))
        if open_conflicts:
            title = t("pending.conflicts_hint", title=title, count=open_conflicts)
        self.query_one("#pending-title", Static).update(fmt.text(title))

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def action_newest(self) -> None:
        self.query_one("#changes", DataTable).move_cursor(row=0)

    def action_oldest(self) -> None:
        table = self.query_one("#changes", DataTable)
        table.move_cursor(row=table.row_count - 1)

    def action_conflicts(self) -> None:
        from screens.conflicts import ConflictsScreen

        self.app.push_screen(ConflictsScreen())

    def action_back(self) -> None:
        self.dismiss()
