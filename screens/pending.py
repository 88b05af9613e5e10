"""待同步: changes not yet on the server, and what the server said about each one."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Header, Static

from civtui.domain.models import RECORD_TYPES
from civtui.services import bundles, reads, syncing
from civtui.services.keys import open_store
from screens import format as fmt
from screens.base import CivScreen
from screens.messages import SyncStateChanged
from screens.textual_compat import Footer, add_rows_at_once
from sync.protocol import Reason


class PendingScreen(CivScreen[None]):
    DEFAULT_CSS = """
    PendingScreen #changes { height: 1fr; }
    PendingScreen #pending-detail { height: auto; max-height: 6; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="pending.back"),
        Binding("home", "newest", "pending.newest", id="pending.newest", show=False),
        Binding("end", "oldest", "pending.oldest", id="pending.oldest", show=False),
        Binding("c", "conflicts", "pending.conflicts_key", id="pending.conflicts"),
        # No link at all: the sync goes on a USB stick, and its reply comes back on one.
        Binding("e", "bundle_export", "bundle.export_key", id="pending.bundle_export"),
        Binding("r", "bundle_import", "bundle.import_key", id="pending.bundle_import"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("pending.title")), classes="title", id="pending-title")
        yield Static("", id="bundle-standing")
        yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
        # The whole of what the server said of the highlighted row: a refusal's reason is
        # longer than its column at 80 columns.
        yield Static("", id="pending-detail")
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        #: Each row's whole result (by the change's seq), said under the table.
        self.details: dict[str, str] = {}

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
        if self.back_again():  # on_mount has just read them
            self.load()

    def load(self) -> None:
        t, store = self.civ.t, self.civ.store
        table = self.query_one("#changes", DataTable)
        table.clear()
        self.details = {}
        # Unsent changes, those the server refused or merged with a conflict, and
        # everything the last sync settled, so its outcome can be read record by record.
        run = reads.last_run(store)
        # Newest first: one's own latest change is what one comes here to find.
        shown = [
            c
            for c in reversed(store.changes(status=None))
            if c.status != "accepted" or (run is not None and c.sync_run == run)
        ]
        rows: list[tuple[str, list[Text]]] = []
        for change in shown:
            # Only an update names its fields: a new record's change holds every field, and
            # naming them all, row after row, was most of listing a month offline.
            fields = ""
            if change.op == "delete":
                op = t("op.delete")
            elif "id" in change.fields:
                op = t("op.insert")
            else:
                op = t("op.update")
                kind = RECORD_TYPES[change.table_name]
                fields = t("list.sep").join(
                    t.of(kind, name)
                    for name in kind.model_fields
                    if name in change.fields and name != "id"
                )
            result = t(f"result.{change.status}")
            if change.reason:
                said = syncing.refusal_words(store, Reason.stored(change.reason), t)
                result = t("sync.label", label=result, message=said)
            who = reads.change_label(store, change.table_name, change.record_id)
            self.details[str(change.seq)] = t(
                "sync.cli.refused_example",
                kind=t(f"table.{change.table_name}"),
                who=who,
                reason=result,
            )
            rows.append(
                (
                    str(change.seq),
                    [
                        fmt.text(change.created_at[:16].replace("T", " ")),
                        fmt.text(t(f"table.{change.table_name}")),
                        fmt.text(who),
                        fmt.text(op),
                        fmt.text(fields),
                        fmt.text(result),
                    ],
                )
            )
        add_rows_at_once(table, rows)
        pending = store.pending_count()
        # Refused changes are not synced: "everything is synced" is said only without them.
        refused = reads.rejected_count(store)
        if pending and refused:
            title = t("pending.refused_more", pending=pending, count=refused)
        elif pending:
            title = t("pending.title") + f" ({pending})"
        elif refused:
            title = t("pending.refused_title", count=refused)
        else:
            title = t("pending.none")
        # Conflicts on any record, those no person's page shows included (screens.conflicts).
        open_conflicts = len(reads.open_conflicts(store))
        if open_conflicts:
            title = t("pending.conflicts_hint", title=title, count=open_conflicts)
        self.query_one("#pending-title", Static).update(fmt.text(title))
        self.query_one("#bundle-standing", Static).update(fmt.text(self._bundle_words()))
        self._show_detail()

    def _show_detail(self) -> None:
        table = self.query_one("#changes", DataTable)
        said = ""
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
            said = self.details.get(str(key), "")
        detail = self.query_one("#pending-detail", Static)
        detail.update(fmt.text(said or self.civ.t("pending.detail_hint"), lines=True))
        detail.display = bool(self.details)

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _bundle_words(self) -> str:
        """When the last bundle left, and whether its reply came back."""
        t = self.civ.t
        said = bundles.standing(self.civ.store)
        if said.exported_at is None:
            return t("bundle.never")
        left = said.exported_at[:16].replace("T", " ")
        if said.reply_back:
            return t("bundle.reply_back", at=left, changes=said.changes)
        return t("bundle.reply_awaited", at=left, changes=said.changes)

    def action_bundle_export(self) -> None:
        from screens.path_dialog import PathModal

        question = self.civ.t("bundle.export_where")
        start = bundles.default_folder()
        self.app.push_screen(PathModal(question, start, must_exist=False), self._export_to)

    def action_bundle_import(self) -> None:
        from screens.path_dialog import PathModal

        question = self.civ.t("bundle.import_which")
        start = bundles.default_folder()
        self.app.push_screen(PathModal(question, start, must_exist=True), self._import_from)

    def _export_to(self, path: Path | None) -> None:
        if path is not None:
            self.run_bundle("export", path)

    def _import_from(self, path: Path | None) -> None:
        if path is not None:
            self.run_bundle("import", path)

    @work(thread=True, exclusive=True, group="bundle", exit_on_error=False)
    def run_bundle(self, what: str, path: Path) -> None:
        """Export or import in a worker, on its own connection to the profile's file.

        Whatever happens is said: an error the bundle code did not expect is a fault, told
        on the screen with where its traceback went (the crash log, as the app's), never
        left to the worker, which would drop it without a word."""
        try:
            said, severity = self._bundle(what, path)
        except Exception as exc:
            said, severity = self._fault(exc), "error"
        self.app.call_from_thread(self._bundle_done, said, severity)

    def _bundle(self, what: str, path: Path) -> tuple[str, str]:
        from sync import words
        from sync.client import SyncError, summary
        from sync.sealed import BundleError

        t = self.civ.t
        store = open_store(self.civ.profile.db_path, self.civ.clock)
        try:
            if what == "export":
                written, made = bundles.export_to(self.civ.profile.name, store, path)
                said = t("bundle.exported", path=str(written), changes=made.changes)
            else:
                data = bundles.read_file(path)
                report = bundles.import_reply(self.civ.profile.name, store, data)
                said = t("bundle.imported", summary=words.say(summary(report)[0], t))
            severity = "information"
        except bundles.NotLoggedInError as exc:
            url = exc.url or t("bundle.server_placeholder")
            said, severity = t("bundle.not_logged_in", url=url), "warning"
        except (BundleError, SyncError) as exc:
            said, severity = words.say(exc.reason, t), "error"
        except OSError as exc:
            said, severity = t("bundle.os_error", error=exc.strerror or str(exc)), "error"
        finally:
            store.close()
        return said, severity

    def _fault(self, error: Exception) -> str:
        """An unexpected error's words, once its traceback is in the crash log."""
        from civtui.services import crash

        try:
            where: object = crash.record(error)
        except OSError as exc:
            where = f"({type(exc).__name__})"
        return self.civ.t("bundle.failed", error=type(error).__name__, path=where)

    def _bundle_done(self, said: str, severity: str) -> None:
        self.notify(Text(said).plain, severity=severity, timeout=10, markup=False)  # type: ignore[arg-type]
        self.load()

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
